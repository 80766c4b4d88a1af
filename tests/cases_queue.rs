//! The worker's one cases queue against the emulator: reads run one after another within
//! the eDiscovery window, the one asked `first` jumps the line, the queue says when the
//! next request may go and how many reads wait, and the emulator never has to answer 429.
//! Both sides use a 2-per-second window so this takes seconds, not minutes.

use graphsec::app::Action;
use graphsec::app::cases::{CaseTab, Pacing};
use graphsec::emulator::cases::CasesConfig;
use graphsec::emulator::{self, EmulatorConfig};
use graphsec::graph::{Client, ClientConfig, StaticToken};
use graphsec::worker::cases::{self, CaseJob, Queued};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

#[tokio::test]
async fn reads_wait_their_turn_the_shown_tab_first_and_never_draw_a_429() {
    let window = Duration::from_secs(1);
    let e = emulator::start(EmulatorConfig {
        alerts: 5,
        cases: CasesConfig {
            rate_limit: 2,
            rate_window: window,
            ..CasesConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let client = Client::new(
        ClientConfig {
            ediscovery_limit: (2, window),
            ..ClientConfig::new(e.base_url())
        },
        Arc::new(StaticToken::new("queue-token")),
    )
    .expect("client");
    let (jobs, rx) = mpsc::unbounded_channel();
    let (tx, mut actions) = mpsc::channel(64);
    let task = tokio::spawn(cases::run(client, rx, tx));

    jobs.send(Queued {
        job: CaseJob::ListCases,
        first: false,
    })
    .unwrap();
    let case_id = loop {
        if let Action::CasesLoaded(result) = recv(&mut actions, Duration::from_secs(30))
            .await
            .expect("the queue answers")
        {
            break result.expect("cases")[0].id.clone();
        }
    };
    // Four tabs at once, then the operations tab "first": it overtakes those still waiting.
    for tab in [
        CaseTab::Custodians,
        CaseTab::Sources,
        CaseTab::Searches,
        CaseTab::ReviewSets,
    ] {
        let job = CaseJob::Tab {
            case_id: case_id.clone(),
            tab,
        };
        jobs.send(Queued { job, first: false }).unwrap();
    }
    jobs.send(Queued {
        job: CaseJob::Tab {
            case_id: case_id.clone(),
            tab: CaseTab::Operations,
        },
        first: true,
    })
    .unwrap();
    let mut order = Vec::new();
    let mut waited: Option<Pacing> = None;
    let mut last = Pacing::default();
    while order.len() < 5 {
        match recv(&mut actions, Duration::from_secs(30))
            .await
            .expect("the queue answers")
        {
            Action::CaseTabLoaded { tab, result, .. } => {
                result.unwrap_or_else(|e| panic!("{tab:?}: {e}"));
                order.push(tab);
            }
            Action::CasesPacing(p) => {
                if p.next_at.is_some() && p.waiting > 0 {
                    waited = Some(p);
                }
                last = p;
            }
            _ => {}
        }
    }
    // The first tab may have started before the others arrived; operations is next.
    let ops = order
        .iter()
        .position(|t| *t == CaseTab::Operations)
        .unwrap();
    assert!(ops <= 1, "{order:?}");
    let waited = waited.expect("the queue said reads were waiting for the window");
    assert!(waited.waiting <= 5, "{waited:?}");
    // Once the queue is empty, the last word is that nothing waits.
    while let Some(action) = recv(&mut actions, Duration::from_millis(300)).await {
        if let Action::CasesPacing(p) = action {
            last = p;
        }
    }
    assert_eq!(last.waiting, 0, "{last:?}");
    assert_eq!(e.controls().ediscovery_throttled(), 0, "no 429 was needed");
    task.abort();
    e.shutdown().await;
}

async fn recv(actions: &mut mpsc::Receiver<Action>, wait: Duration) -> Option<Action> {
    tokio::time::timeout(wait, actions.recv())
        .await
        .ok()
        .map(|a| a.expect("the queue runs"))
}
