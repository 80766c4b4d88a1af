//! `$filter` for alerts_v2 and incidents: a tokenizer, a recursive-descent parser and an
//! evaluator.
//!
//! Only what Graph documents is accepted: comparisons (`eq ne gt ge lt le`), `in (...)`,
//! `and`, `or`, `not` and parentheses over each collection's filterable properties (its
//! [`Schema`]).
//! Anything else is a [`FilterError`] whose message names the problem, so a client author
//! sees why Graph would refuse the same query. The parser is fed untrusted input (and will
//! be fuzzed): it never panics, and nesting depth and input length are bounded.

use crate::graph::enums::{
    AlertClassification, AlertDetermination, AlertSeverity, AlertStatus, IncidentStatus,
    ServiceSource,
};
use crate::graph::lenient::parse_datetime;
use std::fmt;
use time::{Date, OffsetDateTime, Time};

/// Deepest nesting of parentheses / `not` accepted. Real filters nest two or three levels;
/// the bound keeps a hostile query from exhausting the stack.
pub const MAX_DEPTH: usize = 32;
/// Longest filter text accepted, in bytes.
pub const MAX_LEN: usize = 8 * 1024;
/// Most values accepted in one `in (...)` list.
pub const MAX_IN_VALUES: usize = 256;

/// Why a filter was refused; the message is shown to the client verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError(pub String);

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FilterError {}

fn err<T>(msg: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError(msg.into()))
}

/// The properties documented as filterable, on alerts_v2 or incidents. Where the two share
/// a name but not a type (`status`), each has its own variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prop {
    AssignedTo,
    Classification,
    Determination,
    CreatedDateTime,
    LastUpdateDateTime,
    Severity,
    ServiceSource,
    Status,
    /// An incident's `status` (`security.incidentStatus`).
    IncidentStatus,
}

/// One collection's filter vocabulary: what it lets you filter on, and the properties it
/// has but refuses (so the error can say "not filterable" rather than "no such property").
#[derive(Debug)]
pub struct Schema {
    /// The collection's name in messages, e.g. `alerts_v2`.
    pub collection: &'static str,
    /// The entity type's name in messages.
    pub entity: &'static str,
    pub props: &'static [Prop],
    pub not_filterable: &'static [&'static str],
    /// Navigation properties `$expand` may name on the list.
    pub expandable: &'static [&'static str],
}

/// `GET /security/alerts_v2` (surface.md §2.2).
pub static ALERTS: Schema = Schema {
    collection: "alerts_v2",
    entity: "microsoft.graph.security.alert",
    props: &Prop::ALL,
    not_filterable: NOT_FILTERABLE,
    expandable: &[],
};

/// `GET /security/incidents` (surface.md §3).
pub static INCIDENTS: Schema = Schema {
    collection: "incidents",
    entity: "microsoft.graph.security.incident",
    props: &[
        Prop::AssignedTo,
        Prop::Classification,
        Prop::CreatedDateTime,
        Prop::Determination,
        Prop::LastUpdateDateTime,
        Prop::Severity,
        Prop::IncidentStatus,
    ],
    not_filterable: &[
        "id",
        "alerts",
        "comments",
        "customTags",
        "description",
        "displayName",
        "incidentWebUrl",
        "lastModifiedBy",
        "priorityScore",
        "redirectIncidentId",
        "resolvingComment",
        "summary",
        "systemTags",
        "tenantId",
    ],
    expandable: &["alerts"],
};

