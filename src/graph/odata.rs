//! A small typed OData query builder.
//!
//! Values are quoted by the builder, never by callers: strings are single-quoted with `'`
//! doubled, datetimes are unquoted RFC 3339 UTC, and `and`/`or`/`not` get parentheses where
//! OData precedence (`not` > `and` > `or`) would otherwise change the meaning. The rendered
//! query is percent-encoded so `+`, `&`, `#` and `%` inside values arrive intact.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::fmt::{self, Write as _};
use time::{OffsetDateTime, UtcOffset};

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
    fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
        }
    }
}

/// A literal value in a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    DateTime(OffsetDateTime),
    Int(i64),
    Bool(bool),
    Null,
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Literal::DateTime(t) => f.write_str(&datetime_literal(*t)),
            Literal::Int(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Null => f.write_str("null"),
        }
    }
}

/// A string function usable in `$filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrFn {
    StartsWith,
    EndsWith,
    Contains,
}

/// A `$filter` expression. Property names are identifiers chosen by code (e.g.
/// `"severity"`, `"userAccount/userPrincipalName"`), not user input; user-typed expressions
/// go in [`Filter::Raw`].
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Cmp {
        property: String,
        op: CmpOp,
        value: Literal,
    },
    In {
        property: String,
        values: Vec<Literal>,
    },
    Call {
        func: StrFn,
        property: String,
        value: String,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// A user-typed expression, passed as-is (always parenthesised when combined).
    Raw(String),
}

/// Binding strength, low to high; a child weaker than its context gets parentheses.
const PREC_RAW: u8 = 0;
const PREC_OR: u8 = 1;
const PREC_AND: u8 = 2;
const PREC_ATOM: u8 = 4;

impl Filter {
    fn cmp(property: impl Into<String>, op: CmpOp, value: Literal) -> Self {
        Filter::Cmp {
            property: property.into(),
            op,
            value,
        }
    }

    /// `property eq 'value'`
    pub fn eq(property: impl Into<String>, value: impl Into<String>) -> Self {
        Self::cmp(property, CmpOp::Eq, Literal::Str(value.into()))
    }
    /// `property ne 'value'`
    pub fn ne(property: impl Into<String>, value: impl Into<String>) -> Self {
        Self::cmp(property, CmpOp::Ne, Literal::Str(value.into()))
    }
    /// `property eq null`
    pub fn eq_null(property: impl Into<String>) -> Self {
        Self::cmp(property, CmpOp::Eq, Literal::Null)
    }
    /// `property ne null`
    pub fn ne_null(property: impl Into<String>) -> Self {
        Self::cmp(property, CmpOp::Ne, Literal::Null)
    }
    /// `property eq true|false`
    pub fn eq_bool(property: impl Into<String>, value: bool) -> Self {
        Self::cmp(property, CmpOp::Eq, Literal::Bool(value))
    }
    /// `property <op> n`
    pub fn cmp_int(property: impl Into<String>, op: CmpOp, value: i64) -> Self {
        Self::cmp(property, op, Literal::Int(value))
    }
    /// `property <op> 2024-01-01T00:00:00Z` for any comparison.
    pub fn cmp_datetime(property: impl Into<String>, op: CmpOp, at: OffsetDateTime) -> Self {
        Self::cmp(property, op, Literal::DateTime(at))
    }
    /// `property ge <datetime>`
    pub fn ge_datetime(property: impl Into<String>, at: OffsetDateTime) -> Self {
        Self::cmp_datetime(property, CmpOp::Ge, at)
    }
    /// `property gt <datetime>`
    pub fn gt_datetime(property: impl Into<String>, at: OffsetDateTime) -> Self {
        Self::cmp_datetime(property, CmpOp::Gt, at)
    }
    /// `property le <datetime>`
    pub fn le_datetime(property: impl Into<String>, at: OffsetDateTime) -> Self {
        Self::cmp_datetime(property, CmpOp::Le, at)
    }
    /// `property lt <datetime>`
    pub fn lt_datetime(property: impl Into<String>, at: OffsetDateTime) -> Self {
        Self::cmp_datetime(property, CmpOp::Lt, at)
    }
    /// `property in ('a', 'b')`. An empty list renders `in ()`, which Graph refuses; callers
    /// with nothing to match should leave the condition out (or not send the query).
    pub fn in_<I, S>(property: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Filter::In {
            property: property.into(),
            values: values.into_iter().map(|v| Literal::Str(v.into())).collect(),
        }
    }
    /// `startsWith(property, 'value')`
    pub fn starts_with(property: impl Into<String>, value: impl Into<String>) -> Self {
        Self::call(StrFn::StartsWith, property, value)
    }
    /// `endsWith(property, 'value')`
    pub fn ends_with(property: impl Into<String>, value: impl Into<String>) -> Self {
        Self::call(StrFn::EndsWith, property, value)
    }
    /// `contains(property, 'value')`
    pub fn contains(property: impl Into<String>, value: impl Into<String>) -> Self {
        Self::call(StrFn::Contains, property, value)
    }
    fn call(func: StrFn, property: impl Into<String>, value: impl Into<String>) -> Self {
        Filter::Call {
            func,
            property: property.into(),
            value: value.into(),
        }
    }
    /// A user-typed expression, passed through unchanged.
    pub fn raw(expr: impl Into<String>) -> Self {
        Filter::Raw(expr.into())
    }

