//! `graphsec assessments ...`: threat assessment requests (surface.md §9) from the command
//! line: list them with their verdicts, show one, and submit a URL, a mail in a mailbox, a
//! file or an .eml file that Microsoft misjudged.
//!
//! Submissions go straight to Graph, not through the outbox: a POST makes a new request
//! every time, and Graph allows few (1 per resource per 15 minutes, 3 a day, 150 per tenant
//! per 15 minutes), so one whose reply was lost is reported, never repeated. `--category` is
//! required: it says what Microsoft is asked to look for (phishing, malware or spam) and
//! there is no safe guess. `--expect` defaults to `block` (the common case: something got
//! through that should not have).
//!
//! A file is read and checked before any request exists: a missing, unreadable, empty or
//! too large file (over `assess_file::MAX_FILE_BYTES`, so that the base64 body stays under Graph's 4 MB
//! request limit) is refused with nothing sent.
//!
//! Throttling: the client honours a `Retry-After` it can wait out within its retry budget
//! (a minute by default) and retries the POST then (Graph did not act on a throttled
//! request). A longer one (a per-resource limit frees after up to 15 minutes or a day) comes
//! back at once as a throttled error, which is printed as one line naming the limit the wait
//! points to and when to try again; nothing is retried behind the analyst's back.

use crate::{Session, say};
use clap::{Args, Subcommand, ValueEnum};
use graphsec::assess_file::read_for_assessment;
use graphsec::graph::assess::{
    AssessmentKind, AssessmentTarget, ExpectedAssessment, NewAssessment, ThreatCategory,
    check_address, check_message_uri, check_url, throttle_text,
};
use graphsec::graph::{Client, GraphError};
use graphsec::headless::{self, OutputFormat};
use graphsec::sanitize;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

#[derive(Subcommand, Debug)]
pub enum AssessCommand {
    /// List threat assessment requests (informationProtection/threatAssessmentRequests),
    /// newest first, all pages, with their verdicts: kind, category, status, created,
    /// verdict and what was assessed (URL, file name or recipient). JSON keeps each request
    /// as Graph sent it, results included.
    List {
        /// An OData filter, e.g. "status eq 'pending'" (Graph takes eq on contentType,
        /// status, category and requestSource).
        #[arg(long)]
        filter: Option<String>,
        /// Stop after this many requests.
        #[arg(long)]
        max: Option<usize>,
    },
    /// Show one request with its results (policy check and verdict).
    Get {
        /// The request's id.
        id: String,
    },
    /// Ask Microsoft to assess a URL.
    SubmitUrl {
        /// The URL, absolute http or https.
        url: String,
        #[command(flatten)]
        common: SubmitArgs,
    },
    /// Ask Microsoft to assess a message in a mailbox, by its Graph URL and recipient.
    SubmitMail {
        /// The message's Graph URL: https://graph.microsoft.com/v1.0/users/{id}/messages/{id}
        /// (or .../me/messages/{id}).
        #[arg(long)]
        message_uri: String,
        /// The mailbox the message was delivered to.
        #[arg(long)]
        recipient: String,
        #[command(flatten)]
        common: SubmitArgs,
    },
    /// Ask Microsoft to assess a file on this machine (at most 3,000,000 bytes: the
    /// base64 body must stay under Graph's 4 MB request limit). With --eml the file is a
    /// saved message (.eml) and is sent as an email file for --recipient.
    SubmitFile {
        /// The file to send.
        path: PathBuf,
        /// The file is a message (.eml): send it as an emailFileAssessmentRequest.
        #[arg(long, requires = "recipient")]
        eml: bool,
        /// With --eml: the mailbox the message was delivered to.
        #[arg(long, requires = "eml")]
        recipient: Option<String>,
        #[command(flatten)]
        common: SubmitArgs,
    },
}

