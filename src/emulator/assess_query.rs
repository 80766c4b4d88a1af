//! Query options of the threat assessment routes (see [`super::assess`]): `$filter` (`eq`
//! on the documented properties joined by `and`), `$orderby`, `$select`, `$expand=results`,
//! `$top`, and the list's opaque `$skiptoken`.
//!
//! The skiptoken names the last item of the page it follows (keyset paging), bound by a
//! keyed checksum to the query it was issued for: a request submitted while a client pages
//! does not shift the pages, and a token that was edited or taken to another query is
//! refused.

use super::assess::{BASE, Kind, MAX_PAGE};
use super::error::GraphError;
use super::generate::mix64;
use base64::Engine as _;

type Result<T> = std::result::Result<T, GraphError>;

fn is(seg: &str, name: &str) -> bool {
    seg.eq_ignore_ascii_case(name)
}

/// What an item looks like on the way out: `$select` and `$expand=results`.
#[derive(Debug, Default)]
pub(super) struct Shape {
    pub(super) select: Option<Vec<String>>,
    pub(super) expand: bool,
}

impl Shape {
    pub(super) fn selects(&self, k: &str) -> bool {
        self.select
            .as_ref()
            .is_none_or(|s| s.iter().any(|p| p == k))
    }
}

const FILTERABLE: [&str; 4] = ["contentType", "status", "category", "requestSource"];
const SORTABLE: [&str; 7] = [
    "createdDateTime",
    "contentType",
    "status",
    "category",
    "requestSource",
    "expectedAssessment",
    "id",
];

#[derive(Debug, Default)]
pub(super) struct Query {
    pub(super) shape: Shape,
    pub(super) filter: Vec<(&'static str, String)>,
    pub(super) order: Vec<(&'static str, bool)>,
    pub(super) top: Option<usize>,
    skiptoken: Option<String>,
    /// The caller's segments minus `$skiptoken`, still encoded, for nextLink.
    pub(super) preserved: Vec<String>,
}

fn canonical(name: &str, known: &[&'static str]) -> Option<&'static str> {
    known.iter().copied().find(|k| k.eq_ignore_ascii_case(name))
}

/// Every property name a request of some kind has, for `$select`.
fn selectable(name: &str) -> Option<String> {
    BASE.iter()
        .copied()
        .chain(
            Kind::ALL
                .iter()
                .flat_map(|k| k.properties().iter().copied()),
        )
        .find(|p| p.eq_ignore_ascii_case(name))
        .map(str::to_owned)
}

/// `prop eq 'value' [and prop eq 'value' ...]`.
pub(super) fn parse_filter(src: &str) -> Result<Vec<(&'static str, String)>> {
    let bad = |why: &str| GraphError::bad_query(format!("invalid $filter '{src}': {why}"));
    let mut out = Vec::new();
    let mut rest = src.trim();
    loop {
        let (prop, after) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected 'property eq value'"))?;
        let prop = canonical(prop, &FILTERABLE).ok_or_else(|| {
            bad(&format!(
                "'{prop}' cannot be filtered on (filterable: {})",
                FILTERABLE.join(", ")
            ))
        })?;
        let after = after.trim_start();
        let (op, after) = after
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected 'eq'"))?;
        if !is(op, "eq") {
            return Err(bad(&format!("operator '{op}' is not supported (only eq)")));
        }
        let after = after.trim_start();
        let body = after
            .strip_prefix('\'')
            .ok_or_else(|| bad("expected a quoted value"))?;
        // A quote inside the literal is doubled.
        let mut value = String::new();
        let mut chars = body.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                    value.push('\'');
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                value.push(c);
            }
        }
        let end = end.ok_or_else(|| bad("unterminated string literal"))?;
        out.push((prop, value));
        rest = body[end..].trim_start();
        if rest.is_empty() {
            return Ok(out);
        }
        let (and, after) = rest
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected 'and'"))?;
        if !is(and, "and") {
            return Err(bad(&format!("'{and}' is not supported (only and)")));
        }
        rest = after.trim_start();
    }
}

pub(super) fn parse_query(raw: Option<&str>, list: bool) -> Result<Query> {
    let mut q = Query::default();
    let mut seen: Vec<String> = Vec::new();
    for seg in raw.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
        let Some((key, value)) = url::form_urlencoded::parse(seg.as_bytes()).next() else {
            continue;
        };
        let lower = key.to_ascii_lowercase();
        if lower.starts_with('$') {
            if seen.contains(&lower) {
                return Err(GraphError::bad_query(format!(
                    "query option '{key}' is given more than once"
                )));
            }
            seen.push(lower.clone());
        }
        if lower != "$skiptoken" {
            q.preserved.push(seg.to_owned());
        }
        match lower.as_str() {
            "$select" => {
                let mut props = Vec::new();
                for p in value.split(',').map(str::trim) {
                    props.push(selectable(p).ok_or_else(|| {
                        GraphError::bad_query(format!(
                            "invalid $select: '{p}' is not a property of threatAssessmentRequest"
                        ))
                    })?);
                }
                q.shape.select = Some(props);
            }
            "$expand" => {
                for nav in value.split(',').map(str::trim) {
                    if !is(nav, "results") {
                        return Err(GraphError::bad_query(format!(
                            "invalid $expand: '{nav}' cannot be expanded (expandable: results)"
                        )));
                    }
                }
                q.shape.expand = true;
            }
            "$filter" if list => q.filter = parse_filter(&value)?,
            "$orderby" if list => {
                for part in value.split(',').map(str::trim) {
                    let mut words = part.split_whitespace();
                    let name = words.next().unwrap_or_default();
                    let prop = canonical(name, &SORTABLE).ok_or_else(|| {
                        GraphError::bad_query(format!(
                            "invalid $orderby: '{name}' cannot be sorted on (sortable: {})",
                            SORTABLE.join(", ")
                        ))
                    })?;
                    let desc = match words.next() {
                        None => false,
                        Some(d) if is(d, "asc") => false,
                        Some(d) if is(d, "desc") => true,
                        Some(d) => {
                            return Err(GraphError::bad_query(format!(
                                "invalid $orderby: '{d}' (expected asc or desc)"
                            )));
                        }
                    };
                    if words.next().is_some() {
                        return Err(GraphError::bad_query(format!("invalid $orderby: '{part}'")));
                    }
                    q.order.push((prop, desc));
                }
            }
            "$top" if list => {
                let n: usize = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| {
                        GraphError::bad_query(format!(
                            "invalid $top '{value}': expected a positive integer"
                        ))
                    })?;
                q.top = Some(n.min(MAX_PAGE));
            }
            "$skiptoken" if list => q.skiptoken = Some(value.into_owned()),
            k if k.starts_with('$') => {
                return Err(GraphError::bad_query(format!(
                    "query option '{key}' is not supported here (supported: {})",
                    if list {
                        "$filter, $orderby, $select, $expand, $top, $skiptoken"
                    } else {
                        "$select, $expand"
                    }
                )));
            }
            // Graph ignores parameters that are not OData options.
            _ => {}
        }
    }
    if q.order.is_empty() {
        q.order.push(("createdDateTime", true));
    }
    Ok(q)
}

