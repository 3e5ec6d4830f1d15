//! The monitor: schedules every health probe, metrics poll and system sample.
//!
//! Each service and each metrics source gets its own tokio task on its own interval,
//! and every request is bounded by its timeout, so a hung, refusing, slow or garbage-
//! answering endpoint only ever delays itself. Tasks publish to a [`ProbeSink`].
//!
//! Reconfiguring keeps the tasks whose settings did not change (their schedule goes
//! on undisturbed), stops the ones removed and starts the new ones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Client;
use tokio::runtime::Handle;
use tokio::task::AbortHandle;
use tokio::time::MissedTickBehavior;

use crate::probe::events::{now_ms, Health, ProbeEvent, ProbeSink, ServiceStatus};
use crate::probe::health::{fetch_body, probe_period, probe_service, MIN_PROBE_PERIOD};
use crate::probe::metrics::SourceReader;
use crate::probe::system::{SystemSampler, TerminalSession};
use crate::runbook::{MetricSource, Origin, ServiceProbe};

/// Lists the terminals to account for in a system sample (called at each sample,
/// from a blocking thread).
pub type TerminalList = Arc<dyn Fn() -> Vec<TerminalSession> + Send + Sync>;

/// How long a metrics poll may take when the source declares no timeout: its interval,
/// capped, so a hung metrics endpoint holds at most one poll in flight.
const MAX_METRICS_TIMEOUT: Duration = Duration::from_secs(5);

/// What to watch.
#[derive(Clone)]
pub struct MonitorConfig {
    /// Health probes (the runbook's accepted services).
    pub services: Vec<ServiceProbe>,
    /// Metrics sources to poll.
    pub metrics: Vec<MetricSource>,
    /// How often to sample CPU and memory; `None` turns system sampling off.
    pub system_interval: Option<Duration>,
    /// The terminals whose process trees a system sample accounts for.
    pub terminals: TerminalList,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            services: Vec::new(),
            metrics: Vec::new(),
            system_interval: None,
            terminals: Arc::new(Vec::new),
        }
    }
}

impl std::fmt::Debug for MonitorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitorConfig")
            .field("services", &self.services)
            .field("metrics", &self.metrics)
            .field("system_interval", &self.system_interval)
            .finish_non_exhaustive()
    }
}

/// Lets one task publish until it is closed. Closing waits for a publish in progress,
/// so once a task is stopped not a single event of it reaches the sink (aborting alone
/// would let a publish already running on another worker finish afterwards).
struct Gate {
    open: Mutex<bool>,
    sink: Arc<dyn ProbeSink>,
}

impl Gate {
    fn new(sink: Arc<dyn ProbeSink>) -> Arc<Self> {
        Arc::new(Self {
            open: Mutex::new(true),
            sink,
        })
    }

    fn publish(&self, event: ProbeEvent) {
        // A sink that panicked poisons the lock; the flag itself is still meaningful.
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if *open {
            self.sink.publish(event);
        }
    }

    fn close(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = false;
    }
}

/// One running task and what it was started for.
struct Task<K> {
    key: K,
    gate: Arc<Gate>,
    abort: AbortHandle,
}

impl<K> Task<K> {
    fn stop(&self) {
        self.gate.close();
        self.abort.abort();
    }
}

/// What the system task was started with: its period and terminal list.
type SystemKey = (Duration, TerminalList);

/// Watches services, metrics sources and the machine until stopped or dropped.
/// Must not be stopped or reconfigured from inside its own sink (the sink is called
/// with a task's gate held).
pub struct Monitor {
    runtime: Handle,
    client: Client,
    sink: Arc<dyn ProbeSink>,
    services: Vec<Task<ServiceProbe>>,
    metrics: Vec<Task<MetricSource>>,
    system: Option<Task<SystemKey>>,
    pacer: Arc<Pacer>,
}

/// At most one request per [`MIN_PROBE_PERIOD`] to each target (URL), however many
/// services and metrics sources name it: a runbook cannot make Cuedeck hammer an
/// endpoint by declaring it many times.
#[derive(Debug, Default)]
struct Pacer {
    next: Mutex<HashMap<String, tokio::time::Instant>>,
}