/// What every submission takes.
#[derive(Args, Debug)]
pub struct SubmitArgs {
    /// What Microsoft should look for.
    #[arg(long, value_enum)]
    category: Category,
    /// What should have happened to it.
    #[arg(long, value_enum, default_value_t = Expect::Block)]
    expect: Expect,
    /// Wait for the verdict: check every few seconds (up to 10 minutes), then print the
    /// request with its results. Ctrl-C stops waiting; the request goes on at Graph.
    #[arg(long)]
    wait: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Category {
    Phishing,
    Malware,
    Spam,
}

impl From<Category> for ThreatCategory {
    fn from(c: Category) -> Self {
        match c {
            Category::Phishing => ThreatCategory::Phishing,
            Category::Malware => ThreatCategory::Malware,
            Category::Spam => ThreatCategory::Spam,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Expect {
    Block,
    Unblock,
}

impl From<Expect> for ExpectedAssessment {
    fn from(e: Expect) -> Self {
        match e {
            Expect::Block => ExpectedAssessment::Block,
            Expect::Unblock => ExpectedAssessment::Unblock,
        }
    }
}

/// Time between two checks of a pending request.
const POLL_EVERY: Duration = Duration::from_secs(3);
/// How long `--wait` waits for a verdict before giving up (the request goes on at Graph).
const WAIT_CAP: Duration = Duration::from_secs(10 * 60);
/// Exit status when the analyst stopped waiting with Ctrl-C (128 + SIGINT).
const EXIT_INTERRUPTED: u8 = 130;

pub async fn run(
    session: &Session,
    cmd: AssessCommand,
    format: OutputFormat,
    read_only: bool,
) -> anyhow::Result<ExitCode> {
    let client = &session.client;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (new, wait) = match cmd {
        AssessCommand::List { filter, max } => {
            headless::assess::list_assessments(client, filter.as_deref(), max, format, &mut out)
                .await?;
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        AssessCommand::Get { id } => {
            let a = client.get_assessment(&id).await?;
            headless::assess::write_assessment(&a, format, &mut out)?;
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        AssessCommand::SubmitUrl { url, common } => {
            refuse_if_read_only(read_only)?;
            (new_assessment(url_target(&url)?, &common), common.wait)
        }
        AssessCommand::SubmitMail {
            message_uri,
            recipient,
            common,
        } => {
            refuse_if_read_only(read_only)?;
            let target = AssessmentTarget::Mail {
                recipient_email: recipient_address(&recipient)?,
                message_uri: message_uri_arg(&message_uri)?,
            };
            (new_assessment(target, &common), common.wait)
        }
        AssessCommand::SubmitFile {
            path,
            eml,
            recipient,
            common,
        } => {
            refuse_if_read_only(read_only)?;
            // Read (and size-checked) before any request exists.
            let file = read_for_assessment(&path)?;
            let target = match recipient {
                Some(r) if eml => AssessmentTarget::EmailFile {
                    recipient_email: recipient_address(&r)?,
                    content_data: file.content_data,
                },
                _ => AssessmentTarget::File {
                    file_name: file.file_name,
                    content_data: file.content_data,
                },
            };
            (new_assessment(target, &common), common.wait)
        }
    };
    let kind = new.target.kind();
    let made = client
        .submit_assessment(&new)
        .await
        .map_err(|e| submit_error(e, kind, OffsetDateTime::now_utc()))?;
    let id = sanitize::line(&made.id).into_owned();
    if !wait {
        headless::assess::write_assessment(&made, format, &mut out)?;
        out.flush()?;
        say(&format!(
            "submitted {kind} assessment {id} ({}); see its verdict with 'graphsec assessments get {id}'",
            headless_status(&made)
        ));
        return Ok(ExitCode::SUCCESS);
    }
    wait_for_verdict(client, &made.id, &id, format, &mut out).await
}

fn refuse_if_read_only(read_only: bool) -> anyhow::Result<()> {
    if read_only {
        anyhow::bail!("read-only: this profile (or --read-only) does not allow changes");
    }
    Ok(())
}

fn new_assessment(target: AssessmentTarget, common: &SubmitArgs) -> NewAssessment {
    NewAssessment {
        target,
        category: common.category.into(),
        expected_assessment: common.expect.into(),
    }
}

/// The request's status for the stderr line: an open enum, so an unknown value is shown as
/// Graph sent it, which may carry anything (sanitised like every other server string).
fn headless_status(a: &graphsec::graph::assess::ThreatAssessmentRequest) -> String {
    a.status.as_ref().map_or_else(
        || "no status".to_owned(),
        |s| sanitize::line(s.as_str()).into_owned(),
    )
}

/// An absolute http(s) URL, as Graph requires (the console form's rule); refused here so
/// nothing is sent.
fn url_target(url: &str) -> anyhow::Result<AssessmentTarget> {
    let trimmed = url.trim();
    match check_url(trimmed) {
        Ok(()) => Ok(AssessmentTarget::Url {
            url: trimmed.to_owned(),
        }),
        Err(why) => anyhow::bail!(
            "'{}' is not an absolute http or https URL: {why}",
            sanitize::line(url)
        ),
    }
}

/// A mail address (the console form's rule).
fn recipient_address(r: &str) -> anyhow::Result<String> {
    let r = r.trim();
    match check_address(r) {
        Ok(()) => Ok(r.to_owned()),
        Err(why) => anyhow::bail!(
            "--recipient '{}' is not an email address: {why}",
            sanitize::line(r)
        ),
    }
}

/// A Graph message URL (`.../users/{id}/messages/{id}` or `.../me/messages/{id}`; the
/// console form's rule).
fn message_uri_arg(uri: &str) -> anyhow::Result<String> {
    let uri = uri.trim();
    match check_message_uri(uri) {
        Ok(()) => Ok(uri.to_owned()),
        Err(why) => anyhow::bail!(
            "--message-uri '{}' is not a Graph message URL: {why}",
            sanitize::line(uri)
        ),
    }
}

/// A refused submission as one readable line. A 429 names the limit its wait points to:
/// Graph's body says which, but the client keeps only `Retry-After`; a wait of up to 15
/// minutes is one of the 15-minute limits, a longer one a daily limit. A POST whose answer
/// was lost (no answer in time, a dropped connection, a 5xx) may have created the request:
/// the analyst is told to look before sending it again.
fn submit_error(e: GraphError, kind: AssessmentKind, now: OffsetDateTime) -> anyhow::Error {
    if e.may_have_landed() {
        return anyhow::anyhow!(
            "the {kind} assessment may have been submitted ({e}): check 'graphsec assessments list' before submitting it again (a second one would be a duplicate)"
        );
    }
    let GraphError::Throttled { retry_after } = e else {
        return e.into();
    };
    anyhow::anyhow!(
        "{}; nothing was submitted",
        throttle_text(kind, retry_after, now)
    )
}

/// "14 min 5 s", "2 h 3 min", "40 s".
fn human(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// `--wait`: GET the request every [`POLL_EVERY`] until it is completed (at most
/// [`WAIT_CAP`]), then print it with its results.
async fn wait_for_verdict(
    client: &Client,
    id: &str,
    safe_id: &str,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let stopped = || {
        say(&format!(
            "stopped waiting; the assessment {safe_id} goes on at Graph: see 'graphsec assessments get {safe_id}'"
        ));
        Ok(ExitCode::from(EXIT_INTERRUPTED))
    };
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    if futures_util::FutureExt::now_or_never(&mut ctrl_c).is_some() {
        return stopped();
    }
    say(&format!(
        "submitted assessment {safe_id}; waiting for the verdict, checking every {} s (Ctrl-C stops waiting)",
        POLL_EVERY.as_secs()
    ));
    let started = Instant::now();
    loop {
        tokio::select! {
            _ = &mut ctrl_c => return stopped(),
            _ = tokio::time::sleep(POLL_EVERY) => {}
        }
        let a = tokio::select! {
            _ = &mut ctrl_c => return stopped(),
            a = client.get_assessment(id) => a?,
        };
        if !a.is_pending() {
            headless::assess::write_assessment(&a, format, out)?;
            out.flush()?;
            let verdicts: Vec<&str> = a.verdicts().collect();
            say(&format!(
                "assessment {safe_id} completed: {}",
                if verdicts.is_empty() {
                    "no verdict given".to_owned()
                } else {
                    sanitize::line(&verdicts.join("; ")).into_owned()
                }
            ));
            return Ok(ExitCode::SUCCESS);
        }
        if started.elapsed() >= WAIT_CAP {
            anyhow::bail!(
                "assessment {safe_id} is still pending after {}; it goes on at Graph: see 'graphsec assessments get {safe_id}'",
                human(WAIT_CAP)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(url_target("https://example.com/a").is_ok());
        assert!(url_target(" http://test.com ").is_ok());
        for bad in [
            "example.com",
            "/a/b",
            "ftp://x.example/",
            "javascript:alert(1)",
        ] {
            assert!(url_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn message_uris_must_name_a_graph_message() {
        assert!(message_uri_arg("https://graph.microsoft.com/v1.0/users/u/messages/AAMk=").is_ok());
        assert!(message_uri_arg("https://graph.microsoft.com/v1.0/me/messages/m").is_ok());
        for bad in [
            "AAMk=",
            "https://graph.microsoft.com/v1.0/users/u/events/e",
            "https://graph.microsoft.com/v1.0/users/u/messages",
        ] {
            assert!(message_uri_arg(bad).is_err(), "{bad}");
        }
        assert!(recipient_address("a@contoso.com").is_ok());
        assert!(recipient_address("nobody").is_err());
    }

    #[test]
    fn a_throttled_submission_names_the_limit_and_when_to_retry() {
        let now = time::macros::datetime!(2026-11-27 02:00 UTC);
        let e = submit_error(
            GraphError::Throttled {
                retry_after: Some(Duration::from_secs(840)),
            },
            AssessmentKind::Url,
            now,
        )
        .to_string();
        assert!(e.contains("15-minute limit"), "{e}");
        assert!(e.contains("same URL once in 15 minutes"), "{e}");
        assert!(e.contains("retry after 02:14:00 UTC (in 14 min)"), "{e}");
        assert!(e.contains("nothing was submitted"), "{e}");
        let e = submit_error(
            GraphError::Throttled {
                retry_after: Some(Duration::from_secs(20 * 3600)),
            },
            AssessmentKind::File,
            now,
        )
        .to_string();
        assert!(
            e.contains("daily limit") && e.contains("same file 3 times"),
            "{e}"
        );
        assert!(e.contains("retry after 22:00:00 UTC (in 20 h)"), "{e}");
        let e = submit_error(
            GraphError::Throttled { retry_after: None },
            AssessmentKind::Mail,
            now,
        )
        .to_string();
        assert!(e.contains("did not say when"), "{e}");
        // A refusal passes through unchanged.
        let refused = GraphError::Api {
            status: 400,
            code: "BadRequest".into(),
            message: "invalid url".into(),
            request_id: None,
        };
        let e = submit_error(refused, AssessmentKind::Url, now);
        assert!(e.downcast_ref::<GraphError>().is_some());
    }

    #[test]
    fn a_submission_without_an_answer_may_have_landed() {
        let now = time::macros::datetime!(2026-11-27 02:00 UTC);
        for lost in [
            GraphError::Timeout,
            GraphError::Transport("connection reset".into()),
            GraphError::Api {
                status: 503,
                code: String::new(),
                message: "unavailable".into(),
                request_id: None,
            },
        ] {
            let e = submit_error(lost, AssessmentKind::Url, now).to_string();
            assert!(e.contains("may have been submitted"), "{e}");
            assert!(e.contains("graphsec assessments list"), "{e}");
        }
    }

    #[test]
    fn an_unknown_status_is_sanitised() {
        let a: graphsec::graph::assess::ThreatAssessmentRequest = serde_json::from_value(
            serde_json::json!({"id": "ta-1", "status": "done\u{1b}[2J\nnow"}),
        )
        .expect("a request");
        let shown = headless_status(&a);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(shown.contains("done"), "{shown:?}");
    }

    #[test]
    fn the_file_limit_keeps_the_body_under_4_mb() {
        use graphsec::assess_file::MAX_FILE_BYTES;
        // base64 of the largest file plus the JSON around it.
        assert!(MAX_FILE_BYTES.div_ceil(3) * 4 + 1024 <= 4 * 1024 * 1024);
    }
}
