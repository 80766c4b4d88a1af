//! Graph's evolvable enums.
//!
//! Graph adds enum members over time (and, without `Prefer: include-unknown-enum-members`,
//! substitutes `unknownFutureValue`). A value the console does not know must never fail a
//! page: every enum here has an `Other` variant that keeps the value as it came, and the
//! deserializer accepts any JSON scalar.

use serde::de::{self, Deserializer, Visitor};
use serde::{Serialize, Serializer};
use std::fmt;

/// Declares an open enum: known members map to variants (matched case-insensitively, since
/// some documented bodies use PascalCase), anything else is kept verbatim in `Other`.
#[macro_export]
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
            /// A member this build does not know, kept exactly as Graph sent it.
            Other(Box<str>),
        }

        impl $name {
            /// Every known member, in schema order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The wire names of the known members, in schema order.
            pub const NAMES: &'static [&'static str] = &[$($wire),*];

            /// Parses a value only if it is a known member (for input typed by a user,
            /// where a typo should be an error rather than an `Other`).
            pub fn parse_known(s: &str) -> Option<Self> {
                Some(Self::parse(s)).filter(|v| !v.is_other())
            }

            /// [`Self::parse_known`] with an error that lists the known members, for
            /// values typed on a command line.
            pub fn parse_input(s: &str) -> Result<Self, $crate::graph::enums::UnknownMember> {
                Self::parse_known(s).ok_or_else(|| $crate::graph::enums::UnknownMember {
                    value: s.to_owned(),
                    names: Self::NAMES,
                })
            }

            /// The wire name (camelCase as in the CSDL), or the unknown value as received.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Other(s) => s,
                }
            }

            /// Parses a wire value; never fails.
            pub fn parse(s: &str) -> Self {
                $(if s.eq_ignore_ascii_case($wire) { return $name::$variant; })*
                $name::Other(s.into())
            }

            /// True for a value this build does not know.
            pub fn is_other(&self) -> bool {
                matches!(self, $name::Other(_))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name::parse(s))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::graph::enums::serialize_str(self.as_str(), s)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::graph::enums::deserialize_scalar(d).map(|s| $name::parse(&s))
            }
        }
    };
}

/// A typed value that is not a member of its enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not one of: {}", names.join(", "))]
pub struct UnknownMember {
    pub value: String,
    pub names: &'static [&'static str],
}

#[doc(hidden)]
pub fn serialize_str<S: Serializer>(v: &str, s: S) -> Result<S::Ok, S::Error> {
    v.serialize(s)
}

/// Accepts any JSON scalar as text, so a number or boolean where an enum was expected
/// becomes an `Other` value instead of an error.
#[doc(hidden)]
pub fn deserialize_scalar<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct ScalarText;
    impl Visitor<'_> for ScalarText {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or scalar")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    d.deserialize_any(ScalarText)
}

