//! Attack simulation and training (surface.md §8): `security/attackSimulation` and the
//! tenant-level report functions under `reports/security`, over [`SimsData`].
//!
//! Served, on `v1.0` and `beta` alike unless noted:
//! - `simulations` (list; `$top`, `$skiptoken`, `$count`, `$filter`, `$orderby`, `$select`)
//!   and `simulations/{id}` (`$select`); list items carry `report` only when `$select` names
//!   it, a simulation read by id carries it (null until the simulation has run);
//! - `simulations/{id}/report` (the property);
//! - beta only: `simulations/{id}/report/overview` and `.../report/simulationUsers` (paged);
//!   on v1.0 they answer 400 naming the segment, as Graph does for a segment its v1.0
//!   model lacks. A simulation that has not run has no overview (404) and no users (empty);
//! - `simulationAutomations[/{id}[/runs]]`, `trainings[/{id}]`;
//! - `reports/security/getAttackSimulationRepeatOffenders`, `...SimulationUserCoverage`,
//!   `...TrainingUserCoverage`, with or without `()`.
//!
//! Every collection pages with an opaque `$skiptoken` in an absolute `@odata.nextLink` that
//! keeps the caller's other options. Graph documents no default or maximum page size here;
//! the emulator sends [`DEFAULT_TOP`] items a page (or the emulator's `--page-size` when
//! that is smaller, so tests can page small collections) and clamps `$top` to
//! [`MAX_TOP`]. Reads only: the documented POST/PATCH (202 + `Location`) are not served
//! and answer 405 with `Allow`.
//!
//! `oAuthConsentGrant` was added to `simulationAttackTechnique` after `unknownFutureValue`,
//! so it is sent only to callers that send `Prefer: include-unknown-enum-members`; others
//! read `unknownFutureValue` (surface.md §1.1). Filters and ordering see the real value.
//!
//! Paths are parsed here, segment names case-insensitively and keys either as segments or
//! in parentheses, as in [`super::cases`].

use super::cases::Version;
use super::error::GraphError;
use super::faults::Route;
use super::generate::mix64;
use super::server::AppState;
use super::sims_data::{LATE_TECHNIQUE, SimsData};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

type Result<T> = std::result::Result<T, GraphError>;

/// Items a page when the caller gives no `$top`.
pub const DEFAULT_TOP: usize = 10;
/// The largest page the emulator sends, whatever `$top` asks.
pub const MAX_TOP: usize = 1000;

// ---- paths -------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Simulations,
    Simulation(String),
    Report(String),
    Overview(String),
    SimulationUsers(String),
    Automations,
    Automation(String),
    Runs(String),
    Trainings,
    Training(String),
    RepeatOffenders,
    UserCoverage,
    TrainingCoverage,
    /// A segment Graph would not know here.
    Unknown(String),
}

fn is(seg: &str, name: &str) -> bool {
    seg.eq_ignore_ascii_case(name)
}

/// A function segment: bare, namespace-qualified, with or without `()`.
fn is_function(seg: &str, name: &str) -> bool {
    let s = seg.strip_suffix("()").unwrap_or(seg);
    is(s, name)
        || s.strip_prefix("microsoft.graph.")
            .is_some_and(|s| is(s, name))
}

/// The version, whether the path is under `reports/security` (else `security/attackSimulation`),
/// and the segments after that prefix, percent-decoded, with `name('key')` split in two.
fn segments(path: &str) -> Option<(Version, bool, Vec<String>)> {
    let mut all = Vec::new();
    for raw in path.split('/').filter(|s| !s.is_empty()) {
        let s = percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned();
        match s.find('(') {
            Some(open) if s.ends_with(')') && open > 0 && !s.ends_with("()") => {
                let key = &s[open + 1..s.len() - 1];
                let key = key
                    .strip_prefix('\'')
                    .and_then(|k| k.strip_suffix('\''))
                    .unwrap_or(key);
                all.push(s[..open].to_owned());
                all.push(key.replace("''", "'"));
            }
            _ => all.push(s),
        }
    }
    let version = match all.first().map(String::as_str) {
        Some("v1.0") => Version::V1,
        Some("beta") => Version::Beta,
        _ => return None,
    };
    match all.get(1..3) {
        Some([a, b]) if is(a, "security") && is(b, "attackSimulation") => {
            Some((version, false, all[3..].to_vec()))
        }
        Some([a, b]) if is(a, "reports") && is(b, "security") => {
            Some((version, true, all[3..].to_vec()))
        }
        _ => None,
    }
}