impl Query {
    /// What a skiptoken is bound to: every option but the token itself.
    fn fingerprint(&self, key: u64) -> u64 {
        let mut h = mix64(key ^ 0x5ea7_0c3e);
        for seg in &self.preserved {
            for b in seg.bytes() {
                h = mix64(h ^ u64::from(b));
            }
            h = mix64(h ^ 0xff);
        }
        h
    }

    /// A token resuming after the item `last_id` (keyset paging, so requests submitted
    /// while a client pages do not shift the pages).
    pub(super) fn skiptoken_for(&self, key: u64, last_id: &str) -> String {
        let mut h = self.fingerprint(key);
        for b in last_id.bytes() {
            h = mix64(h ^ u64::from(b));
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("a1.{last_id}.{h:016x}"))
    }

    /// The id the page resumes after, if the token was issued for this query.
    pub(super) fn resume_after(&self, key: u64) -> Result<Option<String>> {
        let Some(token) = &self.skiptoken else {
            return Ok(None);
        };
        let bad = || {
            GraphError::bad_query(
                "invalid $skiptoken: it was not issued for this query (follow @odata.nextLink verbatim)",
            )
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let id = text
            .strip_prefix("a1.")
            .and_then(|r| r.rsplit_once('.'))
            .map(|(id, _)| id.to_owned())
            .ok_or_else(bad)?;
        if self.skiptoken_for(key, &id) != *token {
            return Err(bad());
        }
        Ok(Some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_eq_joined_by_and() {
        assert_eq!(
            parse_filter("status eq 'pending' and contentType eq 'url'").unwrap(),
            vec![("status", "pending".into()), ("contentType", "url".into())]
        );
        assert_eq!(
            parse_filter("CATEGORY eq 'it''s'").unwrap(),
            vec![("category", "it's".into())]
        );
        for bad in [
            "status ne 'pending'",
            "url eq 'x'",
            "status eq pending",
            "status eq 'pending' or status eq 'completed'",
            "status eq 'pending",
            "status",
        ] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }
}