impl Schema {
    /// Property names are matched case-insensitively, as Graph does.
    fn lookup(&self, name: &str) -> Option<Prop> {
        self.props
            .iter()
            .copied()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    fn filterable_list(&self) -> String {
        self.props
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// What kind of literal a property compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Enum,
    DateTime,
}

impl Prop {
    pub const ALL: [Prop; 8] = [
        Prop::AssignedTo,
        Prop::Classification,
        Prop::Determination,
        Prop::CreatedDateTime,
        Prop::LastUpdateDateTime,
        Prop::Severity,
        Prop::ServiceSource,
        Prop::Status,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Prop::AssignedTo => "assignedTo",
            Prop::Classification => "classification",
            Prop::Determination => "determination",
            Prop::CreatedDateTime => "createdDateTime",
            Prop::LastUpdateDateTime => "lastUpdateDateTime",
            Prop::Severity => "severity",
            Prop::ServiceSource => "serviceSource",
            Prop::Status | Prop::IncidentStatus => "status",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Prop::AssignedTo => Kind::Text,
            Prop::CreatedDateTime | Prop::LastUpdateDateTime => Kind::DateTime,
            _ => Kind::Enum,
        }
    }

    /// The ordinal of an enum member (its position in the CSDL, which orders members by
    /// their numeric value for every filterable enum), so `gt`/`lt` compare as OData does.
    fn member_ordinal(self, member: &str) -> Option<u16> {
        fn pos<T>(known: &[T], f: impl Fn(&T) -> bool) -> Option<u16> {
            known.iter().position(f).and_then(|i| u16::try_from(i).ok())
        }
        let m = |s: &str| s.eq_ignore_ascii_case(member);
        match self {
            Prop::Classification => pos(AlertClassification::KNOWN, |k| m(k.as_str())),
            Prop::Determination => pos(AlertDetermination::KNOWN, |k| m(k.as_str())),
            Prop::Severity => pos(AlertSeverity::KNOWN, |k| m(k.as_str())),
            Prop::ServiceSource => pos(ServiceSource::KNOWN, |k| m(k.as_str())),
            Prop::Status => pos(AlertStatus::KNOWN, |k| m(k.as_str())),
            Prop::IncidentStatus => pos(IncidentStatus::KNOWN, |k| m(k.as_str())),
            _ => None,
        }
    }
}

/// Alert properties that exist but that alerts_v2 does not let you filter on.
const NOT_FILTERABLE: &[&str] = &[
    "id",
    "actorDisplayName",
    "additionalData",
    "alertPolicyId",
    "alertWebUrl",
    "categories",
    "category",
    "comments",
    "customDetails",
    "description",
    "detectionSource",
    "detectorId",
    "evidence",
    "firstActivityDateTime",
    "incidentId",
    "incidentWebUrl",
    "investigationState",
    "lastActivityDateTime",
    "mitreTechniques",
    "productName",
    "providerAlertId",
    "recommendedActions",
    "resolvedDateTime",
    "systemTags",
    "tenantId",
    "threatDisplayName",
    "threatFamilyName",
    "title",
];

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    fn parse(word: &str) -> Option<CmpOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CmpOp::Eq,
            "ne" => CmpOp::Ne,
            "gt" => CmpOp::Gt,
            "ge" => CmpOp::Ge,
            "lt" => CmpOp::Lt,
            "le" => CmpOp::Le,
            _ => return None,
        })
    }

    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
        }
    }
}

/// A literal, already checked against the property it is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Text(String),
    /// An enum member by ordinal.
    Member(u16),
    DateTime(OffsetDateTime),
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// All must hold. Chains are kept flat, so evaluation depth is bounded by nesting, not
    /// by the number of terms.
    And(Vec<Expr>),
    /// Any must hold.
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp(Prop, CmpOp, Value),
    In(Prop, Vec<Value>),
}

/// A property's value on one record, as the evaluator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field<'a> {
    Null,
    Text(&'a str),
    /// A known enum member by ordinal: its position in the CSDL member list.
    Member(u16),
    /// An enum value this build does not know: equal to no literal.
    OtherMember,
    DateTime(OffsetDateTime),
}

/// Something a filter can be evaluated on.
pub trait Filterable {
    fn field(&self, prop: Prop) -> Field<'_>;
}

/// The ordinal of an enum value within its `KNOWN` list, for [`Field::Member`].
pub fn ordinal<T: PartialEq>(known: &[T], value: &T) -> Field<'static> {
    match known.iter().position(|k| k == value) {
        Some(i) => u16::try_from(i).map_or(Field::OtherMember, Field::Member),
        None => Field::OtherMember,
    }
}