fn target(version: Version, reports: bool, segs: &[String]) -> Target {
    let unknown = |s: &str| Target::Unknown(s.to_owned());
    let own = |s: &String| s.clone();
    if reports {
        return match segs {
            [f] if is_function(f, "getAttackSimulationRepeatOffenders") => Target::RepeatOffenders,
            [f] if is_function(f, "getAttackSimulationSimulationUserCoverage") => {
                Target::UserCoverage
            }
            [f] if is_function(f, "getAttackSimulationTrainingUserCoverage") => {
                Target::TrainingCoverage
            }
            [] => unknown("security"),
            [f, ..] => unknown(f),
        };
    }
    match segs {
        [] => unknown("attackSimulation"),
        [s] if is(s, "simulations") => Target::Simulations,
        [s, id] if is(s, "simulations") => Target::Simulation(own(id)),
        [s, id, r] if is(s, "simulations") && is(r, "report") => Target::Report(own(id)),
        // The report's overview and users are addressable on beta only.
        [s, id, r, o] if is(s, "simulations") && is(r, "report") && version == Version::Beta => {
            if is(o, "overview") {
                Target::Overview(own(id))
            } else if is(o, "simulationUsers") {
                Target::SimulationUsers(own(id))
            } else {
                unknown(o)
            }
        }
        [s, _, r, o, ..] if is(s, "simulations") && is(r, "report") => unknown(o),
        [s, _, r, ..] if is(s, "simulations") => unknown(r),
        [a] if is(a, "simulationAutomations") => Target::Automations,
        [a, id] if is(a, "simulationAutomations") => Target::Automation(own(id)),
        [a, id, r] if is(a, "simulationAutomations") && is(r, "runs") => Target::Runs(own(id)),
        [a, _, r, ..] if is(a, "simulationAutomations") => unknown(r),
        [t] if is(t, "trainings") => Target::Trainings,
        [t, id] if is(t, "trainings") => Target::Training(own(id)),
        [t, _, r, ..] if is(t, "trainings") => unknown(r),
        [first, ..] => unknown(first),
    }
}

/// The counter class of an attack simulation or security report path; `None` for any
/// other path.
pub fn classify(path: &str) -> Option<Route> {
    let (version, reports, segs) = segments(path)?;
    Some(match target(version, reports, &segs) {
        Target::Simulations => Route::AttackSimulations,
        Target::Simulation(_)
        | Target::Report(_)
        | Target::Overview(_)
        | Target::SimulationUsers(_) => Route::AttackSimulation,
        Target::RepeatOffenders | Target::UserCoverage | Target::TrainingCoverage => {
            Route::SecurityReports
        }
        Target::Unknown(_) if reports => Route::SecurityReports,
        _ => Route::AttackSimulationItems,
    })
}

// ---- query options -----------------------------------------------------------------

/// How a filterable property's literal is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Bool,
    Date,
}

/// What a collection lets the caller filter, order and select on.
struct Schema {
    name: &'static str,
    /// Filterable and orderable properties.
    props: &'static [(&'static str, Kind)],
    select: bool,
}

