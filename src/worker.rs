//! The background worker: takes [`Command`]s, calls Graph, answers with [`Action`]s.
//!
//! It owns the Graph client and never touches the terminal. Loads are cancellable (a new
//! `LoadAlerts` aborts the one in flight, and every page carries its generation so a late
//! page can't overwrite a newer filter); writes run concurrently across alerts but in order
//! for any one alert.

use crate::app::{Action, AlertQuery, Command};
use crate::graph::Client;
use crate::graph::odata::{Filter, ODataQuery};
use futures_util::StreamExt;
use std::collections::HashMap;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Page size asked of Graph for the queue: large pages mean fewer round trips on a slow link.
pub const QUEUE_PAGE_SIZE: u32 = 1000;

/// Turns the queue's presets into an OData query (`now` fixes the time window).
pub fn alert_query_to_odata(query: &AlertQuery, now: OffsetDateTime) -> ODataQuery {
    let mut filter: Option<Filter> = None;
    if !query.statuses.is_empty() {
        let statuses: Vec<String> = query
            .statuses
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        filter = Some(Filter::in_("status", statuses));
    }
    if let Some(window) = query.created_within {
        let since = Filter::ge_datetime("createdDateTime", now - window);
        filter = Some(match filter {
            Some(f) => f.and(since),
            None => since,
        });
    }
    let mut odata = ODataQuery::new().top(QUEUE_PAGE_SIZE).count(true);
    if let Some(f) = filter {
        odata = odata.filter(f);
    }
    odata
}

/// Runs until the command channel closes (the console quit).
pub async fn run(
    client: Client,
    mut commands: mpsc::UnboundedReceiver<Command>,
    updates: mpsc::Sender<Action>,
) {
    let mut load: Option<JoinHandle<()>> = None;
    // The last write task per alert: a new write to the same alert waits for it, so the
    // server sees one analyst's changes in the order they were made.
    let mut last_write: HashMap<String, JoinHandle<()>> = HashMap::new();

    while let Some(command) = commands.recv().await {
        match command {
            Command::LoadAlerts { generation, query } => {
                if let Some(previous) = load.take() {
                    previous.abort();
                }
                load = Some(tokio::spawn(load_alerts(
                    client.clone(),
                    generation,
                    query,
                    updates.clone(),
                )));
            }
            Command::GetAlert { id } => {
                let (client, tx) = (client.clone(), updates.clone());
                tokio::spawn(async move {
                    let action = match client.get_alert(&id).await {
                        Ok(alert) => Action::AlertLoaded(alert),
                        Err(e) => {
                            tracing::warn!(error = %e, "get alert failed");
                            Action::Notice(format!("could not refresh the alert: {e}"))
                        }
                    };
                    let _ = tx.send(action).await;
                });
            }
            Command::UpdateAlert {
                write_id,
                alert_id,
                update,
            } => {
                let (client, tx) = (client.clone(), updates.clone());
                let previous = last_write.remove(&alert_id);
                let id = alert_id.clone();
                let task = tokio::spawn(async move {
                    if let Some(p) = previous {
                        let _ = p.await;
                    }
                    let action = match client.update_alert(&id, &update).await {
                        Ok(alert) => Action::WriteSucceeded { write_id, alert },
                        Err(e) => {
                            tracing::warn!(write_id, error = %e, "alert update failed");
                            Action::WriteFailed {
                                write_id,
                                error: e.to_string(),
                            }
                        }
                    };
                    let _ = tx.send(action).await;
                });
                last_write.insert(alert_id, task);
            }
            Command::AddComment {
                write_id,
                alert_id,
                text,
            } => {
                let (client, tx) = (client.clone(), updates.clone());
                let previous = last_write.remove(&alert_id);
                let id = alert_id.clone();
                let task = tokio::spawn(async move {
                    if let Some(p) = previous {
                        let _ = p.await;
                    }
                    let action = match client.add_alert_comment(&id, &text).await {
                        Ok(comments) => Action::CommentAdded {
                            write_id,
                            alert_id: id,
                            comments,
                        },
                        Err(e) => {
                            tracing::warn!(write_id, error = %e, "comment failed");
                            Action::WriteFailed {
                                write_id,
                                error: e.to_string(),
                            }
                        }
                    };
                    let _ = tx.send(action).await;
                });
                last_write.insert(alert_id, task);
            }
            // Local to the terminal layer; never routed here, ignored if they are.
            Command::CopyToClipboard(_) | Command::Suspend | Command::Quit => {}
        }
        last_write.retain(|_, task| !task.is_finished());
    }
    if let Some(l) = load {
        l.abort();
    }
}

async fn load_alerts(client: Client, generation: u64, query: AlertQuery, tx: mpsc::Sender<Action>) {
    let odata = alert_query_to_odata(&query, OffsetDateTime::now_utc());
    let mut pages = std::pin::pin!(client.list_alerts(&odata));
    let mut total = None;
    while let Some(result) = pages.next().await {
        match result {
            Ok(page) => {
                let done = page.next_link.is_none();
                total = page.count.or(total);
                let action = Action::AlertsPage {
                    generation,
                    alerts: page.items,
                    total,
                    skipped: page.skipped,
                    done,
                };
                if tx.send(action).await.is_err() || done {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!(generation, error = %e, "alert load failed");
                let _ = tx
                    .send(Action::AlertsFailed {
                        generation,
                        error: e.to_string(),
                    })
                    .await;
                return;
            }
        }
    }
    let _ = tx
        .send(Action::AlertsPage {
            generation,
            alerts: Vec::new(),
            total,
            skipped: 0,
            done: true,
        })
        .await;
}