    /// `self and other`
    pub fn and(self, other: Filter) -> Self {
        Filter::And(Box::new(self), Box::new(other))
    }
    /// `self or other`
    pub fn or(self, other: Filter) -> Self {
        Filter::Or(Box::new(self), Box::new(other))
    }
    /// `not (self)`
    #[allow(clippy::should_implement_trait)] // reads as OData, and `!` on a filter would not
    pub fn not(self) -> Self {
        Filter::Not(Box::new(self))
    }

    /// All of `filters` joined with `and`; `None` when empty.
    pub fn all(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        filters.into_iter().reduce(Filter::and)
    }
    /// Any of `filters` joined with `or`; `None` when empty.
    pub fn any(filters: impl IntoIterator<Item = Filter>) -> Option<Filter> {
        filters.into_iter().reduce(Filter::or)
    }

    fn precedence(&self) -> u8 {
        match self {
            Filter::Or(..) => PREC_OR,
            Filter::And(..) => PREC_AND,
            Filter::Raw(_) => PREC_RAW,
            _ => PREC_ATOM,
        }
    }

    /// Writes `self`, parenthesised when it binds more loosely than `context` requires.
    fn write_in(&self, out: &mut String, context: u8) {
        if self.precedence() < context {
            out.push('(');
            self.write(out);
            out.push(')');
        } else {
            self.write(out);
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            Filter::Cmp {
                property,
                op,
                value,
            } => {
                // Writing to a String cannot fail.
                let _ = write!(out, "{property} {} {value}", op.as_str());
            }
            Filter::In { property, values } => {
                let _ = write!(out, "{property} in (");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "{v}");
                }
                out.push(')');
            }
            Filter::Call {
                func,
                property,
                value,
            } => {
                let name = match func {
                    StrFn::StartsWith => "startsWith",
                    StrFn::EndsWith => "endsWith",
                    StrFn::Contains => "contains",
                };
                let _ = write!(out, "{name}({property}, {})", Literal::Str(value.clone()));
            }
            // `and` and `or` are associative, so same-operator children need no parentheses.
            Filter::And(a, b) => {
                a.write_in(out, PREC_AND);
                out.push_str(" and ");
                b.write_in(out, PREC_AND);
            }
            Filter::Or(a, b) => {
                a.write_in(out, PREC_OR);
                out.push_str(" or ");
                b.write_in(out, PREC_OR);
            }
            // Always parenthesised: `not a and b` would read as `(not a) and b` to a person
            // even where the grammar agrees, and `not` needs a parenthesised or atomic operand.
            Filter::Not(inner) => {
                out.push_str("not (");
                inner.write(out);
                out.push(')');
            }
            Filter::Raw(expr) => out.push_str(expr),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}