const SIMULATIONS: Schema = Schema {
    name: "simulations",
    props: &[
        ("attackTechnique", Kind::Text),
        ("attackType", Kind::Text),
        ("completionDateTime", Kind::Date),
        ("displayName", Kind::Text),
        ("isAutomated", Kind::Bool),
        ("launchDateTime", Kind::Date),
        ("status", Kind::Text),
    ],
    select: true,
};
const AUTOMATIONS: Schema = Schema {
    name: "simulationAutomations",
    props: &[("displayName", Kind::Text), ("status", Kind::Text)],
    select: true,
};
const TRAININGS: Schema = Schema {
    name: "trainings",
    props: &[
        ("displayName", Kind::Text),
        ("availabilityStatus", Kind::Text),
        ("source", Kind::Text),
        ("type", Kind::Text),
    ],
    select: true,
};
/// Report functions, run users and automation runs: paging and `$count` only.
const PLAIN: Schema = Schema {
    name: "this collection",
    props: &[],
    select: false,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone)]
enum Lit {
    Null,
    Text(String),
    Bool(bool),
    Date(OffsetDateTime),
}

#[derive(Debug, Clone)]
struct Term {
    prop: &'static str,
    op: Op,
    lit: Lit,
}

#[derive(Debug, Default)]
struct Query {
    top: usize,
    skip: usize,
    count: bool,
    filter: Vec<Term>,
    orderby: Vec<(&'static str, bool)>,
    select: Option<Vec<String>>,
    skiptoken: Option<String>,
    /// The caller's segments minus `$skiptoken`, still encoded, for nextLink and the token.
    preserved: Vec<String>,
}

fn lookup(schema: &Schema, name: &str) -> Option<(&'static str, Kind)> {
    schema
        .props
        .iter()
        .copied()
        .find(|(p, _)| p.eq_ignore_ascii_case(name))
}

/// Splits a filter into words, keeping quoted literals (with `''` escapes) whole.
fn words(src: &str) -> std::result::Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = src.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut w = String::new();
        if c == '\'' {
            w.push(chars.next().unwrap_or('\''));
            loop {
                match chars.next() {
                    None => return Err("unterminated string literal".into()),
                    Some('\'') if chars.peek() == Some(&'\'') => {
                        chars.next();
                        w.push('\'');
                        w.push('\'');
                    }
                    Some('\'') => {
                        w.push('\'');
                        break;
                    }
                    Some(ch) => w.push(ch),
                }
            }
        } else {
            while let Some(&ch) = chars.peek() {
                if ch.is_whitespace() {
                    break;
                }
                w.push(ch);
                chars.next();
            }
        }
        out.push(w);
    }
    Ok(out)
}

