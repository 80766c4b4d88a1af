//! Query options of the alerts_v2 list and its opaque `$skiptoken`.
//!
//! Options arrive percent-encoded, with `$` literal or as `%24`, and `+` for spaces (the
//! documented examples write `$filter=severity+eq+'high'`). A `@odata.nextLink` keeps the
//! caller's options exactly as they were sent and adds a `$skiptoken` that carries the store
//! position to resume from, bound by a keyed checksum to the query it was issued for: a
//! token that was edited, or that belongs to another query, is refused.

use super::filter::{self, Expr, Schema};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::form_urlencoded;

/// Page size when the caller gives no `$top` (and `--page-size` is not set).
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Graph does not document alerts_v2's maximum page size; the emulator clamps `$top` (and
/// `--page-size`) to 2,000, the largest page other security lists document.
pub const MAX_PAGE_SIZE: usize = 2000;

/// The list request's options, validated.
#[derive(Debug)]
pub struct ListQuery {
    pub filter: Option<Expr>,
    filter_text: Option<String>,
    /// Page size: `$top` clamped to [`MAX_PAGE_SIZE`], or the server default.
    pub top: usize,
    /// `$top` exactly as asked, for the checksum.
    top_asked: Option<u64>,
    pub skip: usize,
    pub count: bool,
    /// `$expand=alerts` on incidents.
    pub expand_alerts: bool,
    pub skiptoken: Option<String>,
    /// The caller's query segments minus any `$skiptoken`, still encoded, for nextLink.
    preserved: Vec<String>,
}

/// The OData system query options every list takes; `$expand` where the schema allows.
const SUPPORTED: &str = "$filter, $top, $skip, $count";

impl ListQuery {
    /// Parses the raw (still percent-encoded) query string of an alerts_v2 list.
    pub fn parse(raw: Option<&str>, default_top: usize) -> Result<Self, String> {
        Self::parse_for(raw, default_top, &filter::ALERTS)
    }

