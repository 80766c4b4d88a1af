//! How values read: relative ages, clock times, short service names. Every string that
//! came from Graph passes through [`crate::sanitize`] here or at the call site.

use crate::graph::enums::{AlertSeverity, AlertStatus, ServiceSource};
use crate::outbox::{Target, TargetKind};
use crate::sanitize;
use std::borrow::Cow;
use time::OffsetDateTime;
use time::macros::format_description;

/// Age of `t` at `now`, at the coarsest unit that fits: "now", "5m", "3h", "2d", "1y".
pub fn relative(t: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    let Some(t) = t else {
        return "-".to_owned();
    };
    let secs = (now - t).whole_seconds();
    match secs {
        // Clock skew between the tenant and the jump host can put an alert slightly in
        // the future; that is still "now" to an analyst.
        s if s < 60 => "now".to_owned(),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3_600),
        s if s < 365 * 86_400 => format!("{}d", s / 86_400),
        s => format!("{}y", s / (365 * 86_400)),
    }
}

/// A UTC timestamp to the minute, e.g. `2026-11-26 14:02 UTC`. The jump host's zone is not
/// the analyst's, so times are shown in UTC, as the portal's exports are.
pub fn datetime(t: OffsetDateTime) -> String {
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// A UTC time of day with seconds, for "last refresh".
pub fn clock(t: OffsetDateTime) -> String {
    let fmt = format_description!("[hour]:[minute]:[second]");
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// An optional timestamp with its age, or `-`.
pub fn datetime_with_age(t: Option<OffsetDateTime>, now: OffsetDateTime) -> String {
    match t {
        Some(t) => match relative(Some(t), now) {
            age if age == "now" => format!("{} (just now)", datetime(t)),
            age => format!("{} ({age} ago)", datetime(t)),
        },
        None => "-".to_owned(),
    }
}

/// Severity as text (never colour alone); unknown members are shown sanitised.
pub fn severity(s: Option<&AlertSeverity>) -> Cow<'_, str> {
    match s {
        Some(AlertSeverity::Other(v)) => sanitize::line(v),
        Some(s) => Cow::Borrowed(s.short()),
        None => Cow::Borrowed("-"),
    }
}

/// Status by its wire name (what the API and the portal's filters call it).
pub fn status(s: Option<&AlertStatus>) -> Cow<'_, str> {
    wire(s.map(AlertStatus::as_str))
}

/// A value as Graph spelled it (an enum member, a name), sanitised; `-` when unset.
pub fn wire(s: Option<&str>) -> Cow<'_, str> {
    match s {
        Some(s) => sanitize::line(s),
        None => Cow::Borrowed("-"),
    }
}

/// A short readable name for the product that raised the alert.
pub fn service_short(s: Option<&ServiceSource>) -> Cow<'_, str> {
    use ServiceSource as S;
    let name = match s {
        None => "-",
        Some(S::Unknown) => "unknown",
        Some(S::MicrosoftDefenderForEndpoint) => "Endpoint",
        Some(S::MicrosoftDefenderForIdentity) => "Identity",
        Some(S::MicrosoftDefenderForCloudApps) => "CloudApps",
        Some(S::MicrosoftDefenderForOffice365) => "Office365",
        Some(S::Microsoft365Defender) => "M365D",
        Some(S::AzureAdIdentityProtection) => "EntraIDP",
        Some(S::MicrosoftAppGovernance) => "AppGov",
        Some(S::DataLossPrevention) => "DLP",
        Some(S::UnknownFutureValue) => "future",
        Some(S::MicrosoftDefenderForCloud) => "Cloud",
        Some(S::MicrosoftSentinel) => "Sentinel",
        Some(S::MicrosoftInsiderRiskManagement) => "InsiderRM",
        Some(S::MicrosoftThreatIntelligence) => "ThreatIntel",
        Some(S::MicrosoftSecurityForAi) => "AI",
        Some(S::Other(v)) => return sanitize::line(v),
    };
    Cow::Borrowed(name)
}

/// `1234567` → `1,234,567`: counts in the status line are read at a glance.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// How many of what: "1 alert", "3 incidents" (the targets of one action are one kind).
pub fn count_of(targets: &[Target]) -> String {
    let noun = match targets.first().map(|t| t.kind) {
        Some(TargetKind::Incident) => "incident",
        Some(TargetKind::Control) => "control",
        _ => "alert",
    };
    let n = targets.len();
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn relative_ages() {
        let now = datetime!(2026-11-26 12:00 UTC);
        assert_eq!(relative(Some(now), now), "now");
        assert!(datetime_with_age(Some(now), now).ends_with("(just now)"));
        assert_eq!(relative(Some(datetime!(2026-11-26 11:55 UTC)), now), "5m");
        assert_eq!(relative(Some(datetime!(2026-11-26 09:00 UTC)), now), "3h");
        assert_eq!(relative(Some(datetime!(2026-11-24 12:00 UTC)), now), "2d");
        assert_eq!(relative(Some(datetime!(2026-11-26 12:05 UTC)), now), "now");
        assert_eq!(relative(None, now), "-");
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(100_000), "100,000");
    }

    #[test]
    fn unknown_names_are_sanitised() {
        let s = ServiceSource::Other("evil\x1b[2J".into());
        assert!(!service_short(Some(&s)).contains('\x1b'));
    }
}
