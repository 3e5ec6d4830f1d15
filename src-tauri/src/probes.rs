//! The window's health lights, charts and pre-flight: commands over core's probe
//! [`Monitor`]. Events reach the UI on one `Channel` (a few per second, JSON is fine
//! at that rate), gathered into batches: probes of one interval tick together (see
//! the monitor's `Schedule`), and each message costs the window a script evaluation,
//! so a round's answers go as one message. The latest state of each service is kept
//! so a reloaded window repaints its lights at once.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use cuedeck_core::probe::monitor::{Monitor, MonitorConfig};
use cuedeck_core::probe::preflight::{self, PreflightReport};
use cuedeck_core::probe::system::TerminalSession;
use cuedeck_core::probe::{health, HttpClient};
use cuedeck_core::probe::{
    now_ms, Health, MetricPoint, ProbeEvent, ProbeSink, ServiceStatus, SystemSample, UnixMs,
};
use cuedeck_core::record::redact::{redact_json, Redactor};
use cuedeck_core::record::samples::SampleWriter;
use cuedeck_core::runbook::{Runbook, ServiceProbe};
use cuedeck_core::trust::is_loopback_url;
use tauri::ipc::Channel;
use tauri::State;

use crate::terminals::{TerminalError, Terminals};

/// How often the machine's and the terminals' CPU and memory are sampled.
const SYSTEM_INTERVAL: Duration = Duration::from_secs(1);

/// How long a live event waits for the rest of its round before the batch is sent:
/// local services answer a round within a few ms of each other; a light late by this
/// much is not seen.
const BATCH_WINDOW: Duration = Duration::from_millis(20);

/// What the probe channel carries: events in the order they happened.
type Batch = Vec<ProbeEvent>;

/// The open runbook's probes and the window listening to them.
pub struct Probes {
    inner: Mutex<Inner>,
    sink: Arc<Forward>,
    terminals: Arc<Terminals>,
}

#[derive(Default)]
struct Inner {
    path: Option<PathBuf>,
    runbook: Option<Arc<Runbook>>,
    /// Proposed services the presenter hid (by name), for this runbook.
    hidden: HashSet<String>,
    /// The presenter trusts the runbook: hosts beyond this machine are probed too.
    trusted: bool,
    monitor: Option<Monitor>,
}

/// Forwards monitor events to the window's channel in batches, remembering each
/// service's last state.
struct Forward {
    state: Mutex<ForwardState>,
    /// Itself, for the task that sends a batch when its window ends.
    me: Weak<Forward>,
}

#[derive(Default)]
struct ForwardState {
    subscriber: Option<Channel<Batch>>,
    /// Live events waiting for the rest of their round; a send is scheduled.
    pending: Batch,
    last: BTreeMap<String, ServiceStatus>,
    /// A rehearsal records every event here while it runs.
    recording: Option<Arc<SampleWriter>>,
    /// A playback shows recorded lights and charts: live service and metrics events
    /// are kept from the window meanwhile (system samples still flow).
    replaying: bool,
    /// What masks the events the window gets (a probe's error can quote a body that
    /// holds a secret): the runbook's patterns, unless `redact_presenter: false`.
    mask: Option<Arc<Redactor>>,
}

impl ForwardState {
    /// Sends `events` now, after what is pending (so the window keeps their order).
    /// Pending live events that a playback begun meanwhile hides are dropped.
    fn send(&mut self, events: Batch) {
        let pending = std::mem::take(&mut self.pending);
        let mut batch: Batch = pending.into_iter().filter(|e| self.shown_live(e)).collect();
        batch.extend(events);
        if let Some(channel) = &self.subscriber {
            deliver(channel, self.mask.as_deref(), batch);
        }
    }

    /// Every service's last state, as events for the window.
    fn last_states(&self) -> Batch {
        self.last
            .values()
            .cloned()
            .map(ProbeEvent::Service)
            .collect()
    }

    /// The live events kept from the window while a playback shows recorded ones
    /// (system samples still flow).
    fn shown_live(&self, event: &ProbeEvent) -> bool {
        !self.replaying || matches!(event, ProbeEvent::System(_))
    }
}

/// Sends `events` to the window as one message, each masked with `mask` field by
/// field. An event that masking left unreadable (a pattern matched a word the
/// event's format needs) is left out: the window misses one update rather than
/// shows a secret.
fn deliver(channel: &Channel<Batch>, mask: Option<&Redactor>, events: Batch) {
    let events: Batch = match mask {
        Some(mask) => events
            .iter()
            .filter_map(|event| {
                let shown = masked(mask, event);
                if shown.is_none() {
                    tracing::warn!(
                        "a probe event that the redact patterns make unreadable was not shown"
                    );
                }
                shown
            })
            .collect(),
        None => events,
    };
    if events.is_empty() {
        return;
    }
    if let Err(e) = channel.send(events) {
        tracing::debug!("probe events not delivered to the window: {e}");
    }
}