    /// Parses the raw query string of a list whose vocabulary is `schema`.
    pub fn parse_for(
        raw: Option<&str>,
        default_top: usize,
        schema: &'static Schema,
    ) -> Result<Self, String> {
        let mut q = ListQuery {
            filter: None,
            filter_text: None,
            top: default_top.clamp(1, MAX_PAGE_SIZE),
            top_asked: None,
            skip: 0,
            count: false,
            expand_alerts: false,
            skiptoken: None,
            preserved: Vec::new(),
        };
        let mut seen: Vec<String> = Vec::new();
        for seg in raw.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
            let Some((key, value)) = form_urlencoded::parse(seg.as_bytes()).next() else {
                continue;
            };
            let lower = key.to_ascii_lowercase();
            if lower.starts_with('$') {
                if seen.contains(&lower) {
                    return Err(format!("query option '{key}' is given more than once"));
                }
                seen.push(lower.clone());
            }
            if lower != "$skiptoken" {
                q.preserved.push(seg.to_owned());
            }
            match lower.as_str() {
                "$filter" => {
                    let e = filter::parse_for(&value, schema)
                        .map_err(|e| format!("invalid $filter: {e}"))?;
                    q.filter = Some(e);
                    q.filter_text = Some(value.into_owned());
                }
                "$top" => {
                    let n: u64 = value
                        .trim()
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| {
                            format!("invalid $top '{value}': expected a positive integer")
                        })?;
                    q.top_asked = Some(n);
                    q.top = usize::try_from(n).unwrap_or(usize::MAX).min(MAX_PAGE_SIZE);
                }
                "$skip" => {
                    let n: u64 = value.trim().parse().map_err(|_| {
                        format!("invalid $skip '{value}': expected a non-negative integer")
                    })?;
                    q.skip = usize::try_from(n).unwrap_or(usize::MAX);
                }
                "$count" => {
                    q.count = match value.trim().to_ascii_lowercase().as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(format!(
                                "invalid $count '{value}': expected true or false"
                            ));
                        }
                    };
                }
                "$skiptoken" => q.skiptoken = Some(value.into_owned()),
                "$expand" if !schema.expandable.is_empty() => {
                    for nav in value.split(',').map(str::trim) {
                        if !schema
                            .expandable
                            .iter()
                            .any(|n| n.eq_ignore_ascii_case(nav))
                        {
                            return Err(format!(
                                "invalid $expand: '{nav}' cannot be expanded on {} \
                                 (expandable: {})",
                                schema.collection,
                                schema.expandable.join(", ")
                            ));
                        }
                    }
                    q.expand_alerts = true;
                }
                k if k.starts_with('$') => {
                    let expand = if schema.expandable.is_empty() {
                        ""
                    } else {
                        ", $expand"
                    };
                    return Err(format!(
                        "query option '{key}' is not supported on {} (supported: {SUPPORTED}{expand})",
                        schema.collection
                    ));
                }
                // Graph ignores parameters that are not OData options; so does the emulator.
                _ => {}
            }
        }
        Ok(q)
    }

    /// What a skiptoken is bound to: the options that decide which items a page holds.
    fn fingerprint(&self, key: u64) -> u64 {
        let mut h = Hasher::new(key);
        h.write(self.filter_text.as_deref().unwrap_or("").as_bytes());
        h.write(&[0xff]);
        h.write(&self.top_asked.unwrap_or(0).to_le_bytes());
        h.write(&(self.skip as u64).to_le_bytes());
        h.write(&[u8::from(self.count)]);
        h.finish()
    }

    /// The skiptoken for resuming at store position `cursor`.
    pub fn skiptoken_for(&self, key: u64, cursor: usize) -> String {
        let mac = mac(self.fingerprint(key), cursor);
        URL_SAFE_NO_PAD.encode(format!("v1.{cursor}.{mac:016x}"))
    }

    /// The store position a skiptoken resumes at, if it was issued for this query.
    pub fn resume_at(&self, key: u64) -> Result<Option<usize>, String> {
        let Some(token) = &self.skiptoken else {
            return Ok(None);
        };
        let bad = || {
            "invalid $skiptoken: it was not issued for this query (follow @odata.nextLink verbatim)"
                .to_owned()
        };
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
        let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
        let cursor = text
            .strip_prefix("v1.")
            .and_then(|rest| rest.split('.').next())
            .filter(|c| !c.is_empty() && c.len() <= 20 && c.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|c| c.parse::<usize>().ok())
            .ok_or_else(bad)?;
        // Valid only if it is exactly the token this server issues for this query and
        // position: any edit, any other query, any other tenant fails.
        if self.skiptoken_for(key, cursor) != *token {
            return Err(bad());
        }
        Ok(Some(cursor))
    }

    /// The next page's URL: `base` plus the caller's options as sent plus the skiptoken.
    pub fn next_link(&self, base: &str, key: u64, cursor: usize) -> String {
        let mut url = String::from(base);
        url.push('?');
        for seg in &self.preserved {
            url.push_str(seg);
            url.push('&');
        }
        url.push_str("$skiptoken=");
        url.push_str(&self.skiptoken_for(key, cursor));
        url
    }
}

fn mac(fingerprint: u64, cursor: usize) -> u64 {
    let mut h = Hasher::new(fingerprint);
    h.write(&(cursor as u64).to_le_bytes());
    h.finish()
}

/// FNV-1a with a key and a splitmix64 finish: not cryptographic (the emulator has nothing
/// to protect), but any edit to a token or a query changes the checksum.
struct Hasher(u64);