/// `prop op literal` joined by `and`: what the attack simulation pages document.
fn parse_filter(src: &str, schema: &Schema) -> std::result::Result<Vec<Term>, String> {
    if src.len() > 4096 {
        return Err("the filter is too long".into());
    }
    let ws = words(src)?;
    let mut terms = Vec::new();
    let mut i = 0;
    loop {
        let [name, op, lit] = ws
            .get(i..i + 3)
            .ok_or("expected 'property operator value'")?
        else {
            return Err("expected 'property operator value'".into());
        };
        let (prop, kind) = lookup(schema, name).ok_or_else(|| {
            format!(
                "'{name}' is not a filterable property of {} (filterable: {})",
                schema.name,
                schema
                    .props
                    .iter()
                    .map(|p| p.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "gt" if kind == Kind::Date => Op::Gt,
            "ge" if kind == Kind::Date => Op::Ge,
            "lt" if kind == Kind::Date => Op::Lt,
            "le" if kind == Kind::Date => Op::Le,
            _ => return Err(format!("operator '{op}' is not supported on '{prop}'")),
        };
        let lit = if lit == "null" {
            Lit::Null
        } else {
            match kind {
                Kind::Text => match lit.strip_prefix('\'').and_then(|l| l.strip_suffix('\'')) {
                    Some(t) => Lit::Text(t.replace("''", "'")),
                    None => return Err(format!("'{prop}' takes a quoted string, not {lit}")),
                },
                Kind::Bool => match lit.to_ascii_lowercase().as_str() {
                    "true" => Lit::Bool(true),
                    "false" => Lit::Bool(false),
                    _ => return Err(format!("'{prop}' takes true or false, not {lit}")),
                },
                Kind::Date => match OffsetDateTime::parse(lit, &Rfc3339) {
                    Ok(t) => Lit::Date(t),
                    Err(_) => {
                        return Err(format!("'{prop}' takes a date and time, not {lit}"));
                    }
                },
            }
        };
        terms.push(Term { prop, op, lit });
        i += 3;
        match ws.get(i) {
            None => return Ok(terms),
            Some(w) if w.eq_ignore_ascii_case("and") => i += 1,
            Some(w) => return Err(format!("unexpected '{w}': terms are joined with 'and'")),
        }
    }
}

fn parse_query(raw: Option<&str>, schema: &Schema, page_size: usize) -> Result<Query> {
    let bad = GraphError::bad_query;
    let mut q = Query {
        top: DEFAULT_TOP.min(page_size).max(1),
        ..Query::default()
    };
    let mut seen: Vec<String> = Vec::new();
    for seg in raw.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
        let Some((key, value)) = url::form_urlencoded::parse(seg.as_bytes()).next() else {
            continue;
        };
        let lower = key.to_ascii_lowercase();
        if lower.starts_with('$') {
            if seen.contains(&lower) {
                return Err(bad(format!("query option '{key}' is given more than once")));
            }
            seen.push(lower.clone());
        }
        if lower != "$skiptoken" {
            q.preserved.push(seg.to_owned());
        }
        let filterable = !schema.props.is_empty();
        match lower.as_str() {
            "$top" => {
                let n: u64 = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| {
                        bad(format!(
                            "invalid $top '{value}': expected a positive integer"
                        ))
                    })?;
                q.top = usize::try_from(n).unwrap_or(usize::MAX).min(MAX_TOP);
            }
            "$skip" => {
                q.skip = value.trim().parse().map_err(|_| {
                    bad(format!(
                        "invalid $skip '{value}': expected a non-negative integer"
                    ))
                })?;
            }
            "$count" => {
                q.count = match value.trim().to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(bad(format!(
                            "invalid $count '{value}': expected true or false"
                        )));
                    }
                }
            }
            "$skiptoken" => q.skiptoken = Some(value.into_owned()),
            "$filter" if filterable => {
                q.filter = parse_filter(&value, schema)
                    .map_err(|e| bad(format!("invalid $filter: {e}")))?;
            }
            "$orderby" if filterable => {
                for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    let mut parts = item.split_whitespace();
                    let name = parts.next().unwrap_or_default();
                    let (prop, _) = lookup(schema, name).ok_or_else(|| {
                        bad(format!(
                            "invalid $orderby: '{name}' cannot order {}",
                            schema.name
                        ))
                    })?;
                    let desc = match parts.next().map(str::to_ascii_lowercase).as_deref() {
                        None | Some("asc") => false,
                        Some("desc") => true,
                        Some(other) => {
                            return Err(bad(format!("invalid $orderby direction '{other}'")));
                        }
                    };
                    q.orderby.push((prop, desc));
                }
            }
            "$select" if schema.select => {
                q.select = Some(
                    value
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                );
            }
            k if k.starts_with('$') => {
                return Err(bad(format!(
                    "query option '{key}' is not supported on {}",
                    schema.name
                )));
            }
            // Graph ignores parameters that are not OData options.
            _ => {}
        }
    }
    Ok(q)
}

impl Query {
    /// The checksum binding a skiptoken to this query, this tenant and a position.
    fn mac(&self, key: u64, cursor: usize) -> u64 {
        let mut h = mix64(key ^ 0x5153_5f74);
        for seg in &self.preserved {
            for b in seg.bytes().chain([0xff]) {
                h = mix64(h ^ u64::from(b));
            }
        }
        mix64(h ^ cursor as u64)
    }

    fn token(&self, key: u64, cursor: usize) -> String {
        URL_SAFE_NO_PAD.encode(format!("s1.{cursor}.{:016x}", self.mac(key, cursor)))
    }

