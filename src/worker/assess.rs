//! The worker's side of `:assess`: reading the list, submitting (reading a file first, off
//! the terminal loop), and the follower task that polls pending requests until Microsoft
//! has a verdict.
//!
//! The follower polls every request it was asked to follow once per
//! [`AssessPolling::interval`], and lets one go when it completes, after
//! [`AssessPolling::max_polls`] polls, when Graph no longer has it, or when the pane asks
//! it to stop (the pane is gone). Its poll count outlives a stop: leaving the pane and
//! coming back does not start the cap over. A round waits while the shared request budget is low:
//! the analyst's own reads come first.

use crate::app::Action;
use crate::app::assess::{AssessDraft, DraftTarget, SubmitFailure};
use crate::assess_file::read_for_assessment;
use crate::graph::assess::{AssessmentTarget, NewAssessment};
use crate::graph::odata::ODataQuery;
use crate::graph::{Client, GraphError};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::mpsc;

/// How pending requests are followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssessPolling {
    /// Between two polls of the followed requests.
    pub interval: Duration,
    /// Polls of one request before the follower gives up on it (the list's `r` still
    /// shows its verdict later).
    pub max_polls: u32,
}

impl Default for AssessPolling {
    /// Every 5 s for up to 30 minutes: verdicts usually come within minutes, and a GET
    /// per pending request every few seconds is far inside Graph's read limits.
    fn default() -> Self {
        AssessPolling {
            interval: Duration::from_secs(5),
            max_polls: 360,
        }
    }
}

/// What the follower is told.
#[derive(Debug)]
pub enum Follow {
    /// Follow these too.
    Ids(Vec<String>),
    /// The pane is gone: follow nothing.
    Stop,
}

/// All pages of the requests with their results; answered with `AssessmentsLoaded`.
pub async fn load(client: Client, tx: mpsc::Sender<Action>) {
    let query = ODataQuery::new().expand(["results"]);
    let result = super::cases::all(client.list_assessments(&query)).await;
    if let Err(e) = &result {
        tracing::warn!(error = %e, "listing assessment requests failed");
    }
    let _ = tx.send(Action::AssessmentsLoaded(result)).await;
}

/// Reads the file (if any) on a blocking thread, then POSTs; answered with
/// `AssessmentSubmitted`. A file that cannot be sent sends nothing.
pub async fn submit(client: Client, draft: AssessDraft, tx: mpsc::Sender<Action>) {
    let result = submit_draft(&client, draft).await;
    if let Err(e) = &result {
        tracing::warn!(error = ?e, "assessment not submitted");
    }
    let _ = tx
        .send(Action::AssessmentSubmitted(result.map(Box::new)))
        .await;
}

async fn submit_draft(
    client: &Client,
    draft: AssessDraft,
) -> Result<crate::graph::cases::Kept<crate::graph::assess::ThreatAssessmentRequest>, SubmitFailure>
{
    let target = match draft.target {
        DraftTarget::Url { url } => AssessmentTarget::Url { url },
        DraftTarget::Mail {
            message_uri,
            recipient,
        } => AssessmentTarget::Mail {
            recipient_email: recipient,
            message_uri,
        },
        DraftTarget::File { path } => {
            let file = read_file(path).await?;
            AssessmentTarget::File {
                file_name: file.file_name,
                content_data: file.content_data,
            }
        }
        DraftTarget::EmailFile { path, recipient } => {
            let file = read_file(path).await?;
            AssessmentTarget::EmailFile {
                recipient_email: recipient,
                content_data: file.content_data,
            }
        }
    };
    let request = NewAssessment {
        target,
        category: draft.category,
        expected_assessment: draft.expected,
    };
    client
        .submit_assessment(&request)
        .await
        .map_err(|e| match e {
            GraphError::Throttled { retry_after } => SubmitFailure::Throttled { retry_after },
            // A POST that timed out, lost its connection or met a 5xx may have landed.
            other if other.may_have_landed() => SubmitFailure::Unknown(other.to_string()),
            other => SubmitFailure::Failed(other.to_string()),
        })
}

/// Reads and encodes the file on a blocking thread (up to 3 MB: never on the loop).
async fn read_file(
    path: std::path::PathBuf,
) -> Result<crate::assess_file::AssessmentFile, SubmitFailure> {
    tokio::task::spawn_blocking(move || read_for_assessment(&path))
        .await
        .map_err(|e| SubmitFailure::File(format!("the file could not be read: {e}")))?
        .map_err(|p| SubmitFailure::File(p.to_string()))
}

/// One request the follower knows: its polls so far, and whether the pane wants it polled
/// now. The count outlives a stop (leaving the pane) so that coming back does not start
/// [`AssessPolling::max_polls`] over; it is forgotten when the request completes or Graph
/// no longer has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Followed {
    polls: u32,
    active: bool,
}