impl Pacer {
    /// Waits for this target's next free turn and takes it.
    async fn turn(&self, url: &str) {
        let key = target_of(url);
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = tokio::time::Instant::now();
            let at = next.get(&key).copied().filter(|t| *t > now).unwrap_or(now);
            next.insert(key, at + MIN_PROBE_PERIOD);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// The target a URL names: the URL as `reqwest` normalises it (scheme and host in
/// lower case, default port dropped), or the text as written when it does not parse.
fn target_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(|_| url.to_owned(), String::from)
}

impl Monitor {
    /// Starts watching everything in `config` on `runtime`, with `client` (build it
    /// with [`crate::probe::health::http_client`]). Publishes an `Unknown` status for
    /// every service at once, so the UI shows all lights before the first answers.
    pub fn start(
        runtime: &Handle,
        client: Client,
        config: MonitorConfig,
        sink: Arc<dyn ProbeSink>,
    ) -> Monitor {
        let mut monitor = Monitor {
            runtime: runtime.clone(),
            client,
            sink,
            services: Vec::new(),
            metrics: Vec::new(),
            system: None,
            pacer: Arc::default(),
        };
        monitor.reconfigure(config);
        monitor
    }

    /// Applies a new configuration (a reloaded runbook, a proposed probe accepted or
    /// hidden): unchanged services and sources keep running on their schedule.
    pub fn reconfigure(&mut self, config: MonitorConfig) {
        self.set_services(config.services);
        self.set_metrics(config.metrics);
        self.set_system(config.system_interval, config.terminals);
    }

    /// Probes exactly these services from now on.
    pub fn set_services(&mut self, services: Vec<ServiceProbe>) {
        let wanted = services.into_iter().map(service_key).collect();
        let (kept, added) = reconcile(std::mem::take(&mut self.services), wanted);
        self.services = kept;
        for probe in added {
            let task = self.spawn_service(probe);
            self.services.push(task);
        }
    }

    /// Polls exactly these metrics sources from now on.
    pub fn set_metrics(&mut self, metrics: Vec<MetricSource>) {
        let wanted = metrics.into_iter().map(metric_key).collect();
        let (kept, added) = reconcile(std::mem::take(&mut self.metrics), wanted);
        self.metrics = kept;
        for source in added {
            let task = self.spawn_metrics(source);
            self.metrics.push(task);
        }
    }

    /// Samples the system every `interval` (at least 100 ms), or not at all for `None`.
    /// Keeps the running sampler when both the interval and `terminals` (the same
    /// `Arc`) are unchanged; restarts it otherwise.
    pub fn set_system(&mut self, interval: Option<Duration>, terminals: TerminalList) {
        let every = interval.map(|i| i.max(crate::probe::health::MIN_PERIOD));
        if let (Some(task), Some(every)) = (&self.system, every) {
            // Unchanged: keep the sampler and its CPU baseline.
            if task.key.0 == every && Arc::ptr_eq(&task.key.1, &terminals) {
                return;
            }
        }
        if let Some(task) = self.system.take() {
            task.stop();
        }
        self.system = every.map(|every| self.spawn_system(every, terminals));
    }

    /// The services being probed (with `line` 0 and `origin` declared: those two are
    /// not part of what the monitor compares).
    pub fn services(&self) -> impl Iterator<Item = &ServiceProbe> {
        self.services.iter().map(|t| &t.key)
    }

    /// The metrics sources being polled (`line` and `origin` normalised, as above).
    pub fn metric_sources(&self) -> impl Iterator<Item = &MetricSource> {
        self.metrics.iter().map(|t| &t.key)
    }

    /// Stops every task. No event is published once this returns.
    pub fn stop(&mut self) {
        for task in self.services.drain(..) {
            task.stop();
        }
        for task in self.metrics.drain(..) {
            task.stop();
        }
        if let Some(task) = self.system.take() {
            task.stop();
        }
    }