    fn resume_at(&self, key: u64) -> Result<usize> {
        let Some(token) = &self.skiptoken else {
            return Ok(0);
        };
        let bad = || {
            GraphError::bad_query(
                "invalid $skiptoken: it was not issued for this query (follow @odata.nextLink verbatim)",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
        let text = std::str::from_utf8(&bytes).map_err(|_| bad())?;
        let cursor: usize = text
            .strip_prefix("s1.")
            .and_then(|r| r.split('.').next())
            .filter(|c| !c.is_empty() && c.len() <= 20)
            .and_then(|c| c.parse().ok())
            .ok_or_else(bad)?;
        if self.token(key, cursor) != *token {
            return Err(bad());
        }
        Ok(cursor)
    }

    fn next_link(&self, base: &str, key: u64, cursor: usize) -> String {
        let mut url = format!("{base}?");
        for seg in &self.preserved {
            url.push_str(seg);
            url.push('&');
        }
        url.push_str("$skiptoken=");
        url.push_str(&self.token(key, cursor));
        url
    }

    fn matches(&self, item: &Value) -> bool {
        self.filter.iter().all(|t| term_holds(t, &item[t.prop]))
    }

    fn order(&self, items: &mut [Value]) {
        if self.orderby.is_empty() {
            return;
        }
        items.sort_by(|a, b| {
            for (prop, desc) in &self.orderby {
                let o = cmp_json(&a[*prop], &b[*prop]);
                let o = if *desc { o.reverse() } else { o };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
    }

    /// `$select`: the named properties (and `id`, which Graph always keeps).
    fn project(&self, item: Value) -> Value {
        let (Some(names), Value::Object(o)) = (&self.select, &item) else {
            return item;
        };
        let mut out = Map::new();
        for (k, v) in o {
            if k == "id" || names.iter().any(|n| n.eq_ignore_ascii_case(k)) {
                out.insert(k.clone(), v.clone());
            }
        }
        Value::Object(out)
    }

    fn selects(&self, name: &str) -> bool {
        self.select
            .as_ref()
            .is_some_and(|s| s.iter().any(|n| n.eq_ignore_ascii_case(name)))
    }
}

fn parse_date(v: &Value) -> Option<OffsetDateTime> {
    v.as_str()
        .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
}

fn term_holds(t: &Term, v: &Value) -> bool {
    let ord = match (&t.lit, v) {
        (Lit::Null, Value::Null) => Some(Ordering::Equal),
        (Lit::Null, _) | (_, Value::Null) => None,
        (Lit::Text(l), Value::String(s)) => Some(if s.eq_ignore_ascii_case(l) {
            Ordering::Equal
        } else {
            s.to_lowercase().cmp(&l.to_lowercase())
        }),
        (Lit::Bool(l), Value::Bool(b)) => Some(b.cmp(l)),
        (Lit::Date(l), v) => parse_date(v).map(|d| d.cmp(l)),
        _ => None,
    };
    match (t.op, ord) {
        (Op::Ne, None) => true,
        (_, None) => false,
        (Op::Eq, Some(o)) => o == Ordering::Equal,
        (Op::Ne, Some(o)) => o != Ordering::Equal,
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (Op::Lt, Some(o)) => o == Ordering::Less,
        (Op::Le, Some(o)) => o != Ordering::Greater,
    }
}

/// Nulls first, then by value; strings without regard to case (timestamps share one form).
fn cmp_json(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        _ => Ordering::Equal,
    }
}

// ---- replies -----------------------------------------------------------------------

struct Ctx<'a> {
    state: &'a AppState,
    origin: String,
    version: Version,
    raw_query: Option<String>,
    include_unknown: bool,
}

impl Ctx<'_> {
    fn data(&self) -> &SimsData {
        &self.state.sims
    }

    fn root(&self) -> String {
        format!("{}/{}", self.origin, self.version.as_str())
    }

    fn query(&self, schema: &Schema) -> Result<Query> {
        parse_query(self.raw_query.as_deref(), schema, self.state.page_size)
    }

    fn reply(&self, body: Value) -> Response {
        let mut body = body.to_string();
        if !self.include_unknown {
            // The only late member here, and only ever the value of `attackTechnique`;
            // serde_json writes members without spaces, so the pair is matched whole.
            body = body.replace(
                &format!("\"attackTechnique\":\"{LATE_TECHNIQUE}\""),
                "\"attackTechnique\":\"unknownFutureValue\"",
            );
        }
        super::routes::json_reply(body, self.include_unknown)
    }

    fn entity(&self, context: String, item: Value) -> Response {
        let mut o = Map::new();
        o.insert("@odata.context".into(), json!(context));
        if let Value::Object(rest) = item {
            o.extend(rest);
        }
        self.reply(Value::Object(o))
    }

    /// A page of `items` (already filtered and ordered) as `q` asks.
    fn page(&self, q: &Query, context: String, base: &str, items: Vec<Value>) -> Result<Response> {
        let start = q.resume_at(self.state.token_key)?;
        let items: Vec<Value> = items.into_iter().skip(q.skip).collect();
        let total = items.len();
        let end = start.saturating_add(q.top).min(total);
        let value: Vec<Value> = items
            .into_iter()
            .skip(start)
            .take(end.saturating_sub(start))
            .map(|v| q.project(v))
            .collect();
        let mut o = Map::new();
        o.insert("@odata.context".into(), json!(context));
        if q.count {
            o.insert("@odata.count".into(), json!(total));
        }
        if end < total {
            o.insert(
                "@odata.nextLink".into(),
                json!(q.next_link(base, self.state.token_key, end)),
            );
        }
        o.insert("value".into(), Value::Array(value));
        Ok(self.reply(Value::Object(o)))
    }

    /// Filter, order and page a collection.
    fn collection(
        &self,
        schema: &Schema,
        context: &str,
        path: &str,
        items: Vec<Value>,
    ) -> Result<Response> {
        let q = self.query(schema)?;
        let mut items: Vec<Value> = items.into_iter().filter(|v| q.matches(v)).collect();
        q.order(&mut items);
        let root = self.root();
        self.page(
            &q,
            format!("{root}/$metadata#{context}"),
            &format!("{root}/{path}"),
            items,
        )
    }
}

/// Every request under `/{version}/security/attackSimulation` and `/{version}/reports/security`.
pub async fn dispatch(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    let Some((version, reports, segs)) = segments(uri.path()) else {
        return Err(super::routes::unknown_path(uri).await);
    };
    let target = target(version, reports, &segs);
    let unknown = matches!(target, Target::Unknown(_));
    // An unknown segment is refused whatever the method; a known resource takes reads only.
    if !unknown && method != Method::GET && method != Method::HEAD {
        return Ok(super::error::not_allowed(&method, "GET, HEAD"));
    }
    let cx = Ctx {
        state: &state,
        origin: state.origin(&headers),
        version,
        raw_query: uri.query().map(str::to_owned),
        include_unknown: super::routes::include_unknown(&headers),
    };
    match target {
        Target::Simulations => list_simulations(&cx),
        Target::Simulation(id) => get_simulation(&cx, &id),
        Target::Report(id) => get_report(&cx, &id),
        Target::Overview(id) => get_overview(&cx, &id),
        Target::SimulationUsers(id) => list_users(&cx, &id),
        Target::Automations => cx.collection(
            &AUTOMATIONS,
            "security/attackSimulation/simulationAutomations",
            "security/attackSimulation/simulationAutomations",
            cx.data()
                .automations
                .iter()
                .map(|a| a.fields.clone())
                .collect(),
        ),
        Target::Automation(id) => {
            let a = find_automation(&cx, &id)?;
            let q = cx.query(&Schema {
                props: &[],
                ..AUTOMATIONS
            })?;
            cx_entity(
                &cx,
                "security/attackSimulation/simulationAutomations/$entity",
                q.project(a.fields.clone()),
            )
        }
        Target::Runs(id) => {
            let runs = find_automation(&cx, &id)?.runs.clone();
            cx.collection(
                &PLAIN,
                &format!("security/attackSimulation/simulationAutomations('{id}')/runs"),
                &format!("security/attackSimulation/simulationAutomations/{id}/runs"),
                runs,
            )
        }
        Target::Trainings => cx.collection(
            &TRAININGS,
            "security/attackSimulation/trainings",
            "security/attackSimulation/trainings",
            cx.data().trainings.clone(),
        ),
        Target::Training(id) => {
            let t = cx
                .data()
                .trainings
                .iter()
                .find(|t| t["id"].as_str() == Some(id.as_str()))
                .ok_or_else(|| GraphError::item_not_found("training", &id))?;
            let q = cx.query(&Schema {
                props: &[],
                ..TRAININGS
            })?;
            cx_entity(
                &cx,
                "security/attackSimulation/trainings/$entity",
                q.project(t.clone()),
            )
        }
        Target::RepeatOffenders => cx.collection(
            &PLAIN,
            "Collection(microsoft.graph.attackSimulationRepeatOffender)",
            "reports/security/getAttackSimulationRepeatOffenders",
            cx.data().repeat_offenders(),
        ),
        Target::UserCoverage => cx.collection(
            &PLAIN,
            "Collection(microsoft.graph.attackSimulationSimulationUserCoverage)",
            "reports/security/getAttackSimulationSimulationUserCoverage",
            cx.data().simulation_user_coverage(),
        ),
        Target::TrainingCoverage => cx.collection(
            &PLAIN,
            "Collection(microsoft.graph.attackSimulationTrainingUserCoverage)",
            "reports/security/getAttackSimulationTrainingUserCoverage",
            cx.data().training_user_coverage(),
        ),
        Target::Unknown(seg) => Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            format!("Resource not found for the segment '{seg}'."),
        )),
    }
}