impl Hasher {
    fn new(key: u64) -> Self {
        Hasher(0xcbf2_9ce4_8422_2325 ^ super::generate::mix64(key))
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        super::generate::mix64(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_decode_with_dollar_or_percent24() {
        let a =
            ListQuery::parse(Some("$filter=severity+eq+'high'&$top=5&$count=true"), 100).unwrap();
        let b = ListQuery::parse(
            Some("%24filter=severity%20eq%20%27high%27&%24top=5&%24count=TRUE"),
            100,
        )
        .unwrap();
        assert_eq!(a.filter, b.filter);
        assert!(a.filter.is_some());
        assert_eq!((a.top, b.top, a.count, b.count), (5, 5, true, true));
        assert_eq!(a.fingerprint(7), b.fingerprint(7));
    }

    #[test]
    fn bad_options_are_refused() {
        for q in [
            "$top=0",
            "$top=-1",
            "$top=abc",
            "$skip=-3",
            "$count=yes",
            "$select=title",
            "$orderby=createdDateTime",
            "$expand=evidence",
            "$top=1&%24top=2",
            "$filter=title+eq+'x'",
        ] {
            assert!(ListQuery::parse(Some(q), 100).is_err(), "{q}");
        }
        assert!(ListQuery::parse(Some("api-version=1&foo=bar"), 100).is_ok());
    }

    #[test]
    fn top_is_clamped() {
        let q = ListQuery::parse(Some("$top=999999999999"), 100).unwrap();
        assert_eq!(q.top, MAX_PAGE_SIZE);
        assert_eq!(ListQuery::parse(None, 7).unwrap().top, 7);
    }

    #[test]
    fn skiptoken_round_trips_and_detects_tampering() {
        let q = ListQuery::parse(Some("$filter=status+eq+'new'&$top=10"), 100).unwrap();
        let link = q.next_link("http://h/v1.0/security/alerts_v2", 42, 1234);
        assert!(link.starts_with(
            "http://h/v1.0/security/alerts_v2?$filter=status+eq+'new'&$top=10&$skiptoken="
        ));
        let raw = link.split_once('?').unwrap().1;
        let next = ListQuery::parse(Some(raw), 100).unwrap();
        assert_eq!(next.resume_at(42), Ok(Some(1234)));
        // Another server key, another query, an edited cursor, junk: all refused.
        assert!(next.resume_at(43).is_err());
        let token = next.skiptoken.clone().unwrap();
        let other = ListQuery::parse(
            Some(&format!(
                "$filter=status+eq+'resolved'&$top=10&$skiptoken={token}"
            )),
            100,
        )
        .unwrap();
        assert!(other.resume_at(42).is_err());
        let forged = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(&token).unwrap())
                .unwrap()
                .replace("1234", "1235"),
        );
        let forged_q = ListQuery::parse(
            Some(&format!(
                "$filter=status+eq+'new'&$top=10&$skiptoken={forged}"
            )),
            100,
        )
        .unwrap();
        assert!(forged_q.resume_at(42).is_err());
        let plus = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(&token).unwrap())
                .unwrap()
                .replace("v1.", "v1.+"),
        );
        let plus_q = ListQuery::parse(
            Some(&format!(
                "$filter=status+eq+'new'&$top=10&$skiptoken={plus}"
            )),
            100,
        )
        .unwrap();
        assert!(plus_q.resume_at(42).is_err());
        for junk in ["", "%%%", "djEuMS4y", "v1.5.abc", "🦀"] {
            let q = ListQuery {
                skiptoken: Some(junk.into()),
                ..ListQuery::parse(None, 100).unwrap()
            };
            assert!(q.resume_at(42).is_err(), "{junk}");
        }
    }

    #[test]
    fn junk_query_strings_never_panic() {
        let parts = [
            "$filter=",
            "%24top=",
            "$skip=",
            "$count=",
            "$skiptoken=",
            "&",
            "=",
            "%",
            "%2",
            "%FF",
            "%00",
            "+",
            "'",
            "severity",
            "eq",
            "1",
            "-1",
            "true",
            "🦀",
            "$",
            "%24",
            "v1.0.0",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(state % 10) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                s.push_str(parts[(state % parts.len() as u64) as usize]);
            }
            if let Ok(q) = ListQuery::parse(Some(&s), 100) {
                let _ = q.resume_at(1);
                let _ = q.next_link("http://h/p", 1, 3);
            }
        }
    }

    #[test]
    fn next_link_drops_the_old_skiptoken() {
        let q = ListQuery::parse(Some("$top=2&$skiptoken=abc&x=1"), 100).unwrap();
        let link = q.next_link("http://h/p", 1, 5);
        assert_eq!(link.matches("skiptoken").count(), 1);
        assert!(link.contains("$top=2&x=1&$skiptoken="));
    }
}