    fn spawn_service(&self, probe: ServiceProbe) -> Task<ServiceProbe> {
        let gate = Gate::new(self.sink.clone());
        gate.publish(ProbeEvent::Service(unknown(&probe)));
        let task = service_task(
            self.client.clone(),
            probe.clone(),
            gate.clone(),
            Arc::clone(&self.pacer),
        );
        let abort = self.runtime.spawn(task).abort_handle();
        Task {
            key: probe,
            gate,
            abort,
        }
    }

    fn spawn_metrics(&self, source: MetricSource) -> Task<MetricSource> {
        let gate = Gate::new(self.sink.clone());
        let task = metrics_task(
            self.client.clone(),
            source.clone(),
            gate.clone(),
            Arc::clone(&self.pacer),
        );
        let abort = self.runtime.spawn(task).abort_handle();
        Task {
            key: source,
            gate,
            abort,
        }
    }

    fn spawn_system(&self, every: Duration, terminals: TerminalList) -> Task<SystemKey> {
        let gate = Gate::new(self.sink.clone());
        let abort = self
            .runtime
            .spawn(system_task(every, terminals.clone(), gate.clone()))
            .abort_handle();
        Task {
            key: (every, terminals),
            gate,
            abort,
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("services", &self.services.len())
            .field("metrics", &self.metrics.len())
            .field("system", &self.system.as_ref().map(|t| t.key.0))
            .finish_non_exhaustive()
    }
}

/// Keeps the running tasks whose key is still wanted (each at most once), stops the
/// others, and returns the wanted keys no task runs for yet.
fn reconcile<K: PartialEq>(running: Vec<Task<K>>, mut wanted: Vec<K>) -> (Vec<Task<K>>, Vec<K>) {
    let mut kept = Vec::with_capacity(wanted.len());
    for task in running {
        match wanted.iter().position(|k| *k == task.key) {
            Some(i) => {
                wanted.remove(i);
                kept.push(task);
            }
            None => task.stop(),
        }
    }
    (kept, wanted)
}

/// A probe as compared on reconfiguration: where it was written and whether it was
/// proposed do not change how it is probed, so editing the runbook above it or
/// accepting it does not restart its schedule.
fn service_key(mut probe: ServiceProbe) -> ServiceProbe {
    probe.line = 0;
    probe.origin = Origin::Declared;
    probe
}

fn metric_key(mut source: MetricSource) -> MetricSource {
    source.line = 0;
    source.origin = Origin::Declared;
    source
}

fn unknown(probe: &ServiceProbe) -> ServiceStatus {
    ServiceStatus {
        service: probe.name.clone(),
        url: probe.url.clone(),
        health: Health::Unknown,
        at: now_ms(),
        latency_ms: None,
        http_status: None,
        error: None,
    }
}

/// A schedule at `period`: its first tick now (a light shows as soon as the probe
/// answers), then on a grid that every schedule shares, the whole multiples of
/// `period` since the Unix epoch. Probes with the same interval then run together,
/// their results reach the window within a few milliseconds of each other, and the
/// window, which applies what arrives in one animation frame at once, repaints once
/// per round rather than once per probe (each repaint of the presenter's column cost
/// about 0.3 % of a core under Xvfb, measured).
struct Schedule {
    first: bool,
    ticker: tokio::time::Interval,
}

impl Schedule {
    fn new(period: Duration) -> Schedule {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let start = tokio::time::Instant::now() + until_grid(since_epoch, period);
        let mut ticker = tokio::time::interval_at(start, period);
        // Skip: a probe that overran its interval (a hung service waiting out its
        // timeout) drops the ticks it missed and resumes on the grid. Burst would fire
        // the missed probes back to back at a service already struggling; Delay would
        // shift the schedule off the grid for good after every slow answer.
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        Schedule {
            first: true,
            ticker,
        }
    }