fn cx_entity(cx: &Ctx<'_>, context: &str, item: Value) -> Result<Response> {
    Ok(cx.entity(format!("{}/$metadata#{context}", cx.root()), item))
}

fn find_automation<'d>(cx: &'d Ctx<'_>, id: &str) -> Result<&'d super::sims_data::Automation> {
    cx.data()
        .automations
        .iter()
        .find(|a| a.fields["id"].as_str() == Some(id))
        .ok_or_else(|| GraphError::item_not_found("simulationAutomation", id))
}

fn find_sim<'d>(cx: &'d Ctx<'_>, id: &str) -> Result<&'d super::sims_data::Sim> {
    cx.data()
        .find(id)
        .ok_or_else(|| GraphError::item_not_found("simulation", id))
}

fn list_simulations(cx: &Ctx<'_>) -> Result<Response> {
    let q = cx.query(&SIMULATIONS)?;
    let d = cx.data();
    let with_report = q.selects("report");
    let mut items: Vec<Value> = d
        .simulations
        .iter()
        .filter(|s| q.matches(&s.fields))
        .map(|s| {
            let mut v = s.fields.clone();
            if with_report {
                v["report"] = d.report(s).unwrap_or(Value::Null);
            }
            v
        })
        .collect();
    q.order(&mut items);
    let root = cx.root();
    cx.page(
        &q,
        format!("{root}/$metadata#security/attackSimulation/simulations"),
        &format!("{root}/security/attackSimulation/simulations"),
        items,
    )
}

