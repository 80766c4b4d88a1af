//! The worker's side of `:assess`: reading the list, submitting (reading a file first, off
//! the terminal loop), and the follower task that polls pending requests until Microsoft
//! has a verdict.
//!
//! The follower polls every request it was asked to follow once per
//! [`AssessPolling::interval`], and lets one go when it completes, after
//! [`AssessPolling::max_polls`] polls, when Graph no longer has it, or when the pane asks
//! it to stop (the pane is gone). A round waits while the shared request budget is low:
//! the analyst's own reads come first.

use crate::app::Action;
use crate::app::assess::{AssessDraft, DraftTarget, SubmitFailure};
use crate::assess_file::read_for_assessment;
use crate::graph::assess::{AssessmentTarget, NewAssessment};
use crate::graph::odata::ODataQuery;
use crate::graph::{Client, GraphError};
use futures_util::StreamExt;
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
    let mut pages = client.list_assessments(&query);
    let mut items = Vec::new();
    let mut result = Ok(());
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => items.extend(p.items),
            Err(e) => {
                result = Err(e.to_string());
                break;
            }
        }
    }
    if let Err(e) = &result {
        tracing::warn!(error = %e, "listing assessment requests failed");
    }
    let _ = tx
        .send(Action::AssessmentsLoaded(result.map(|()| items)))
        .await;
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

/// The follower: runs until its sender goes (the worker ended).
pub async fn follow(
    client: Client,
    polling: AssessPolling,
    mut orders: mpsc::UnboundedReceiver<Follow>,
    tx: mpsc::Sender<Action>,
) {
    // Request id → polls so far.
    let mut followed: BTreeMap<String, u32> = BTreeMap::new();
    loop {
        if followed.is_empty() {
            match orders.recv().await {
                Some(order) => apply(&mut followed, order),
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
                    Some(order) => apply(&mut followed, order),
                    None => return,
                },
            }
        }
        if followed.is_empty() {
            continue;
        }
        if client.budget().is_low() {
            tracing::debug!("assessment polls held: request budget low");
            continue;
        }
        let ids: Vec<String> = followed.keys().cloned().collect();
        for id in ids {
            // An order that came while polling (a stop) counts before the next GET.
            while let Ok(order) = orders.try_recv() {
                apply(&mut followed, order);
            }
            let Some(polls) = followed.get_mut(&id) else {
                continue;
            };
            *polls += 1;
            let polls = *polls;
            let action = match client.get_assessment(&id).await {
                Ok(r) if !r.is_pending() => {
                    followed.remove(&id);
                    Action::AssessmentPolled(Box::new(r))
                }
                Ok(r) if polls >= polling.max_polls => {
                    followed.remove(&id);
                    let _ = tx.send(Action::AssessmentPolled(Box::new(r))).await;
                    ended(
                        &id,
                        format!("no verdict after {polls} checks (r reads the list again)"),
                    )
                }
                Ok(r) => Action::AssessmentPolled(Box::new(r)),
                Err(e) if e.is_not_found() => {
                    followed.remove(&id);
                    ended(&id, "Graph no longer has it".to_owned())
                }
                Err(e) if polls >= polling.max_polls => {
                    followed.remove(&id);
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

fn apply(followed: &mut BTreeMap<String, u32>, order: Follow) {
    match order {
        Follow::Ids(ids) => {
            for id in ids {
                followed.entry(id).or_insert(0);
            }
        }
        Follow::Stop => followed.clear(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_add_without_resetting_and_stop_clears() {
        let mut f = BTreeMap::new();
        apply(&mut f, Follow::Ids(vec!["a".into(), "b".into()]));
        *f.get_mut("a").unwrap() = 3;
        apply(&mut f, Follow::Ids(vec!["a".into(), "c".into()]));
        assert_eq!(
            f.get("a"),
            Some(&3),
            "following again keeps the count (the cap holds)"
        );
        assert_eq!(f.len(), 3);
        apply(&mut f, Follow::Stop);
        assert!(f.is_empty());
    }
}