/// An OData datetime literal: UTC, RFC 3339, no quotes; fractional seconds only when present
/// and at most 7 digits (.NET ticks), which is all Graph accepts.
pub fn datetime_literal(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let ticks = t.nanosecond() / 100;
    if ticks > 0 {
        let frac = format!("{ticks:07}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Characters left as-is in a query value: unreserved ones plus the punctuation OData
/// expressions are made of (quotes, parentheses, commas, colons, slashes). Everything else,
/// notably space, `+`, `&`, `=`, `#` and `%`, is percent-encoded.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b',')
    .remove(b':')
    .remove(b'/')
    .remove(b'@')
    .remove(b'$');

/// Query options for a collection request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ODataQuery {
    filter: Option<Filter>,
    top: Option<u32>,
    skip: Option<u32>,
    count: Option<bool>,
    select: Vec<String>,
    expand: Vec<String>,
    orderby: Option<String>,
}

impl ODataQuery {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the filter; a second call combines with the first using `and`.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(match self.filter.take() {
            Some(prev) => prev.and(filter),
            None => filter,
        });
        self
    }

    /// A user-typed filter expression, passed as-is (blank input is ignored).
    pub fn raw_filter(self, expr: impl Into<String>) -> Self {
        let expr = expr.into();
        if expr.trim().is_empty() {
            self
        } else {
            self.filter(Filter::Raw(expr))
        }
    }

    /// `$top`: the page size asked for.
    pub fn top(mut self, n: u32) -> Self {
        self.top = Some(n);
        self
    }

    /// `$skip`
    pub fn skip(mut self, n: u32) -> Self {
        self.skip = Some(n);
        self
    }

    /// `$count`: ask for `@odata.count` on the first page.
    pub fn count(mut self, yes: bool) -> Self {
        self.count = Some(yes);
        self
    }

    /// `$select`: only these properties.
    pub fn select<I, S>(mut self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.select = properties.into_iter().map(Into::into).collect();
        self
    }

    /// `$expand`: inline these navigation properties (incidents support only `alerts`).
    pub fn expand<I, S>(mut self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.expand = properties.into_iter().map(Into::into).collect();
        self
    }

    /// `$orderby`, e.g. `"createdDateTime desc"`.
    pub fn orderby(mut self, expr: impl Into<String>) -> Self {
        self.orderby = Some(expr.into());
        self
    }

    /// The filter as it will be sent, if any.
    pub fn filter_expr(&self) -> Option<String> {
        self.filter.as_ref().map(Filter::to_string)
    }

    /// The query options as unencoded `(name, value)` pairs, in a stable order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(f) = &self.filter {
            out.push(("$filter", f.to_string()));
        }
        if !self.select.is_empty() {
            out.push(("$select", self.select.join(",")));
        }
        if !self.expand.is_empty() {
            out.push(("$expand", self.expand.join(",")));
        }
        if let Some(o) = &self.orderby {
            out.push(("$orderby", o.clone()));
        }
        if let Some(n) = self.top {
            out.push(("$top", n.to_string()));
        }
        if let Some(n) = self.skip {
            out.push(("$skip", n.to_string()));
        }
        if let Some(c) = self.count {
            out.push(("$count", c.to_string()));
        }
        out
    }

    /// The percent-encoded query string (without `?`); empty when no option is set.
    pub fn to_query_string(&self) -> String {
        let mut s = String::new();
        for (name, value) in self.pairs() {
            if !s.is_empty() {
                s.push('&');
            }
            s.push_str(name);
            s.push('=');
            s.extend(utf8_percent_encode(&value, QUERY_VALUE));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn strings_are_quoted_with_doubled_quotes() {
        assert_eq!(
            Filter::eq("severity", "high").to_string(),
            "severity eq 'high'"
        );
        assert_eq!(
            Filter::eq("assignedTo", "O'Brien's").to_string(),
            "assignedTo eq 'O''Brien''s'"
        );
        assert_eq!(
            Filter::contains("title", "it's").to_string(),
            "contains(title, 'it''s')"
        );
        assert_eq!(Filter::eq("x", "").to_string(), "x eq ''");
    }

    #[test]
    fn in_null_bool_int() {
        assert_eq!(
            Filter::in_("status", ["new", "inProgress"]).to_string(),
            "status in ('new', 'inProgress')"
        );
        assert_eq!(
            Filter::eq_null("assignedTo").to_string(),
            "assignedTo eq null"
        );
        assert_eq!(Filter::ne_null("x").to_string(), "x ne null");
        assert_eq!(
            Filter::eq_bool("isAutomated", true).to_string(),
            "isAutomated eq true"
        );
        assert_eq!(
            Filter::cmp_int("rank", CmpOp::Lt, -3).to_string(),
            "rank lt -3"
        );
    }

    #[test]
    fn datetimes_are_unquoted_utc() {
        let t = datetime!(2024-05-01 10:00:00 +02:00);
        assert_eq!(
            Filter::ge_datetime("createdDateTime", t).to_string(),
            "createdDateTime ge 2024-05-01T08:00:00Z"
        );
        assert_eq!(
            datetime_literal(datetime!(2021-04-27 12:19:27.7211305 UTC)),
            "2021-04-27T12:19:27.7211305Z"
        );
        assert_eq!(
            datetime_literal(datetime!(2021-04-27 12:19:27.5 UTC)),
            "2021-04-27T12:19:27.5Z"
        );
        // Beyond .NET tick precision is truncated.
        assert_eq!(
            datetime_literal(datetime!(2021-04-27 12:19:27.000000001 UTC)),
            "2021-04-27T12:19:27Z"
        );
    }

    #[test]
    fn precedence_gets_parentheses_only_where_needed() {
        let a = || Filter::eq("a", "1");
        let b = || Filter::eq("b", "2");
        let c = || Filter::eq("c", "3");
        assert_eq!(
            a().and(b()).and(c()).to_string(),
            "a eq '1' and b eq '2' and c eq '3'"
        );
        assert_eq!(
            a().or(b()).and(c()).to_string(),
            "(a eq '1' or b eq '2') and c eq '3'"
        );
        assert_eq!(
            a().and(b().or(c())).to_string(),
            "a eq '1' and (b eq '2' or c eq '3')"
        );
        assert_eq!(
            a().and(b()).or(c()).to_string(),
            "a eq '1' and b eq '2' or c eq '3'"
        );
        assert_eq!(
            a().or(b()).not().and(c()).to_string(),
            "not (a eq '1' or b eq '2') and c eq '3'"
        );
        assert_eq!(a().not().to_string(), "not (a eq '1')");
    }

    #[test]
    fn raw_filters_pass_through_and_are_guarded_when_combined() {
        let q = ODataQuery::new().raw_filter("severity eq 'high' or status eq 'new'");
        assert_eq!(
            q.filter_expr().as_deref(),
            Some("severity eq 'high' or status eq 'new'")
        );
        let q = q.filter(Filter::eq_null("assignedTo"));
        assert_eq!(
            q.filter_expr().as_deref(),
            Some("(severity eq 'high' or status eq 'new') and assignedTo eq null")
        );
        assert_eq!(ODataQuery::new().raw_filter("  ").filter_expr(), None);
    }

    #[test]
    fn query_string_is_percent_encoded() {
        let q = ODataQuery::new()
            .filter(Filter::eq("title", "a+b & c=d #1 100% ü"))
            .top(50)
            .skip(100)
            .count(true);
        assert_eq!(
            q.to_query_string(),
            "$filter=title%20eq%20'a%2Bb%20%26%20c%3Dd%20%231%20100%25%20%C3%BC'\
             &$top=50&$skip=100&$count=true"
        );
        assert_eq!(ODataQuery::new().to_query_string(), "");
    }

    #[test]
    fn query_string_round_trips_through_a_form_decoder() {
        let value = "it's a+b&c=d #x 100% ü";
        let q = ODataQuery::new().filter(Filter::eq("title", value));
        let url =
            url::Url::parse(&format!("https://h/p?{}", q.to_query_string())).expect("valid url");
        let decoded: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(
            decoded,
            vec![(
                "$filter".to_owned(),
                format!("title eq '{}'", value.replace('\'', "''"))
            )]
        );
    }

    #[test]
    fn select_orderby_and_and_all_any_helpers() {
        let f = Filter::all([Filter::eq("a", "1"), Filter::eq("b", "2")]);
        assert_eq!(
            f.map(|f| f.to_string()).as_deref(),
            Some("a eq '1' and b eq '2'")
        );
        assert_eq!(Filter::any(Vec::new()), None);
        let q = ODataQuery::new()
            .select(["id", "title"])
            .orderby("createdDateTime desc");
        assert_eq!(
            q.to_query_string(),
            "$select=id,title&$orderby=createdDateTime%20desc"
        );
    }
}