/// Request id → what the follower knows of it.
type Book = BTreeMap<String, Followed>;

fn any_active(book: &Book) -> bool {
    book.values().any(|f| f.active)
}

/// The follower: runs until its sender goes (the worker ended).
pub async fn follow(
    client: Client,
    polling: AssessPolling,
    mut orders: mpsc::UnboundedReceiver<Follow>,
    tx: mpsc::Sender<Action>,
) {
    let mut book = Book::new();
    loop {
        if !any_active(&book) {
            match orders.recv().await {
                Some(order) => apply(&mut book, order),
                None => return,
            }
            continue;
        }
        let sleep = tokio::time::sleep(polling.interval);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => break,
                order = orders.recv() => match order {
                    Some(order) => apply(&mut book, order),
                    None => return,
                },
            }
        }
        if !any_active(&book) {
            continue;
        }
        if client.budget().is_low() {
            tracing::debug!("assessment polls held: request budget low");
            continue;
        }
        let ids: Vec<String> = book
            .iter()
            .filter(|(_, f)| f.active)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            // An order that came while polling (a stop) counts before the next GET.
            while let Ok(order) = orders.try_recv() {
                apply(&mut book, order);
            }
            let Some(entry) = book.get_mut(&id).filter(|f| f.active) else {
                continue;
            };
            if entry.polls >= polling.max_polls {
                // Followed again after the cap (the pane was left and opened again): no
                // more GETs, the pane is told at once.
                entry.active = false;
                let action = ended(
                    &id,
                    format!(
                        "no verdict after {} checks (r reads the list again)",
                        entry.polls
                    ),
                );
                if tx.send(action).await.is_err() {
                    return;
                }
                continue;
            }
            entry.polls += 1;
            let polls = entry.polls;
            let action = match client.get_assessment(&id).await {
                Ok(r) if !r.is_pending() => {
                    book.remove(&id);
                    Action::AssessmentPolled(Box::new(r))
                }
                Ok(r) if polls >= polling.max_polls => {
                    stop(&mut book, &id);
                    let _ = tx.send(Action::AssessmentPolled(Box::new(r))).await;
                    ended(
                        &id,
                        format!("no verdict after {polls} checks (r reads the list again)"),
                    )
                }
                Ok(r) => Action::AssessmentPolled(Box::new(r)),
                Err(e) if e.is_not_found() => {
                    book.remove(&id);
                    ended(&id, "Graph no longer has it".to_owned())
                }
                Err(e) if polls >= polling.max_polls => {
                    stop(&mut book, &id);
                    ended(&id, e.to_string())
                }
                Err(e) => {
                    tracing::warn!(error = %e, "polling an assessment request failed");
                    continue;
                }
            };
            if tx.send(action).await.is_err() {
                return;
            }
        }
    }
}

fn ended(id: &str, reason: String) -> Action {
    Action::AssessmentFollowEnded {
        id: id.to_owned(),
        reason,
    }
}

/// No more polls of `id` for now; its count stays.
fn stop(book: &mut Book, id: &str) {
    if let Some(f) = book.get_mut(id) {
        f.active = false;
    }
}

fn apply(book: &mut Book, order: Follow) {
    match order {
        Follow::Ids(ids) => {
            for id in ids {
                book.entry(id).or_default().active = true;
            }
        }
        Follow::Stop => book.values_mut().for_each(|f| f.active = false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn polls(book: &Book, id: &str) -> Option<u32> {
        book.get(id).map(|f| f.polls)
    }

    #[test]
    fn orders_add_without_resetting_and_stop_keeps_the_counts() {
        let mut f = Book::new();
        apply(&mut f, Follow::Ids(vec!["a".into(), "b".into()]));
        f.get_mut("a").unwrap().polls = 3;
        apply(&mut f, Follow::Ids(vec!["a".into(), "c".into()]));
        assert_eq!(
            polls(&f, "a"),
            Some(3),
            "following again keeps the count (the cap holds)"
        );
        assert_eq!(f.len(), 3);
        assert!(f.values().all(|x| x.active));
        // Leaving the pane: nothing is polled, but the counts stay.
        apply(&mut f, Follow::Stop);
        assert!(!any_active(&f));
        assert_eq!(polls(&f, "a"), Some(3));
        // Coming back: polled again from where the count was, not from 0.
        apply(&mut f, Follow::Ids(vec!["a".into()]));
        assert_eq!(
            f.get("a"),
            Some(&Followed {
                polls: 3,
                active: true
            }),
            "leaving and coming back does not reset the cap"
        );
        assert!(!f["b"].active && !f["c"].active);
        // Stopping one (its cap reached) keeps its count too.
        stop(&mut f, "a");
        assert_eq!(polls(&f, "a"), Some(3));
        assert!(!any_active(&f));
    }
}
