//! Readiness gates: a block with `waitFor` (or a "wait for services to be healthy"
//! step that only sleeps) runs as soon as its services are up, or reports the timeout.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::probe::{Health, ServiceStatus};
use crate::runbook::{CodeBlock, Runbook, ServiceProbe, WaitFor};

/// How often a gate probes while it waits: faster than a light's interval, since the
/// presenter waits on it.
const POLL: Duration = Duration::from_millis(250);

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
            .filter(|s| !counts_as_up(s.health))
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

/// Degraded answers (slow, odd body) are good enough to go on with.
fn counts_as_up(health: Health) -> bool {
    matches!(health, Health::Up | Health::Degraded)
}

/// Probes `services` (all at once, through `probe`) until every one is up or
/// `timeout` passes.
pub async fn wait_until_up<F, Fut>(
    services: &[ServiceProbe],
    timeout: Duration,
    probe: F,
) -> GateOutcome
where
    F: Fn(ServiceProbe) -> Fut,
    Fut: Future<Output = ServiceStatus>,
{
    let started = Instant::now();
    loop {
        let round = Instant::now();
        let statuses = futures_util::future::join_all(services.iter().cloned().map(&probe)).await;
        let ready = statuses.iter().all(|s| counts_as_up(s.health));
        if ready || started.elapsed() >= timeout {
            return GateOutcome {
                ready,
                waited: started.elapsed(),
                statuses,
            };
        }
        let left = timeout.saturating_sub(started.elapsed());
        tokio::time::sleep(POLL.saturating_sub(round.elapsed()).min(left)).await;
    }
}
