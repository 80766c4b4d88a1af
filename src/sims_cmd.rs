//! `graphsec simulations ...`: the headless attack simulation and training commands. Reads
//! only; they go straight to Graph (the per-user results and the report overview come from
//! beta, as the docs publish them there; see `graph::client`).

use crate::Session;
use clap::Subcommand;
use graphsec::headless::{self, OutputFormat};
use std::io::Write;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum SimulationsCommand {
    /// List every simulation (security/attackSimulation/simulations), all pages: name,
    /// technique, status, launched, completed, compromise rate and report rate (reported
    /// users over targets). "—" where a simulation has no report yet. JSON keeps each
    /// simulation as Graph sent it, with its report.
    List,
    /// Show one simulation as a list row (JSON: as Graph sent it, with its report).
    Get {
        /// The simulation's id.
        simulation: String,
    },
    /// A simulation's report: the overview figures (targets, compromise and report rates,
    /// events, trainings), then one line per targeted user (compromised at, reported at,
    /// trainings completed of assigned). JSON prints the report object as Graph sent it;
    /// NDJSON and CSV the per-user results. Fails when the simulation has not run.
    Report {
        /// The simulation's id.
        simulation: String,
    },
    /// A simulation's per-user results alone, all pages (beta report/simulationUsers).
    Users {
        /// The simulation's id.
        simulation: String,
    },
    /// Users compromised in more than one simulation, with how many times
    /// (reports/security/getAttackSimulationRepeatOffenders).
    Offenders,
    /// Per user: simulations received, clicks, compromises and the latest simulation
    /// (getAttackSimulationSimulationUserCoverage); with --training, the trainings assigned
    /// to each user and their status (getAttackSimulationTrainingUserCoverage).
    Coverage {
        /// Training coverage instead of simulation coverage.
        #[arg(long)]
        training: bool,
    },
    /// The training catalogue (security/attackSimulation/trainings).
    Trainings,
}

pub async fn run(
    session: &Session,
    cmd: SimulationsCommand,
    format: OutputFormat,
) -> anyhow::Result<ExitCode> {
    let client = &session.client;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cmd {
        SimulationsCommand::List => {
            headless::sims::list_simulations(client, format, &mut out).await?;
        }
        SimulationsCommand::Get { simulation } => {
            let s = client.get_simulation(&simulation).await?;
            headless::sims::write_simulation(client, s, format, &mut out).await?;
        }
        SimulationsCommand::Report { simulation } => {
            let s = client.get_simulation(&simulation).await?;
            headless::sims::write_report(&s, format, &mut out)?;
        }
        SimulationsCommand::Users { simulation } => {
            headless::sims::list_users(client, &simulation, format, &mut out).await?;
        }
        SimulationsCommand::Offenders => {
            headless::sims::list_offenders(client, format, &mut out).await?;
        }
        SimulationsCommand::Coverage { training } => {
            headless::sims::list_coverage(client, training, format, &mut out).await?;
        }
        SimulationsCommand::Trainings => {
            headless::sims::list_trainings(client, format, &mut out).await?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
