//! Readiness gates: a block with `waitFor` (or a "wait for services to be healthy"
//! step that only sleeps) runs as soon as its services are up, or reports the timeout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::probe::{health, Health, ServiceStatus};
use crate::runbook::{CodeBlock, Runbook, ServiceProbe, WaitFor};

/// The services a gate waits for (every service when it names none).
pub fn services_of(runbook: &Runbook, wait: &WaitFor) -> Vec<ServiceProbe> {
    runbook
        .services
        .iter()
        .filter(|s| wait.services.is_empty() || wait.services.contains(&s.name))
        .cloned()
        .collect()
}

/// What the presenter sees while the gate waits: "waiting for gateway…".
pub fn waiting_message(services: &[ServiceProbe]) -> String {
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    match names.as_slice() {
        [] => "waiting for services…".into(),
        [one] => format!("waiting for {one}…"),
        many => format!("waiting for {}…", many.join(", ")),
    }
}

/// The block as it runs behind its gate: without the `sleep` the gate stands in for.
pub fn gated_block(block: &CodeBlock) -> CodeBlock {
    let mut block = block.clone();
    if let Some(replaced) = block.wait_for.as_ref().and_then(|w| w.replaces.clone()) {
        block.commands.retain(|c| c.text.trim() != replaced);
    }
    block
}

/// How a gate ended.
#[derive(Debug, Clone, PartialEq)]
pub struct GateOutcome {
    pub ready: bool,
    pub waited: Duration,
    /// The last probe of each service.
    pub statuses: Vec<ServiceStatus>,
}

impl GateOutcome {
    /// "gateway is not up after 60 s: connection refused".
    pub fn failure_message(&self, timeout: Duration) -> String {
        let down: Vec<String> = self
            .statuses
            .iter()
            .filter(|s| s.health != Health::Up)
            .map(|s| match &s.error {
                Some(e) => format!("{} ({e})", s.service),
                None => s.service.clone(),
            })
            .collect();
        format!(
            "not up after {:.0} s: {}",
            timeout.as_secs_f64(),
            down.join(", ")
        )
    }
}

/// Waits until every one of `services` is up (each probed at its own interval, all
/// at once), or `timeout` passes.
pub async fn wait_until_up(
    client: &reqwest::Client,
    services: &[ServiceProbe],
    timeout: Duration,
) -> GateOutcome {
    let started = Instant::now();
    let results = futures_util::future::join_all(
        services
            .iter()
            .map(|s| health::wait_until_up(client, s, timeout)),
    )
    .await;
    GateOutcome {
        ready: results.iter().all(Result::is_ok),
        waited: started.elapsed(),
        statuses: results
            .into_iter()
            .map(|r| r.unwrap_or_else(|status| status))
            .collect(),
    }
}

/// How often a waiting gate looks at its cancel flag.
const CANCEL_POLL: Duration = Duration::from_millis(25);

/// Runs a gate from a blocking thread (a rehearsal, the app's block runner) on a
/// runtime of its own. `None` when `cancel` was set while it waited.
pub fn wait_blocking(
    services: &[ServiceProbe],
    timeout: Duration,
    cancel: &AtomicBool,
) -> std::io::Result<Option<GateOutcome>> {
    health::block_on_with_client(|client| async move {
        let cancelled = async {
            while !cancel.load(Ordering::Relaxed) {
                tokio::time::sleep(CANCEL_POLL).await;
            }
        };
        tokio::select! {
            outcome = wait_until_up(&client, services, timeout) => Some(outcome),
            () = cancelled => None,
        }
    })
}

/// Why a block did not pass its gate.
#[derive(Debug, Clone, PartialEq)]
pub enum GateRefused {
    /// Not up in time: "not up after 60 s: gateway (connection refused)".
    NotUp(String),
    /// The presenter cancelled the wait (to play the recording instead).
    Cancelled,
}

impl std::fmt::Display for GateRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotUp(why) => f.write_str(why),
            Self::Cancelled => f.write_str("cancelled while waiting for its services"),
        }
    }
}

/// Waits at `block`'s gate, if it has one: tells `on_wait` what it waits for first
/// ("waiting for gateway…"), then returns the services' statuses once they are up
/// (none without a gate), or why not.
pub fn pass(
    runbook: &Runbook,
    block: &CodeBlock,
    cancel: &AtomicBool,
    on_wait: impl FnOnce(&str),
) -> Result<Vec<ServiceStatus>, GateRefused> {
    let Some(wait) = &block.wait_for else {
        return Ok(Vec::new());
    };
    let services = services_of(runbook, wait);
    if services.is_empty() {
        return Ok(Vec::new());
    }
    on_wait(&waiting_message(&services));
    let timeout = Duration::from_millis(wait.timeout_ms);
    match wait_blocking(&services, timeout, cancel) {
        Ok(Some(outcome)) if outcome.ready => {
            tracing::info!(block = %block.id, waited = ?outcome.waited, "services up");
            Ok(outcome.statuses)
        }
        Ok(Some(outcome)) => Err(GateRefused::NotUp(outcome.failure_message(timeout))),
        Ok(None) => Err(GateRefused::Cancelled),
        Err(e) => Err(GateRefused::NotUp(format!("cannot probe services: {e}"))),
    }
}