open_enum!(
    /// `security.alertStatus`
    AlertStatus {
        Unknown = "unknown",
        New = "new",
        InProgress = "inProgress",
        Resolved = "resolved",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `security.incidentStatus`. No `unknown` member; `awaitingAction` comes after
    /// `unknownFutureValue`, so Graph sends it only with `Prefer: include-unknown-enum-members`.
    IncidentStatus {
        Active = "active",
        Resolved = "resolved",
        InProgress = "inProgress",
        Redirected = "redirected",
        UnknownFutureValue = "unknownFutureValue",
        AwaitingAction = "awaitingAction",
    }
);

open_enum!(
    /// `security.alertSeverity`
    AlertSeverity {
        Unknown = "unknown",
        Informational = "informational",
        Low = "low",
        Medium = "medium",
        High = "high",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `security.alertClassification`
    AlertClassification {
        Unknown = "unknown",
        FalsePositive = "falsePositive",
        TruePositive = "truePositive",
        InformationalExpectedActivity = "informationalExpectedActivity",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `security.alertDetermination` (CSDL names).
    AlertDetermination {
        Unknown = "unknown",
        Apt = "apt",
        Malware = "malware",
        SecurityPersonnel = "securityPersonnel",
        SecurityTesting = "securityTesting",
        UnwantedSoftware = "unwantedSoftware",
        OtherReason = "other",
        MultiStagedAttack = "multiStagedAttack",
        CompromisedAccount = "compromisedAccount",
        Phishing = "phishing",
        MaliciousUserActivity = "maliciousUserActivity",
        NotMalicious = "notMalicious",
        NotEnoughDataToValidate = "notEnoughDataToValidate",
        ConfirmedActivity = "confirmedActivity",
        LineOfBusinessApplication = "lineOfBusinessApplication",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `security.serviceSource`; members after `unknownFutureValue` are Prefer-gated.
    ServiceSource {
        Unknown = "unknown",
        MicrosoftDefenderForEndpoint = "microsoftDefenderForEndpoint",
        MicrosoftDefenderForIdentity = "microsoftDefenderForIdentity",
        MicrosoftDefenderForCloudApps = "microsoftDefenderForCloudApps",
        MicrosoftDefenderForOffice365 = "microsoftDefenderForOffice365",
        Microsoft365Defender = "microsoft365Defender",
        AzureAdIdentityProtection = "azureAdIdentityProtection",
        MicrosoftAppGovernance = "microsoftAppGovernance",
        DataLossPrevention = "dataLossPrevention",
        UnknownFutureValue = "unknownFutureValue",
        MicrosoftDefenderForCloud = "microsoftDefenderForCloud",
        MicrosoftSentinel = "microsoftSentinel",
        MicrosoftInsiderRiskManagement = "microsoftInsiderRiskManagement",
        MicrosoftThreatIntelligence = "microsoftThreatIntelligence",
        MicrosoftSecurityForAi = "microsoftSecurityForAI",
    }
);

open_enum!(
    /// `security.detectionSource`; members after `unknownFutureValue` are Prefer-gated.
    DetectionSource {
        Unknown = "unknown",
        MicrosoftDefenderForEndpoint = "microsoftDefenderForEndpoint",
        Antivirus = "antivirus",
        SmartScreen = "smartScreen",
        CustomTi = "customTi",
        MicrosoftDefenderForOffice365 = "microsoftDefenderForOffice365",
        AutomatedInvestigation = "automatedInvestigation",
        MicrosoftThreatExperts = "microsoftThreatExperts",
        CustomDetection = "customDetection",
        MicrosoftDefenderForIdentity = "microsoftDefenderForIdentity",
        CloudAppSecurity = "cloudAppSecurity",
        Microsoft365Defender = "microsoft365Defender",
        AzureAdIdentityProtection = "azureAdIdentityProtection",
        Manual = "manual",
        MicrosoftDataLossPrevention = "microsoftDataLossPrevention",
        AppGovernancePolicy = "appGovernancePolicy",
        AppGovernanceDetection = "appGovernanceDetection",
        UnknownFutureValue = "unknownFutureValue",
        MicrosoftDefenderForCloud = "microsoftDefenderForCloud",
        MicrosoftDefenderForIoT = "microsoftDefenderForIoT",
        MicrosoftDefenderForServers = "microsoftDefenderForServers",
        MicrosoftDefenderForStorage = "microsoftDefenderForStorage",
        MicrosoftDefenderForDns = "microsoftDefenderForDNS",
        MicrosoftDefenderForDatabases = "microsoftDefenderForDatabases",
        MicrosoftDefenderForContainers = "microsoftDefenderForContainers",
        MicrosoftDefenderForNetwork = "microsoftDefenderForNetwork",
        MicrosoftDefenderForAppService = "microsoftDefenderForAppService",
        MicrosoftDefenderForKeyVault = "microsoftDefenderForKeyVault",
        MicrosoftDefenderForResourceManager = "microsoftDefenderForResourceManager",
        MicrosoftDefenderForApiManagement = "microsoftDefenderForApiManagement",
        NrtAlerts = "nrtAlerts",
        ScheduledAlerts = "scheduledAlerts",
        MicrosoftDefenderThreatIntelligenceAnalytics = "microsoftDefenderThreatIntelligenceAnalytics",
        BuiltInMl = "builtInMl",
        MicrosoftInsiderRiskManagement = "microsoftInsiderRiskManagement",
        MicrosoftThreatIntelligence = "microsoftThreatIntelligence",
        MicrosoftDefenderForAiServices = "microsoftDefenderForAIServices",
        SecurityCopilot = "securityCopilot",
        MicrosoftSentinel = "microsoftSentinel",
    }
);

open_enum!(
    /// `security.investigationState`
    InvestigationState {
        Unknown = "unknown",
        Terminated = "terminated",
        SuccessfullyRemediated = "successfullyRemediated",
        Benign = "benign",
        Failed = "failed",
        PartiallyRemediated = "partiallyRemediated",
        Running = "running",
        PendingApproval = "pendingApproval",
        PendingResource = "pendingResource",
        Queued = "queued",
        InnerFailure = "innerFailure",
        PreexistingAlert = "preexistingAlert",
        UnsupportedOs = "unsupportedOs",
        UnsupportedAlertType = "unsupportedAlertType",
        SuppressedAlert = "suppressedAlert",
        PartiallyInvestigated = "partiallyInvestigated",
        TerminatedByUser = "terminatedByUser",
        TerminatedBySystem = "terminatedBySystem",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `security.evidenceVerdict`
    EvidenceVerdict {
        Unknown = "unknown",
        Suspicious = "suspicious",
        Malicious = "malicious",
        NoThreatsFound = "noThreatsFound",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `security.evidenceRemediationStatus`
    EvidenceRemediationStatus {
        None = "none",
        Remediated = "remediated",
        Prevented = "prevented",
        Blocked = "blocked",
        NotFound = "notFound",
        UnknownFutureValue = "unknownFutureValue",
        Active = "active",
        PendingApproval = "pendingApproval",
        Declined = "declined",
        Unremediated = "unremediated",
        Running = "running",
        PartiallyRemediated = "partiallyRemediated",
    }
);

open_enum!(
    /// `security.evidenceRole`
    EvidenceRole {
        Unknown = "unknown",
        Contextual = "contextual",
        Scanned = "scanned",
        Source = "source",
        Destination = "destination",
        Created = "created",
        Added = "added",
        Compromised = "compromised",
        Edited = "edited",
        Attacked = "attacked",
        Attacker = "attacker",
        CommandAndControl = "commandAndControl",
        Loaded = "loaded",
        Suspicious = "suspicious",
        PolicyViolator = "policyViolator",
        UnknownFutureValue = "unknownFutureValue",
    }
);

impl AlertSeverity {
    /// Short label for narrow columns; severity is always readable as text, never colour alone.
    pub fn short(&self) -> &str {
        match self {
            AlertSeverity::High => "HIGH",
            AlertSeverity::Medium => "MED",
            AlertSeverity::Low => "LOW",
            AlertSeverity::Informational => "INFO",
            AlertSeverity::Unknown => "UNK",
            AlertSeverity::UnknownFutureValue => "FUT",
            AlertSeverity::Other(s) => s,
        }
    }

    /// Sort rank: higher is more severe; unknown values sort below informational.
    pub fn rank(&self) -> u8 {
        match self {
            AlertSeverity::High => 5,
            AlertSeverity::Medium => 4,
            AlertSeverity::Low => 3,
            AlertSeverity::Informational => 2,
            AlertSeverity::Unknown => 1,
            _ => 0,
        }
    }
}

impl AlertDetermination {
    /// Determinations that are meaningful with a classification, as in the Defender portal:
    /// true positives name what the threat was, false positives why it was not one, and
    /// informational/expected activity names why it was expected.
    pub fn valid_for(classification: &AlertClassification) -> &'static [AlertDetermination] {
        use AlertDetermination as D;
        match classification {
            AlertClassification::TruePositive => &[
                D::MultiStagedAttack,
                D::MaliciousUserActivity,
                D::CompromisedAccount,
                D::Malware,
                D::Phishing,
                D::UnwantedSoftware,
                D::Apt,
                D::OtherReason,
            ],
            AlertClassification::InformationalExpectedActivity => &[
                D::SecurityTesting,
                D::LineOfBusinessApplication,
                D::ConfirmedActivity,
                D::SecurityPersonnel,
                D::OtherReason,
            ],
            AlertClassification::FalsePositive => {
                &[D::NotMalicious, D::NotEnoughDataToValidate, D::OtherReason]
            }
            _ => &[D::Unknown],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_parse_case_insensitively() {
        assert_eq!(
            AlertClassification::parse("TruePositive"),
            AlertClassification::TruePositive
        );
        assert_eq!(AlertStatus::parse("inProgress"), AlertStatus::InProgress);
    }

    #[test]
    fn unknown_values_are_kept_verbatim() {
        let v: ServiceSource = serde_json::from_str("\"microsoftBrandNewThing\"").unwrap();
        assert_eq!(v, ServiceSource::Other("microsoftBrandNewThing".into()));
        assert_eq!(v.to_string(), "microsoftBrandNewThing");
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            "\"microsoftBrandNewThing\""
        );
    }

    #[test]
    fn non_string_scalars_do_not_fail() {
        let v: AlertSeverity = serde_json::from_str("256").unwrap();
        assert_eq!(v, AlertSeverity::Other("256".into()));
        let n: Option<AlertSeverity> = serde_json::from_str("null").unwrap();
        assert_eq!(n, None);
    }

    #[test]
    fn prefer_gated_members_are_known() {
        assert_eq!(
            DetectionSource::parse("microsoftDefenderForCloud"),
            DetectionSource::MicrosoftDefenderForCloud
        );
        assert!(!ServiceSource::parse("microsoftSentinel").is_other());
    }

    #[test]
    fn every_classification_has_valid_determinations() {
        for c in AlertClassification::KNOWN {
            assert!(!AlertDetermination::valid_for(c).is_empty());
        }
    }
}
