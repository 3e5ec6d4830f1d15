//! What probing produces: service states, metric points and system samples. These
//! types cross to the UI (serde, camelCase) and into rehearsal recordings (one JSON
//! line per event), so they are plain data with timestamps in Unix milliseconds.

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, as every probe event is stamped.
pub type UnixMs = u64;

/// Now, in Unix milliseconds.
pub fn now_ms() -> UnixMs {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A service's health as the presenter's light shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Health {
    /// Answered in time with the expected status (and body, when one is expected).
    Up,
    /// Refused, timed out, or answered with an unexpected status.
    Down,
    /// Answered with the expected status, but slowly or with an unexpected body.
    Degraded,
    /// Not probed yet.
    Unknown,
}

/// The result of one probe of one service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceStatus {
    /// The service's name as the runbook gives it (or `localhost:PORT` when proposed).
    pub service: String,
    pub url: String,
    pub health: Health,
    /// When the probe started.
    pub at: UnixMs,
    /// Time to the full response, when there was one.
    pub latency_ms: Option<f64>,
    pub http_status: Option<u16>,
    /// Why the service is not up: "connection refused", "timed out after 2s",
    /// "status 503, expected 200", "field `status` is \"fail\", expected \"ok\"".
    pub error: Option<String>,
}

/// One value of one series of a metrics source at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricPoint {
    /// The metrics source's name (front matter `metrics[].name`).
    pub source: String,
    /// The series as selected: `rps`, `kong_http_status{code="429"}`,
    /// `http_request_duration_seconds:p95`.
    pub series: String,
    pub at: UnixMs,
    pub value: f64,
    /// What the value measures after derivation: "per second" for a counter's rate.
    pub unit: Option<String>,
}

/// CPU and memory of the machine and of each terminal's process tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemSample {
    pub at: UnixMs,
    /// Whole machine, 0–100 (all cores together).
    pub cpu_percent: f64,
    pub memory_used_bytes: u64,
    pub memory_total_bytes: u64,
    pub terminals: Vec<TerminalUsage>,
}

/// CPU and resident memory of every process in one terminal's session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminalUsage {
    pub terminal: String,
    /// Percent of one core, summed over the tree (may exceed 100).
    pub cpu_percent: f64,
    pub rss_bytes: u64,
    pub processes: usize,
}

/// Everything the monitor publishes, in the order it happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ProbeEvent {
    Service(ServiceStatus),
    /// The points one poll of a metrics source produced (possibly empty on the first
    /// poll of a counter, whose rate needs two). A poll that failed carries `error`.
    Metrics {
        source: String,
        at: UnixMs,
        points: Vec<MetricPoint>,
        error: Option<String>,
    },
    System(SystemSample),
}

/// Where the monitor publishes its events: the app's channel to the UI, a recorder,
/// a test's collector. Called from the monitor's tasks; must not block for long.
pub trait ProbeSink: Send + Sync + 'static {
    fn publish(&self, event: ProbeEvent);
}

impl ProbeSink for tokio::sync::mpsc::UnboundedSender<ProbeEvent> {
    fn publish(&self, event: ProbeEvent) {
        // A closed receiver means nobody listens any more: nothing to do.
        let _ = self.send(event);
    }
}

impl<F: Fn(ProbeEvent) + Send + Sync + 'static> ProbeSink for F {
    fn publish(&self, event: ProbeEvent) {
        self(event);
    }
}
