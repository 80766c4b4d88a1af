//! The worker's side of `:sims`: each read runs in its own task and answers with one
//! [`Action::Sims`]. How many run at once is the pane's decision (it asks for at most two
//! report overviews at a time), so nothing is queued here.

use super::cases::all;
use crate::app::Action;
use crate::app::sims::{SimsCommand, SimsUpdate, TenantRows, TenantTab};
use crate::graph::Client;
use crate::graph::odata::ODataQuery;
use tokio::sync::mpsc;

/// Page size for the simulation list and the tenant reports: few requests for a tenant's
/// worth of rows (Graph caps pages itself where it allows less).
const PAGE_SIZE: u32 = 100;

/// Starts the read `command` asks for; its answer goes to `tx`.
pub fn spawn(client: Client, command: SimsCommand, tx: mpsc::Sender<Action>) {
    tokio::spawn(async move {
        let update = run(&client, command).await;
        let _ = tx.send(Action::Sims(update)).await;
    });
}

async fn run(client: &Client, command: SimsCommand) -> SimsUpdate {
    let query = ODataQuery::new().top(PAGE_SIZE);
    match command {
        SimsCommand::List => SimsUpdate::List(logged(
            "simulations",
            all(client.list_simulations(&query)).await,
        )),
        SimsCommand::Overview { id } => {
            let result = client
                .get_simulation_overview(&id)
                .await
                .map(Box::new)
                .map_err(|e| e.to_string());
            SimsUpdate::Overview {
                result: logged("simulation overview", result),
                id,
            }
        }
        SimsCommand::Report { id } => {
            let result = client
                .get_simulation(&id)
                .await
                .map(Box::new)
                .map_err(|e| e.to_string());
            SimsUpdate::Report {
                result: logged("simulation report", result),
                id,
            }
        }
        SimsCommand::Tenant(tab) => {
            // The report functions take no $top: Graph pages them itself.
            let none = ODataQuery::new();
            let result = match tab {
                TenantTab::RepeatOffenders => all(client.list_repeat_offenders(&none))
                    .await
                    .map(TenantRows::RepeatOffenders),
                TenantTab::TrainingCoverage => all(client.list_training_user_coverage(&none))
                    .await
                    .map(TenantRows::TrainingCoverage),
                TenantTab::SimulationCoverage => all(client.list_simulation_user_coverage(&none))
                    .await
                    .map(TenantRows::SimulationCoverage),
            };
            SimsUpdate::Tenant(logged(tab.title(), result).map_err(|e| (tab, e)))
        }
    }
}

fn logged<T>(what: &str, result: Result<T, String>) -> Result<T, String> {
    if let Err(e) = &result {
        tracing::warn!(error = %e, what, "simulation read failed");
    }
    result
}