    async fn tick(&mut self) {
        if std::mem::take(&mut self.first) {
            return;
        }
        self.ticker.tick().await;
    }
}

/// From `since_epoch` to the grid tick that follows the first one (which is at once):
/// the next multiple of `period`, or the one after when the next is less than half a
/// period away, so the first two probes are never closer than half their interval.
fn until_grid(since_epoch: Duration, period: Duration) -> Duration {
    let period_ns = period.as_nanos().max(1);
    let phase = since_epoch.as_nanos() % period_ns;
    let mut wait = period_ns - phase;
    if wait < period_ns / 2 {
        wait += period_ns;
    }
    Duration::from_nanos(u64::try_from(wait).unwrap_or(u64::MAX))
}

async fn service_task(client: Client, probe: ServiceProbe, gate: Arc<Gate>, pacer: Arc<Pacer>) {
    let mut ticker = Schedule::new(probe_period(probe.interval_ms));
    let mut last = Health::Unknown;
    loop {
        ticker.tick().await;
        pacer.turn(&probe.url).await;
        let status = probe_service(&client, &probe).await;
        if status.health != last {
            last = status.health;
            tracing::info!(service = %probe.name, health = ?last, error = ?status.error, "service health changed");
        }
        gate.publish(ProbeEvent::Service(status));
    }
}

async fn metrics_task(client: Client, source: MetricSource, gate: Arc<Gate>, pacer: Arc<Pacer>) {
    let period = probe_period(source.interval_ms);
    // Sources declare no timeout: a poll may take up to its interval (capped), so
    // a hung endpoint never has two polls in flight.
    let timeout = period.min(MAX_METRICS_TIMEOUT);
    let mut reader = SourceReader::new(&source);
    let mut ticker = Schedule::new(period);
    loop {
        ticker.tick().await;
        pacer.turn(&source.url).await;
        let at = now_ms();
        let polled = fetch_body(&client, &source.url, timeout).await;
        let (points, error) = match polled {
            Err(err) => (Vec::new(), Some(err.to_string())),
            Ok(body) => match reader.read(&String::from_utf8_lossy(&body.bytes), at) {
                Ok(points) => (points, None),
                Err(err) => (Vec::new(), Some(err.to_string())),
            },
        };
        if let Some(error) = &error {
            tracing::debug!(source = %source.name, %error, "metrics poll failed");
        }
        gate.publish(ProbeEvent::Metrics {
            source: source.name.clone(),
            at,
            points,
            error,
        });
    }
}

async fn system_task(every: Duration, terminals: TerminalList, gate: Arc<Gate>) {
    let mut sampler = SystemSampler::new();
    let mut ticker = Schedule::new(every);
    loop {
        ticker.tick().await;
        let list = terminals.clone();
        // Sampling reads /proc: on a blocking thread, never on a runtime worker that
        // probe tasks need. The sampler moves there and back to keep its CPU baseline.
        let sampled = tokio::task::spawn_blocking(move || {
            let sample = sampler.sample(&list());
            (sampler, sample)
        })
        .await;
        match sampled {
            Ok((back, sample)) => {
                sampler = back;
                gate.publish(ProbeEvent::System(sample));
            }
            Err(err) => {
                tracing::warn!(%err, "system sampling failed; starting a new sampler");
                sampler = SystemSampler::new();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_tick_after_the_first_is_at_least_half_a_period_away() {
        let second = Duration::from_secs(1);
        let at = |ms: u64| until_grid(Duration::from_millis(ms), second);
        assert_eq!(at(10_000), second, "on the grid: the next second");
        assert_eq!(at(10_300), Duration::from_millis(700));
        assert_eq!(at(10_500), Duration::from_millis(500));
        assert_eq!(
            at(10_501),
            Duration::from_millis(1_499),
            "too close: one more"
        );
        assert_eq!(at(10_999), Duration::from_millis(1_001));
        let quarter = Duration::from_millis(250);
        assert_eq!(
            until_grid(Duration::from_millis(1_100), quarter),
            Duration::from_millis(150)
        );
        assert_eq!(
            until_grid(Duration::from_millis(1_200), quarter),
            Duration::from_millis(300)
        );
    }
}