fn masked(mask: &Redactor, event: &ProbeEvent) -> Option<ProbeEvent> {
    let mut value = serde_json::to_value(event).ok()?;
    redact_json(mask, &mut value);
    serde_json::from_value(value).ok()
}

impl Forward {
    fn new() -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            state: Mutex::default(),
            me: me.clone(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ForwardState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends the pending batch after [`BATCH_WINDOW`], so the rest of its round joins it.
    fn send_soon(&self) {
        let me = self.me.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(BATCH_WINDOW).await;
            if let Some(forward) = me.upgrade() {
                forward.send_pending();
            }
        });
    }

    fn send_pending(&self) {
        self.lock().send(Batch::new());
    }
}

impl ProbeSink for Forward {
    fn publish(&self, event: ProbeEvent) {
        let mut state = self.lock();
        if let ProbeEvent::Service(s) = &event {
            state.last.insert(s.service.clone(), s.clone());
        }
        if let Some(recording) = &state.recording {
            recording.write(event.clone());
        }
        if !state.shown_live(&event) || state.subscriber.is_none() {
            return;
        }
        state.pending.push(event);
        if state.pending.len() == 1 {
            drop(state);
            self.send_soon();
        }
    }
}

impl Probes {
    pub fn new(terminals: Arc<Terminals>) -> Self {
        Self {
            inner: Mutex::default(),
            sink: Forward::new(),
            terminals,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Probes `runbook`'s services and metrics (a reload keeps hidden services hidden).
    pub fn set_runbook(&self, path: &Path, runbook: &Runbook) {
        let mut inner = self.lock();
        if inner.path.as_deref() != Some(path) {
            inner.path = Some(path.to_path_buf());
            inner.hidden.clear();
            inner.trusted = false;
            self.sink.lock().last.clear();
        }
        self.sink.lock().mask = Redactor::for_presenter(runbook).map(Arc::new);
        inner.runbook = Some(Arc::new(runbook.clone()));
        self.apply(&mut inner);
    }

    /// Whether the open runbook is trusted: until it is, only loopback services and
    /// metrics are probed (opening a file contacts no other host).
    pub fn set_trusted(&self, trusted: bool) {
        let mut inner = self.lock();
        if inner.trusted != trusted {
            inner.trusted = trusted;
            self.apply(&mut inner);
        }
    }

    /// Stops every probe (the app is exiting).
    pub fn stop(&self) {
        if let Some(mut monitor) = self.lock().monitor.take() {
            monitor.stop();
        }
    }

    fn config(&self, inner: &Inner) -> MonitorConfig {
        let terminals = Arc::clone(&self.terminals);
        MonitorConfig {
            services: visible_services(inner),
            metrics: inner
                .runbook
                .as_ref()
                .map(|rb| {
                    rb.metrics
                        .iter()
                        .filter(|m| inner.trusted || is_loopback_url(&m.url))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default(),
            system_interval: Some(SYSTEM_INTERVAL),
            terminals: Arc::new(move || terminal_sessions(&terminals)),
        }
    }

    fn apply(&self, inner: &mut Inner) {
        self.say_untrusted(inner);
        let config = self.config(inner);
        if let Some(monitor) = &mut inner.monitor {
            monitor.reconfigure(config);
            return;
        }
        match shared_client() {
            Ok(client) => {
                let sink: Arc<dyn ProbeSink> = self.sink.clone();
                let runtime = tauri::async_runtime::handle();
                inner.monitor = Some(Monitor::start(runtime.inner(), client, config, sink));
            }
            Err(e) => tracing::error!("cannot probe services: {e}"),
        }
    }
}

impl Probes {
    /// The lights of services left out until the runbook is trusted say why.
    fn say_untrusted(&self, inner: &Inner) {
        if inner.trusted {
            return;
        }
        let Some(rb) = &inner.runbook else {
            return;
        };
        for s in rb.services.iter().filter(|s| !is_loopback_url(&s.url)) {
            self.sink.publish(ProbeEvent::Service(ServiceStatus {
                service: s.name.clone(),
                url: s.url.clone(),
                health: Health::Unknown,
                at: now_ms(),
                latency_ms: None,
                http_status: None,
                error: Some(
                    "not probed until you trust this runbook: its host is not this machine".into(),
                ),
            }));
        }
    }
}

/// The app's one HTTP client for its probes, made once. Making one reads and parses
/// the system's root certificates (rustls): about 40 ms, which used to lie on the path
/// of every runbook's opening, the first window's cold start included.
/// [`warm_shared_client`] makes it on a thread of its own as the app starts, so by the
/// time a runbook opens it is ready (or the opening waits for it, not a second one).
static CLIENT: OnceLock<Result<HttpClient, String>> = OnceLock::new();

fn shared_client() -> Result<HttpClient, String> {
    CLIENT
        .get_or_init(|| health::http_client().map_err(|e| e.to_string()))
        .clone()
}

/// Starts making the probes' HTTP client in the background (see [`CLIENT`]).
pub fn warm_shared_client() {
    let spawned = std::thread::Builder::new()
        .name("http-client".into())
        .spawn(|| drop(shared_client()));
    if let Err(e) = spawned {
        tracing::warn!("cannot make the HTTP client ahead of time: {e}");
    }
}

/// The services probed: not hidden, and on this machine unless the runbook is trusted.
fn visible_services(inner: &Inner) -> Vec<ServiceProbe> {
    inner
        .runbook
        .as_ref()
        .map(|rb| {
            rb.services
                .iter()
                .filter(|s| !inner.hidden.contains(&s.name))
                .filter(|s| inner.trusted || is_loopback_url(&s.url))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn terminal_sessions(terminals: &Terminals) -> Vec<TerminalSession> {
    terminals
        .sessions()
        .into_iter()
        .map(|(name, pid)| TerminalSession {
            name,
            session_id: pid,
        })
        .collect()
}

/// Streams probe events to the window (replacing any earlier subscriber); the last
/// state of every service is sent first.
#[tauri::command]
pub fn probe_attach(probes: State<'_, Arc<Probes>>, on_event: Channel<Batch>) {
    probes.subscribe(on_event);
}

impl Probes {
    /// Records every probe event into `samples` (a rehearsal), or stops recording.
    pub fn record_into(&self, samples: Option<Arc<SampleWriter>>) {
        self.sink.lock().recording = samples;
    }

    /// Shows recorded probe events instead of live ones (`true`), or goes back to
    /// live: then every service's last live state is shown again at once.
    pub fn set_replaying(&self, replaying: bool) {
        let mut state = self.sink.lock();
        let was = std::mem::replace(&mut state.replaying, replaying);
        if was && !replaying {
            let last = state.last_states();
            state.send(last);
        }
    }

    /// The sink the monitor publishes to (tests publish "live" events through it).
    #[cfg(test)]
    pub(crate) fn sink_for_tests(&self) -> Arc<dyn ProbeSink> {
        self.sink.clone()
    }

    /// Shows a recorded probe event now, dated now.
    pub fn replay(&self, event: ProbeEvent) {
        self.sink.lock().send(vec![redated(event, now_ms())]);
    }

    /// Makes `channel` the one that hears probe events, and tells it the last state
    /// of every service. Under the sink's lock, so no live event reaches the channel
    /// before the last state: a live answer sent first would be overwritten in the
    /// window by the older state replayed after it.
    pub fn subscribe(&self, channel: Channel<Batch>) {
        let mut state = self.sink.lock();
        deliver(&channel, state.mask.as_deref(), state.last_states());
        // What was pending was meant for the window before: its states are in `last`.
        state.pending.clear();
        state.subscriber = Some(channel);
    }
}

/// Stops (or resumes) probing a service the presenter hid.
#[tauri::command]
pub fn probe_hide(probes: State<'_, Arc<Probes>>, service: String, hidden: bool) {
    let mut inner = probes.lock();
    if hidden {
        inner.hidden.insert(service);
    } else {
        inner.hidden.remove(&service);
    }
    probes.apply(&mut inner);
}

/// What the open runbook needs from this machine, checked now.
#[tauri::command]
pub async fn preflight_run(
    probes: State<'_, Arc<Probes>>,
) -> Result<PreflightReport, TerminalError> {
    let (runbook, services) = {
        let inner = probes.lock();
        let runbook = inner
            .runbook
            .clone()
            .ok_or_else(|| TerminalError::new("no runbook is open"))?;
        (runbook, visible_services(&inner))
    };
    // Tool and port checks touch the file system and sockets: off the async workers.
    let mask = Redactor::for_presenter(&runbook);
    let mut report =
        tauri::async_runtime::spawn_blocking(move || preflight::check_now(&runbook, &services))
            .await
            .map_err(|e| TerminalError::new(format!("pre-flight failed: {e}")))?
            .map_err(|e| TerminalError::new(format!("cannot run the pre-flight checks: {e}")))?;
    if let Some(mask) = mask {
        // What a check names and says can quote a URL or an answer holding a secret.
        for item in &mut report.items {
            item.subject = mask.redact_string(&item.subject);
            item.detail = mask.redact_string(&item.detail);
        }
    }
    Ok(report)
}

/// A recorded event as if it happened at `at`: charts place points by their time.
fn redated(event: ProbeEvent, at: UnixMs) -> ProbeEvent {
    match event {
        ProbeEvent::Service(status) => ProbeEvent::Service(ServiceStatus { at, ..status }),
        ProbeEvent::Metrics {
            source,
            points,
            error,
            ..
        } => ProbeEvent::Metrics {
            source,
            at,
            points: points
                .into_iter()
                .map(|p| MetricPoint { at, ..p })
                .collect(),
            error,
        },
        ProbeEvent::System(sample) => ProbeEvent::System(SystemSample { at, ..sample }),
    }
}
