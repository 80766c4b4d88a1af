//! Display-width helpers shared by the console (document builder and renderer) and the
//! headless table output.
//!
//! Terminal cells are measured with `unicode-width` (as ratatui does), never in bytes or
//! chars, so CJK and emoji titles truncate at the right column instead of overflowing it or
//! splitting a wide glyph in half.

use std::borrow::Cow;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width of `s` in terminal columns.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Cuts `s` to at most `max` columns, ending in `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::with_capacity(max + 3);
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        // Keep one column for the ellipsis; a wide glyph that would straddle it is dropped.
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    Cow::Owned(out)
}

/// [`truncate`] then pads with spaces to exactly `cols` columns, for fixed-width cells.
pub fn fit(s: &str, cols: usize) -> String {
    let cut = truncate(s, cols);
    let pad = cols.saturating_sub(width(&cut));
    let mut out = String::with_capacity(cut.len() + pad);
    out.push_str(&cut);
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// [`truncate`] then right-aligns in exactly `cols` columns (numbers line up).
pub fn fit_right(s: &str, cols: usize) -> String {
    let cut = truncate(s, cols);
    format!("{}{cut}", " ".repeat(cols.saturating_sub(width(&cut))))
}

/// Word-wraps `s` (which may hold `\n`) to lines of at most `max` columns; words longer than
/// a line are broken by display width. A line's leading spaces are kept and repeated on its
/// continuation lines, so indented text (JSON, numbered steps) stays readable.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut out = Vec::new();
    for para in s.split('\n') {
        let body = para.trim_start_matches(' ');
        let indent = (para.len() - body.len()).min(max / 2);
        let pad = " ".repeat(indent);
        let first = out.len();
        wrap_para(body, max - indent, &mut out);
        for line in &mut out[first..] {
            line.insert_str(0, &pad);
        }
    }
    out
}

fn wrap_para(para: &str, max: usize, out: &mut Vec<String>) {
    let max = max.max(1);
    {
        let mut line = String::new();
        let mut used = 0;
        for word in para.split(' ') {
            let ww = width(word);
            let sep = usize::from(!line.is_empty());
            if used + sep + ww <= max {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                used += sep + ww;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
                used = 0;
            }
            if ww <= max {
                line.push_str(word);
                used = ww;
                continue;
            }
            for c in word.chars() {
                let cw = char_width(c);
                if used + cw > max && !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push(c);
                used += cw;
            }
        }
        out.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_by_display_width() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 3), "abc");
        // Each CJK glyph is two columns; a glyph that would straddle the ellipsis is dropped.
        assert_eq!(truncate("漢字漢字", 5), "漢字…");
        assert_eq!(truncate("漢字漢字", 4), "漢…");
        assert_eq!(width(&truncate("🦀🦀🦀", 4)), 3);
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn fit_pads_to_exact_width() {
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(width(&fit("漢字漢字", 5)), 5);
    }

    #[test]
    fn wrap_breaks_words_and_long_runs() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("a\nb", 10), ["a", "b"]);
        assert_eq!(wrap("  aa bb", 5), ["  aa", "  bb"]);
        assert!(wrap("漢字漢字漢", 4).iter().all(|l| width(l) <= 4));
    }
}
