//! The worker's one cases task: every eDiscovery read and write the `:cases` pane asks for
//! runs here, one after another, in queue order. Graph allows 5 eDiscovery requests a
//! minute and the client waits for a slot of that window itself, so fanning out would only
//! make requests wait in the client in no particular order; here they wait in a queue the
//! analyst can reorder (the tab being looked at goes first) and the pane is told when the
//! next request may go and how many wait.

use crate::app::Action;
use crate::app::cases::{CaseTab, Pacing, TabRows};
use crate::graph::Client;
use crate::graph::cases::NewCase;
use crate::graph::odata::ODataQuery;
use futures_util::StreamExt;
use std::collections::VecDeque;
use time::OffsetDateTime;
use tokio::sync::mpsc;

/// Page size for case lists: few requests, as each one costs a slot of the window.
const CASE_PAGE_SIZE: u32 = 100;

/// One request (or a read of every page) for the cases queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseJob {
    ListCases,
    Tab { case_id: String, tab: CaseTab },
    Close { case_id: String },
    Reopen { case_id: String },
    Create { case: NewCase },
    AddCustodian { case_id: String, email: String },
}

/// A job for the queue: at the back, or first ("this one first").
#[derive(Debug)]
pub struct Queued {
    pub job: CaseJob,
    pub first: bool,
}

/// Runs jobs one at a time until the sender goes (the worker ended).
pub async fn run(
    client: Client,
    mut jobs: mpsc::UnboundedReceiver<Queued>,
    tx: mpsc::Sender<Action>,
) {
    let mut queue: VecDeque<CaseJob> = VecDeque::new();
    let mut running: Option<CaseJob> = None;
    let mut told = Pacing::default();
    loop {
        if queue.is_empty() {
            tell(&tx, &mut told, Pacing::default()).await;
            match jobs.recv().await {
                Some(q) => enqueue(&mut queue, running.as_ref(), q),
                None => return,
            }
        }
        while let Ok(q) = jobs.try_recv() {
            enqueue(&mut queue, running.as_ref(), q);
        }
        let Some(job) = queue.pop_front() else {
            continue;
        };
        running = Some(job.clone());
        tell(&tx, &mut told, pacing(&client, &queue, running.as_ref())).await;
        let work = execute(&client, job);
        tokio::pin!(work);
        let action = loop {
            tokio::select! {
                action = &mut work => break action,
                q = jobs.recv() => match q {
                    Some(q) => {
                        enqueue(&mut queue, running.as_ref(), q);
                        tell(&tx, &mut told, pacing(&client, &queue, running.as_ref())).await;
                    }
                    None => return,
                },
            }
        };
        running = None;
        if tx.send(action).await.is_err() {
            return;
        }
    }
}

/// Queues `q`, unless the same job waits already (then `first` moves it to the front) or
/// runs right now (asking again while it runs would only read it twice).
fn enqueue(queue: &mut VecDeque<CaseJob>, running: Option<&CaseJob>, q: Queued) {
    if running == Some(&q.job) && is_read(&q.job) {
        return;
    }
    if q.first {
        queue.retain(|j| *j != q.job);
        queue.push_front(q.job);
    } else if !(is_read(&q.job) && queue.contains(&q.job)) {
        queue.push_back(q.job);
    }
}

fn is_read(job: &CaseJob) -> bool {
    matches!(job, CaseJob::ListCases | CaseJob::Tab { .. })
}

/// Where the queue stands now: when the client's window lets the next request go, and how
/// many reads wait for it (the running one too while the window holds it; writes waiting
/// are the pane's own "sending" count).
fn pacing(client: &Client, queue: &VecDeque<CaseJob>, running: Option<&CaseJob>) -> Pacing {
    let wait = client.ediscovery_wait();
    let next_at = (!wait.is_zero()).then(|| {
        // Whole seconds: the line shows seconds, and a sub-second jitter must not redraw.
        let at = OffsetDateTime::now_utc() + wait;
        let secs = at.unix_timestamp() + i64::from(at.nanosecond() > 0);
        OffsetDateTime::from_unix_timestamp(secs).unwrap_or(at)
    });
    let held = running.is_some_and(is_read) && next_at.is_some();
    let waiting = queue.iter().filter(|j| is_read(j)).count() + usize::from(held);
    Pacing { next_at, waiting }
}

async fn tell(tx: &mpsc::Sender<Action>, told: &mut Pacing, now: Pacing) {
    if *told != now {
        *told = now;
        let _ = tx.send(Action::CasesPacing(now)).await;
    }
}

/// Every item of every page, or the first failure as a line for the analyst (the other
/// panes' reads use it too).
pub(super) async fn all<T>(
    pages: impl futures_util::Stream<
        Item = Result<crate::graph::models::Page<T>, crate::graph::GraphError>,
    > + Unpin,
) -> Result<Vec<T>, String> {
    let mut pages = pages;
    let mut items = Vec::new();
    while let Some(page) = pages.next().await {
        items.extend(page.map_err(|e| e.to_string())?.items);
    }
    Ok(items)
}