impl Expr {
    pub fn matches(&self, r: &impl Filterable) -> bool {
        match self {
            Expr::And(all) => all.iter().all(|e| e.matches(r)),
            Expr::Or(any) => any.iter().any(|e| e.matches(r)),
            Expr::Not(e) => !e.matches(r),
            Expr::Cmp(p, op, v) => compare(r.field(*p), *op, v),
            Expr::In(p, vs) => {
                let f = r.field(*p);
                vs.iter().any(|v| compare(f, CmpOp::Eq, v))
            }
        }
    }
}

/// OData comparison: `null eq null` holds, any other comparison with null is false except
/// `ne`; text compares without regard to ASCII case (Graph's directory strings do).
fn compare(field: Field<'_>, op: CmpOp, value: &Value) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (field, value) {
        (Field::Null, Value::Null) => Some(Ordering::Equal),
        (Field::Null, _) | (_, Value::Null) => None,
        (Field::Text(a), Value::Text(b)) => Some(cmp_ignore_ascii_case(a, b)),
        (Field::Member(a), Value::Member(b)) => Some(a.cmp(b)),
        (Field::DateTime(a), Value::DateTime(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match ord {
        Some(o) => op.holds(o),
        None => op == CmpOp::Ne,
    }
}

fn cmp_ignore_ascii_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

// ---------------------------------------------------------------------------------------
// Tokenizer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A name: property, operator keyword, `null`, or a function name.
    Word(String),
    /// A single-quoted string with `''` already unescaped.
    Str(String),
    /// An unquoted literal starting with a digit: a date, date-time or number.
    Bare(String),
    LParen,
    RParen,
    Comma,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Word(w) | Tok::Bare(w) => write!(f, "'{w}'"),
            Tok::Str(s) => write!(f, "the string '{s}'"),
            Tok::LParen => f.write_str("'('"),
            Tok::RParen => f.write_str("')'"),
            Tok::Comma => f.write_str("','"),
        }
    }
}

