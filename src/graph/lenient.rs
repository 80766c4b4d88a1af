//! Lenient field deserializers.
//!
//! Bodies from Graph (and from the third-party products that record them) put nulls where the
//! schema says not-null, strings where it says numbers, and vice versa. A single odd field
//! must not cost the analyst a whole page, so typed fields take what they can and fall back
//! to `None`; the original JSON is always kept beside the typed view.

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Any JSON scalar as text; null, arrays and objects give `None`.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(OptScalar)
}

/// An integer, or a string holding one; anything else gives `None`.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(string(d)?
        .and_then(|s| s.trim().parse::<f64>().ok())
        .map(|f| f as i64))
}

/// A number, or a string holding one; anything else gives `None`.
pub fn float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(string(d)?
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite()))
}

/// `true`/`false`, or a string holding one (any case); anything else gives `None`.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(
        string(d)?.and_then(|s| match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }),
    )
}

/// An ISO 8601 / RFC 3339 timestamp; anything unparseable gives `None` (the raw JSON keeps it).
pub fn datetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
    Ok(string(d)?.and_then(|s| parse_datetime(&s)))
}

/// Parses Graph's timestamps, which carry 0 to 7 fractional digits and sometimes no zone.
pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    // Graph occasionally omits the zone designator; such times are UTC.
    if !s.ends_with('Z') && !s.contains('+') && s.len() >= 19 {
        return OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339).ok();
    }
    None
}

/// An array of scalars as text; null or a non-array gives an empty list.
pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_any(ScalarList)
}

/// An array of `T`; null or a non-array gives an empty list. Elements that fail to
/// deserialize are skipped rather than failing the parent.
pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let v = Option::<LenientVec<T>>::deserialize(d)?;
    Ok(v.map(|l| l.0).unwrap_or_default())
}

/// An object `T`, or `None` when the value is null or of the wrong shape.
pub fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let v = serde_json::Value::deserialize(d)?;
    if v.is_object() {
        Ok(T::deserialize(v).ok())
    } else {
        Ok(None)
    }
}

struct OptScalar;

impl<'de> Visitor<'de> for OptScalar {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(OptScalar)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

struct ScalarList;

impl<'de> Visitor<'de> for ScalarList {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of scalars")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<LenientString>()? {
            if let Some(s) = item.0 {
                out.push(s);
            }
        }
        Ok(out)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Vec::new())
    }
}

struct LenientString(Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        string(d).map(LenientString)
    }
}

/// A list whose bad elements are dropped; an object where a list was expected is taken as a
/// one-element list (seen in third-party recordings of `incident.alerts`).
struct LenientVec<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for LenientVec<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let items = match v {
            serde_json::Value::Array(items) => items,
            obj @ serde_json::Value::Object(_) => vec![obj],
            _ => Vec::new(),
        };
        Ok(LenientVec(
            items
                .into_iter()
                .filter_map(|i| T::deserialize(i).ok())
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "int")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "datetime")]
        t: Option<OffsetDateTime>,
        #[serde(default, deserialize_with = "strings")]
        l: Vec<String>,
    }

    #[test]
    fn odd_shapes_degrade_to_none() {
        let p: Probe =
            serde_json::from_str(r#"{"s":[1],"n":"42","t":"garbage","l":{"a":1}}"#).unwrap();
        assert_eq!(p.s, None);
        assert_eq!(p.n, Some(42));
        assert_eq!(p.t, None);
        assert!(p.l.is_empty());
    }

    #[test]
    fn graph_timestamps_parse() {
        assert!(parse_datetime("2021-04-27T12:19:27.7211305Z").is_some());
        assert!(parse_datetime("2023-06-18T11:59:33.44Z").is_some());
        assert!(parse_datetime("0001-01-01T00:00:00Z").is_some());
        assert!(parse_datetime("2021-04-27T12:19:27").is_some());
    }
}