async fn execute(client: &Client, job: CaseJob) -> Action {
    let query = ODataQuery::new().top(CASE_PAGE_SIZE);
    match job {
        CaseJob::ListCases => Action::CasesLoaded(all(client.list_cases(&query)).await),
        CaseJob::Tab { case_id, tab } => {
            let id = case_id.as_str();
            let result = match tab {
                CaseTab::Custodians => all(client.list_custodians(id, &query))
                    .await
                    .map(TabRows::Custodians),
                CaseTab::Sources => all(client.list_noncustodial_sources(id, &query))
                    .await
                    .map(TabRows::Sources),
                // Without `$expand=lastEstimateStatisticsOperation`: the list does not
                // take it (only a GET of one search does, and one GET per search would
                // spend the 5-a-minute window). The column shows what the list carries
                // and the estimates this console follows.
                CaseTab::Searches => all(client.list_searches(id, &query))
                    .await
                    .map(TabRows::Searches),
                CaseTab::ReviewSets => all(client.list_review_sets(id, &query))
                    .await
                    .map(TabRows::ReviewSets),
                CaseTab::Holds => all(client.list_legal_holds(id, &query))
                    .await
                    .map(TabRows::Holds),
                CaseTab::Operations => all(client.list_operations(id, &query))
                    .await
                    .map(TabRows::Operations),
            };
            if let Err(e) = &result {
                tracing::warn!(error = %e, tab = tab.title(), "case tab read failed");
            }
            Action::CaseTabLoaded {
                case_id,
                tab,
                result,
            }
        }
        CaseJob::Close { case_id } => {
            let result = match client.close_case(&case_id).await {
                Ok(()) => read_back(client, &case_id).await,
                Err(e) => Err(e.to_string()),
            };
            Action::CaseWritten {
                case_id: Some(case_id),
                result,
            }
        }
        CaseJob::Reopen { case_id } => {
            let result = match client.reopen_case(&case_id).await {
                Ok(()) => read_back(client, &case_id).await,
                Err(e) => Err(e.to_string()),
            };
            Action::CaseWritten {
                case_id: Some(case_id),
                result,
            }
        }
        CaseJob::Create { case } => Action::CaseWritten {
            case_id: None,
            result: client
                .create_case(&case)
                .await
                .map(Box::new)
                .map_err(|e| e.to_string()),
        },
        CaseJob::AddCustodian { case_id, email } => {
            let result = client
                .add_custodian(&case_id, &email)
                .await
                .map(Box::new)
                .map_err(|e| e.to_string());
            Action::CustodianAdded {
                case_id,
                email,
                result,
            }
        }
    }
}

/// The case as Graph has it after a close or reopen (both answer 204 without a body).
async fn read_back(
    client: &Client,
    case_id: &str,
) -> Result<Box<crate::graph::cases::Kept<crate::graph::cases::EdiscoveryCase>>, String> {
    client
        .get_case(case_id)
        .await
        .map(Box::new)
        .map_err(|e| format!("done, but reading the case back failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tab(id: &str, tab: CaseTab) -> CaseJob {
        CaseJob::Tab {
            case_id: id.into(),
            tab,
        }
    }

    #[test]
    fn the_shown_tab_goes_first_and_reads_are_not_asked_twice() {
        let mut q = VecDeque::new();
        let back = |job| Queued { job, first: false };
        let first = |job| Queued { job, first: true };
        enqueue(&mut q, None, back(CaseJob::ListCases));
        enqueue(&mut q, None, back(tab("c", CaseTab::Custodians)));
        enqueue(&mut q, None, back(tab("c", CaseTab::Custodians)));
        enqueue(&mut q, None, first(tab("c", CaseTab::Searches)));
        assert_eq!(
            Vec::from(q.clone()),
            [
                tab("c", CaseTab::Searches),
                CaseJob::ListCases,
                tab("c", CaseTab::Custodians)
            ]
        );
        // Asked first again: moved, not doubled.
        enqueue(&mut q, None, first(tab("c", CaseTab::Custodians)));
        assert_eq!(q.len(), 3);
        assert_eq!(q[0], tab("c", CaseTab::Custodians));
        // The read running now is not queued again; a second close is (it is a write).
        let running = tab("c", CaseTab::Holds);
        enqueue(&mut q, Some(&running), first(running.clone()));
        assert_eq!(q.len(), 3);
        let close = CaseJob::Close {
            case_id: "c".into(),
        };
        enqueue(&mut q, None, back(close.clone()));
        enqueue(&mut q, None, back(close));
        assert_eq!(q.len(), 5);
    }
}