fn tokenize(src: &str) -> Result<Vec<(usize, Tok)>, FilterError> {
    let mut out = Vec::new();
    let mut it = src.char_indices().peekable();
    while let Some(&(pos, c)) = it.peek() {
        match c {
            c if c.is_whitespace() => {
                it.next();
            }
            '(' => {
                it.next();
                out.push((pos, Tok::LParen));
            }
            ')' => {
                it.next();
                out.push((pos, Tok::RParen));
            }
            ',' => {
                it.next();
                out.push((pos, Tok::Comma));
            }
            '\'' => {
                it.next();
                let mut s = String::new();
                loop {
                    match it.next() {
                        Some((_, '\'')) => {
                            // A doubled quote is an escaped quote; a single one ends the string.
                            if matches!(it.peek(), Some((_, '\''))) {
                                it.next();
                                s.push('\'');
                            } else {
                                break;
                            }
                        }
                        Some((_, ch)) => s.push(ch),
                        None => {
                            return err(format!(
                                "unterminated string literal starting at position {pos}"
                            ));
                        }
                    }
                }
                out.push((pos, Tok::Str(s)));
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '@' => {
                let mut w = String::new();
                while let Some(&(_, ch)) = it.peek() {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.' | '/' | '@' | ':') {
                        w.push(ch);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push((pos, Tok::Word(w)));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let mut w = String::new();
                while let Some(&(_, ch)) = it.peek() {
                    if ch.is_ascii_alphanumeric() || matches!(ch, ':' | '.' | '-' | '+') {
                        w.push(ch);
                        it.next();
                    } else {
                        break;
                    }
                }
                out.push((pos, Tok::Bare(w)));
            }
            other => {
                return err(format!(
                    "unexpected character {other:?} at position {pos} in $filter"
                ));
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Parser

/// Parses a `$filter` value for alerts_v2.
pub fn parse(src: &str) -> Result<Expr, FilterError> {
    parse_for(src, &ALERTS)
}

/// Parses a `$filter` value against one collection's schema.
pub fn parse_for(src: &str, schema: &'static Schema) -> Result<Expr, FilterError> {
    if src.len() > MAX_LEN {
        return err(format!("$filter is longer than {MAX_LEN} bytes"));
    }
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return err("$filter is empty");
    }
    let mut p = Parser { toks, i: 0, schema };
    let e = p.or_expr(0)?;
    match p.toks.get(p.i) {
        None => Ok(e),
        Some((pos, t)) => {
            // `+` in a query string means a space, which splits `...T00:00:00+01:00`.
            let hint = match t {
                Tok::Bare(b) if b.contains(':') => {
                    " (a '+' in a UTC offset must be percent-encoded as %2B)"
                }
                _ => "",
            };
            err(format!(
                "unexpected {t} at position {pos}: expected 'and', 'or' or the end of $filter{hint}"
            ))
        }
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    i: usize,
    schema: &'static Schema,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|(_, t)| t)
    }

    fn next(&mut self) -> Option<(usize, Tok)> {
        let t = self.toks.get(self.i).cloned();
        if t.is_some() {
            self.i += 1;
        }
        t
    }

    fn peek_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn or_expr(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut terms = vec![self.and_expr(depth)?];
        while self.peek_keyword("or") {
            self.i += 1;
            terms.push(self.and_expr(depth)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and_expr(&mut self, depth: usize) -> Result<Expr, FilterError> {
        let mut terms = vec![self.unary(depth)?];
        while self.peek_keyword("and") {
            self.i += 1;
            terms.push(self.unary(depth)?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, FilterError> {
        if depth >= MAX_DEPTH {
            return err(format!("$filter nests deeper than {MAX_DEPTH} levels"));
        }
        if self.peek_keyword("not") {
            self.i += 1;
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.i += 1;
            let e = self.or_expr(depth + 1)?;
            return match self.next() {
                Some((_, Tok::RParen)) => Ok(e),
                Some((pos, t)) => err(format!("expected ')' at position {pos}, found {t}")),
                None => err("missing ')' at the end of $filter"),
            };
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, FilterError> {
        let (pos, name) = match self.next() {
            Some((pos, Tok::Word(w))) => (pos, w),
            Some((pos, t)) => {
                return err(format!(
                    "expected a property name at position {pos}, found {t} \
                     (the property goes on the left of a comparison)"
                ));
            }
            None => return err("$filter ends where a comparison was expected"),
        };
        if self.peek() == Some(&Tok::LParen) && !name.contains('/') {
            return err(format!(
                "function '{name}' at position {pos} is not supported on {} \
                 (only comparisons, 'in', 'and', 'or' and 'not')",
                self.schema.collection
            ));
        }
        let prop = resolve_property(self.schema, &name)?;
        let (op_pos, op_word) = match self.next() {
            Some((p, Tok::Word(w))) => (p, w),
            Some((p, t)) => {
                return err(format!(
                    "expected an operator after '{name}' at position {p}, found {t}"
                ));
            }
            None => return err(format!("'{name}' is not followed by an operator")),
        };
        if op_word.eq_ignore_ascii_case("in") {
            return self.in_list(prop);
        }
        let Some(op) = CmpOp::parse(&op_word) else {
            return err(format!(
                "unknown operator '{op_word}' at position {op_pos} \
                 (supported: eq, ne, gt, ge, lt, le, in)"
            ));
        };
        let value = self.literal(prop)?;
        if value == Value::Null && !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            return err(format!(
                "'{}' can only be compared with null using eq or ne",
                prop.name()
            ));
        }
        Ok(Expr::Cmp(prop, op, value))
    }

    fn in_list(&mut self, prop: Prop) -> Result<Expr, FilterError> {
        match self.next() {
            Some((_, Tok::LParen)) => {}
            Some((p, t)) => {
                return err(format!(
                    "expected '(' after 'in' at position {p}, found {t}"
                ));
            }
            None => return err("expected '(' after 'in'"),
        }
        let mut values = Vec::new();
        loop {
            if values.len() >= MAX_IN_VALUES {
                return err(format!("an 'in' list takes at most {MAX_IN_VALUES} values"));
            }
            values.push(self.literal(prop)?);
            match self.next() {
                Some((_, Tok::Comma)) => continue,
                Some((_, Tok::RParen)) => break,
                Some((p, t)) => {
                    return err(format!(
                        "expected ',' or ')' in 'in' list at position {p}, found {t}"
                    ));
                }
                None => return err("unterminated 'in' list: missing ')'"),
            }
        }
        Ok(Expr::In(prop, values))
    }

    fn literal(&mut self, prop: Prop) -> Result<Value, FilterError> {
        let (pos, tok) = match self.next() {
            Some(t) => t,
            None => return err(format!("'{}' is compared with nothing", prop.name())),
        };
        match (prop.kind(), tok) {
            (_, Tok::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Value::Null),
            (Kind::Text, Tok::Str(s)) => Ok(Value::Text(s)),
            (Kind::Enum, Tok::Str(s)) => match prop.member_ordinal(&s) {
                Some(o) => Ok(Value::Member(o)),
                None => err(format!(
                    "'{s}' is not a member of {}'s enumeration",
                    prop.name()
                )),
            },
            (Kind::DateTime, Tok::Bare(b)) => match parse_datetime_literal(&b) {
                Some(t) => Ok(Value::DateTime(t)),
                None => err(format!(
                    "'{b}' at position {pos} is not an ISO 8601 date-time \
                     (e.g. 2026-01-01T00:00:00Z)"
                )),
            },
            (Kind::DateTime, Tok::Str(s)) => err(format!(
                "date-time literals are not quoted: write {} ge {s} instead of '{s}'",
                prop.name()
            )),
            (Kind::Text | Kind::Enum, Tok::Word(w)) => err(format!(
                "'{w}' at position {pos}: '{}' takes a single-quoted string (write '{w}')",
                prop.name()
            )),
            (Kind::Text | Kind::Enum, t @ Tok::Bare(_)) => err(format!(
                "{t} at position {pos}: '{}' takes a single-quoted string",
                prop.name()
            )),
            (_, t) => err(format!(
                "expected a literal for '{}' at position {pos}, found {t}",
                prop.name()
            )),
        }
    }
}

fn resolve_property(schema: &Schema, name: &str) -> Result<Prop, FilterError> {
    if let Some(p) = schema.lookup(name) {
        return Ok(p);
    }
    let (collection, filterable) = (schema.collection, schema.filterable_list());
    if name.contains('/') {
        return err(format!(
            "'{name}': property paths and lambda operators are not supported on {collection} \
             in this emulator (filterable properties: {filterable})"
        ));
    }
    if schema
        .not_filterable
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
    {
        return err(format!(
            "property '{name}' is not filterable on {collection} (filterable properties: {filterable})"
        ));
    }
    err(format!(
        "'{name}' is not a property of {} (filterable properties: {filterable})",
        schema.entity
    ))
}

/// An unquoted OData date-time (`2026-01-01T00:00:00Z`, fractional seconds and offsets
/// allowed) or a bare date (`2026-01-01`, taken as midnight UTC).
fn parse_datetime_literal(s: &str) -> Option<OffsetDateTime> {
    if s.contains('T') || s.contains('t') {
        // `parse_datetime` also accepts a zone-less time as UTC, as Graph does.
        return parse_datetime(s);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &fmt)
        .ok()
        .map(|d| d.with_time(Time::MIDNIGHT).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    struct Rec {
        assigned: Option<&'static str>,
        severity: AlertSeverity,
        status: AlertStatus,
        source: ServiceSource,
        classification: Option<AlertClassification>,
        created: OffsetDateTime,
    }

    impl Filterable for Rec {
        fn field(&self, prop: Prop) -> Field<'_> {
            match prop {
                Prop::AssignedTo => self.assigned.map_or(Field::Null, Field::Text),
                Prop::Severity => ordinal(AlertSeverity::KNOWN, &self.severity),
                Prop::Status => ordinal(AlertStatus::KNOWN, &self.status),
                Prop::ServiceSource => ordinal(ServiceSource::KNOWN, &self.source),
                Prop::Classification => self
                    .classification
                    .as_ref()
                    .map_or(Field::Null, |c| ordinal(AlertClassification::KNOWN, c)),
                Prop::Determination | Prop::IncidentStatus => Field::Null,
                Prop::CreatedDateTime | Prop::LastUpdateDateTime => Field::DateTime(self.created),
            }
        }
    }

    fn rec() -> Rec {
        Rec {
            assigned: Some("Ana@Contoso.com"),
            severity: AlertSeverity::High,
            status: AlertStatus::New,
            source: ServiceSource::MicrosoftDefenderForEndpoint,
            classification: None,
            created: datetime!(2026-03-04 05:06:07 UTC),
        }
    }

    fn eval(f: &str) -> bool {
        parse(f)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .matches(&rec())
    }

    fn refused(f: &str) -> String {
        match parse(f) {
            Ok(e) => panic!("{f} parsed as {e:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn comparisons_on_each_kind() {
        assert!(eval("severity eq 'high'"));
        assert!(!eval("severity eq 'low'"));
        assert!(eval("severity ne 'low'"));
        assert!(eval("severity gt 'medium'"));
        assert!(eval("severity ge 'high'"));
        assert!(!eval("severity lt 'high'"));
        assert!(eval("status le 'new'"));
        assert!(eval("assignedTo eq 'ana@contoso.com'"));
        assert!(eval("assignedTo ne null"));
        assert!(!eval("assignedTo eq null"));
        assert!(eval("classification eq null"));
        assert!(eval("classification ne 'truePositive'"));
        assert!(eval("createdDateTime ge 2026-03-04T05:06:07Z"));
        assert!(!eval("createdDateTime gt 2026-03-04T05:06:07Z"));
        assert!(eval("createdDateTime lt 2026-03-04T05:06:07.0000001Z"));
        assert!(eval("createdDateTime ge 2026-03-04"));
        assert!(!eval("createdDateTime lt 2026-03-04T06:00:00+01:00"));
        assert!(eval("lastUpdateDateTime le 2026-03-04T06:00:00+00:30"));
    }

    #[test]
    fn boolean_structure_and_precedence() {
        // and binds tighter than or
        assert!(eval(
            "severity eq 'low' and status eq 'new' or status eq 'new'"
        ));
        assert!(!eval(
            "severity eq 'low' and (status eq 'new' or status eq 'new')"
        ));
        assert!(eval("not severity eq 'low'"));
        assert!(eval("not (severity eq 'low' or status eq 'resolved')"));
        assert!(eval("not not severity eq 'high'"));
        assert!(eval("severity in ('low', 'high')"));
        assert!(!eval("severity in ('low')"));
        assert!(eval(
            "serviceSource in ('microsoftDefenderForEndpoint','microsoftSentinel')"
        ));
        assert!(eval("((severity eq 'high'))"));
        assert!(eval("Severity EQ 'HIGH' AND status eq 'new'"));
    }

    #[test]
    fn quotes_are_unescaped() {
        let e = parse("assignedTo eq 'o''brien@contoso.com'").unwrap();
        assert_eq!(
            e,
            Expr::Cmp(
                Prop::AssignedTo,
                CmpOp::Eq,
                Value::Text("o'brien@contoso.com".into())
            )
        );
        assert_eq!(
            parse("assignedTo eq ''''").unwrap(),
            Expr::Cmp(Prop::AssignedTo, CmpOp::Eq, Value::Text("'".into()))
        );
    }

    #[test]
    fn refusals_name_the_problem() {
        assert!(refused("title eq 'x'").contains("not filterable"));
        assert!(refused("investigationState eq 'running'").contains("not filterable"));
        assert!(refused("colour eq 'x'").contains("not a property"));
        assert!(refused("startswith(assignedTo,'a')").contains("function 'startswith'"));
        assert!(refused("severity eq 'extreme'").contains("not a member"));
        assert!(refused("severity eq high").contains("single-quoted"));
        assert!(refused("createdDateTime ge '2026-01-01T00:00:00Z'").contains("not quoted"));
        assert!(refused("createdDateTime ge 2026-13-01T00:00:00Z").contains("ISO 8601"));
        assert!(refused("severity eq 'high").contains("unterminated"));
        assert!(refused("(severity eq 'high'").contains("missing ')'"));
        assert!(refused("severity eq 'high')").contains("unexpected"));
        assert!(refused("severity like 'high'").contains("unknown operator"));
        assert!(refused("severity gt null").contains("null"));
        assert!(refused("").contains("empty"));
        assert!(refused("'high' eq severity").contains("property name"));
        assert!(refused("severity eq 'high' and").contains("ends"));
        assert!(refused("severity in 'high'").contains("'('"));
        assert!(refused("severity in ('high'").contains("')'"));
        assert!(refused("evidence/any(e: e/verdict eq 'malicious')").contains("lambda"));
        assert!(refused("severity eq 'high' ; drop").contains("unexpected character"));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}severity eq 'high'{}", "(".repeat(500), ")".repeat(500));
        assert!(refused(&deep).contains("deeper"));
        let nots = format!("{}severity eq 'high'", "not ".repeat(500));
        assert!(refused(&nots).contains("deeper"));
        let ok = format!("{}severity eq 'high'{}", "(".repeat(20), ")".repeat(20));
        assert!(eval(&ok));
        assert!(refused(&"a".repeat(MAX_LEN + 1)).contains("longer"));
    }

    #[test]
    fn long_chains_stay_flat() {
        let chain = vec!["severity eq 'low'"; 300].join(" or ") + " or severity eq 'high'";
        match parse(&chain).unwrap() {
            Expr::Or(terms) => assert_eq!(terms.len(), 301),
            e => panic!("{e:?}"),
        }
        assert!(eval(&chain));
    }

    #[test]
    fn unencoded_plus_gets_a_hint() {
        assert!(refused("createdDateTime ge 2026-01-01T00:00:00 01:00").contains("%2B"));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: splice fragments of valid syntax with junk.
        let parts = [
            "severity",
            " eq ",
            "'high'",
            "(",
            ")",
            " and ",
            " or ",
            "not ",
            "in",
            ",",
            "'",
            "''",
            "2026-01-01T00:00:00Z",
            "null",
            "\u{0}",
            "é",
            "🦀",
            "-",
            "9",
            ":",
            "/",
            "@",
            "createdDateTime",
            " ge ",
            "assignedTo",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(state % 12) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                s.push_str(parts[(state >> 33) as usize % parts.len()]);
            }
            let _ = parse(&s).map(|e| e.matches(&rec()));
        }
    }

    #[test]
    fn incidents_have_their_own_vocabulary() {
        let e = parse_for(
            "status eq 'awaitingAction' and severity ge 'medium'",
            &INCIDENTS,
        );
        assert!(e.is_ok(), "{e:?}");
        // An alert status is not an incident status, and alerts_v2 does not know `redirected`.
        assert!(parse_for("status eq 'new'", &INCIDENTS).is_err());
        assert!(parse("status eq 'redirected'").is_err());
        let not_filterable = parse_for("displayName eq 'x'", &INCIDENTS);
        assert!(
            matches!(&not_filterable, Err(FilterError(m)) if m.contains("not filterable on incidents")),
            "{not_filterable:?}"
        );
        assert!(parse_for("serviceSource eq 'microsoftSentinel'", &INCIDENTS).is_err());
    }
}