fn get_simulation(cx: &Ctx<'_>, id: &str) -> Result<Response> {
    let q = cx.query(&Schema {
        props: &[],
        ..SIMULATIONS
    })?;
    let d = cx.data();
    let s = find_sim(cx, id)?;
    let mut v = s.fields.clone();
    v["report"] = d.report(s).unwrap_or(Value::Null);
    cx_entity(
        cx,
        "security/attackSimulation/simulations/$entity",
        q.project(v),
    )
}

fn get_report(cx: &Ctx<'_>, id: &str) -> Result<Response> {
    cx.query(&PLAIN)?;
    let d = cx.data();
    let s = find_sim(cx, id)?;
    let context = format!(
        "{}/$metadata#security/attackSimulation/simulations('{id}')/report",
        cx.root()
    );
    match d.report(s) {
        Some(r) => Ok(cx.entity(context, r)),
        // An unset complex property: Graph answers 204 for a null property value.
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

fn get_overview(cx: &Ctx<'_>, id: &str) -> Result<Response> {
    cx.query(&PLAIN)?;
    let d = cx.data();
    let s = find_sim(cx, id)?;
    let o = d.overview(s).ok_or_else(|| {
        GraphError::new(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            format!("The simulation '{id}' has not run, so it has no report yet."),
        )
    })?;
    cx_entity(cx, "microsoft.graph.simulationReportOverview", o)
}

fn list_users(cx: &Ctx<'_>, id: &str) -> Result<Response> {
    let d = cx.data();
    let s = find_sim(cx, id)?;
    let users: Vec<Value> = s
        .results
        .iter()
        .flatten()
        .map(|r| d.user_details(r))
        .collect();
    cx.collection(
        &PLAIN,
        &format!("security/attackSimulation/simulations('{id}')/report/simulationUsers"),
        &format!("security/attackSimulation/simulations/{id}/report/simulationUsers"),
        users,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(path: &str) -> Target {
        let (v, r, s) = segments(path).expect("an attack simulation path");
        target(v, r, &s)
    }

    #[test]
    fn paths_take_keys_both_ways_any_case_and_report_parts_only_on_beta() {
        assert_eq!(
            t("/v1.0/security/attackSimulation/simulations"),
            Target::Simulations
        );
        assert_eq!(
            t("/v1.0/Security/ATTACKSIMULATION/Simulations('a''b')"),
            Target::Simulation("a'b".into())
        );
        assert_eq!(
            t("/beta/security/attackSimulation/simulations/x/report/overview"),
            Target::Overview("x".into())
        );
        assert_eq!(
            t("/v1.0/security/attackSimulation/simulations/x/report/overview"),
            Target::Unknown("overview".into())
        );
        assert_eq!(
            t("/beta/reports/security/getAttackSimulationRepeatOffenders()"),
            Target::RepeatOffenders
        );
        assert_eq!(
            t("/v1.0/reports/security/microsoft.graph.getAttackSimulationTrainingUserCoverage"),
            Target::TrainingCoverage
        );
        assert_eq!(
            t("/v1.0/security/attackSimulation/payloads"),
            Target::Unknown("payloads".into())
        );
        assert!(segments("/v1.0/security/attackSimulations").is_none());
    }

    #[test]
    fn filters_take_eq_and_dates_and_refuse_the_rest() {
        let f = parse_filter(
            "status eq 'succeeded' and isAutomated eq false and launchDateTime ge 2020-01-01T00:00:00Z",
            &SIMULATIONS,
        )
        .unwrap();
        assert_eq!(f.len(), 3);
        let item = json!({"status": "Succeeded", "isAutomated": false, "launchDateTime": "2021-01-01T00:00:00.0000000Z"});
        assert!(f.iter().all(|t| term_holds(t, &item[t.prop])));
        assert!(parse_filter("description eq 'x'", &SIMULATIONS).is_err());
        assert!(parse_filter("status gt 'x'", &SIMULATIONS).is_err());
        assert!(parse_filter("status eq 'x' or status eq 'y'", &SIMULATIONS).is_err());
        assert!(parse_filter("displayName eq 'it''s", &SIMULATIONS).is_err());
        let q = parse_filter("displayName eq 'it''s'", &SIMULATIONS).unwrap();
        assert!(matches!(&q[0].lit, Lit::Text(s) if s == "it's"));
    }
}
