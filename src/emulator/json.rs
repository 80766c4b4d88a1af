//! A small JSON writer for the emulator's bodies.
//!
//! Alerts are written straight into a `String` (no `serde_json::Value` tree per alert), which
//! keeps generation of 100,000 alerts fast and lets the store keep pre-serialized fragments
//! that are spliced into pages. Key order follows the documented examples.

use std::fmt::Write as _;
use time::{OffsetDateTime, UtcOffset};

/// Appends `s` as a JSON string literal (quotes included). Runs of characters that need
/// no escape are copied as slices: this is the emulator's hottest loop.
pub fn push_str_lit(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f | 0x7f => "",
            _ => continue,
        };
        // `i` is at an ASCII byte, hence a char boundary.
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// A JSON string literal as an owned `String`.
pub fn str_lit(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_str_lit(&mut out, s);
    out
}

/// Graph's timestamp form: UTC, seven fractional digits (100 ns ticks), `Z`.
pub fn fmt_time(t: OffsetDateTime) -> String {
    let mut s = String::with_capacity(28);
    push_time(&mut s, t);
    s
}

/// Appends [`fmt_time`]'s form without intermediate allocation (pages format many times).
pub fn push_time(out: &mut String, t: OffsetDateTime) {
    let t = t.to_offset(UtcOffset::UTC);
    let mut buf = *b"0000-00-00T00:00:00.0000000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, t.year().clamp(0, 9999) as u32);
    put(5, 2, u32::from(u8::from(t.month())));
    put(8, 2, u32::from(t.day()));
    put(11, 2, u32::from(t.hour()));
    put(14, 2, u32::from(t.minute()));
    put(17, 2, u32::from(t.second()));
    put(20, 7, t.nanosecond() / 100);
    // Every byte written is an ASCII digit or one of the template's ASCII separators.
    out.push_str(std::str::from_utf8(&buf).unwrap_or("0001-01-01T00:00:00.0000000Z"));
}

/// Writes the members of one JSON object; `finish` closes it.
pub struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        push_str_lit(self.out, k);
        self.out.push(':');
    }

    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        push_str_lit(self.out, v);
        self
    }

    pub fn opt_str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.str(k, v),
            None => self.null(k),
        }
    }

    pub fn null(&mut self, k: &str) -> &mut Self {
        self.key(k);
        self.out.push_str("null");
        self
    }

    pub fn int(&mut self, k: &str, v: i64) -> &mut Self {
        self.key(k);
        let _ = write!(self.out, "{v}");
        self
    }

    pub fn float(&mut self, k: &str, v: f64) -> &mut Self {
        self.key(k);
        if v.is_finite() {
            let _ = write!(self.out, "{v}");
        } else {
            self.out.push_str("null");
        }
        self
    }

    pub fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k);
        self.out.push_str(if v { "true" } else { "false" });
        self
    }

    pub fn time(&mut self, k: &str, t: OffsetDateTime) -> &mut Self {
        self.key(k);
        self.out.push('"');
        push_time(self.out, t);
        self.out.push('"');
        self
    }

    pub fn opt_time(&mut self, k: &str, t: Option<OffsetDateTime>) -> &mut Self {
        match t {
            Some(t) => self.time(k, t),
            None => self.null(k),
        }
    }

    pub fn strs<S: AsRef<str>>(&mut self, k: &str, items: &[S]) -> &mut Self {
        self.key(k);
        self.out.push('[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            push_str_lit(self.out, s.as_ref());
        }
        self.out.push(']');
        self
    }

    /// A nested object.
    pub fn obj(&mut self, k: &str, f: impl FnOnce(&mut Obj<'_>)) -> &mut Self {
        self.key(k);
        let mut o = Obj::new(self.out);
        f(&mut o);
        o.finish();
        self
    }

    /// An array of objects, one per item.
    pub fn objs<T>(
        &mut self,
        k: &str,
        items: &[T],
        mut f: impl FnMut(&mut Obj<'_>, &T),
    ) -> &mut Self {
        self.key(k);
        self.out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            let mut o = Obj::new(self.out);
            f(&mut o, item);
            o.finish();
        }
        self.out.push(']');
        self
    }

    /// An array whose items are written by `f`.
    pub fn key_array(&mut self, k: &str, f: impl FnOnce(&mut Arr<'_>)) -> &mut Self {
        self.key(k);
        self.out.push('[');
        let mut a = Arr {
            out: self.out,
            first: true,
        };
        f(&mut a);
        self.out.push(']');
        self
    }

    /// A member whose value is already serialized JSON.
    pub fn raw(&mut self, k: &str, json: &str) -> &mut Self {
        self.key(k);
        self.out.push_str(json);
        self
    }

    /// Already-serialized members (`"a":1,"b":2`, no braces), spliced in as they are.
    pub fn members(&mut self, fragment: &str) -> &mut Self {
        if fragment.is_empty() {
            return self;
        }
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push_str(fragment);
        self
    }

    pub fn finish(self) {
        self.out.push('}');
    }
}

/// Writes the items of one JSON array (the brackets belong to the caller).
pub struct Arr<'a> {
    out: &'a mut String,
    first: bool,
}

impl Arr<'_> {
    /// Appends an item that `f` writes as complete JSON (e.g. a record's own renderer).
    pub fn raw_item(&mut self, f: impl FnOnce(&mut String)) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        f(self.out);
    }

    /// Appends an object item.
    pub fn obj(&mut self, f: impl FnOnce(&mut Obj<'_>)) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        let mut o = Obj::new(self.out);
        f(&mut o);
        o.finish();
    }
}

/// Serialized members without the surrounding braces, for fragments the store splices in.
pub fn members(f: impl FnOnce(&mut Obj<'_>)) -> String {
    let mut s = String::new();
    let mut o = Obj::new(&mut s);
    f(&mut o);
    o.finish();
    // Strip the braces the writer added.
    s.pop();
    s.remove(0);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn escapes_round_trip_through_serde() {
        let nasty = "a\"b\\c\n\u{1b}[2J\u{7f}\u{202e}é🦀\u{0}";
        let lit = str_lit(nasty);
        let back: String = serde_json::from_str(&lit).unwrap();
        assert_eq!(back, nasty);
    }

    #[test]
    fn objects_and_fragments() {
        let frag = members(|o| {
            o.str("b", "x").int("c", -3);
        });
        assert_eq!(frag, r#""b":"x","c":-3"#);
        let mut s = String::new();
        let mut o = Obj::new(&mut s);
        o.null("a")
            .members(&frag)
            .strs("d", &["p", "q"])
            .obj("e", |o| {
                o.bool("f", true);
            });
        o.finish();
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["c"], -3);
        assert_eq!(v["e"]["f"], true);
        assert_eq!(v["d"][1], "q");
    }

    #[test]
    fn times_have_seven_digits() {
        assert_eq!(
            fmt_time(datetime!(2021-04-27 12:19:27.7211305 UTC)),
            "2021-04-27T12:19:27.7211305Z"
        );
        assert_eq!(
            fmt_time(datetime!(2021-04-27 14:19:27 +02:00)),
            "2021-04-27T12:19:27.0000000Z"
        );
    }
}
