//! Watching the services under demo: health probes, metrics polling and system
//! sampling, each on its own schedule so one hung endpoint never delays another.
//!
//! - [`events`]: the data probing produces (what the UI and recordings receive).
//! - [`health`]: one health probe of one service (up, degraded, down and why), the
//!   shared HTTP client, and readiness waiting.
//! - [`monitor`]: one task per service and metrics source plus system sampling, each
//!   on its own schedule; reconfigurable, stopped on drop.
//! - [`metrics`]: Prometheus / JSON bodies -> points of the selected series.
//! - [`system`]: machine and per-terminal CPU and memory.
//! - [`preflight`]: what a runbook needs from this machine, checked before the show.
//! - [`ports`]: local TCP ports: free, listening, held by whom.

pub mod events;
pub mod health;
pub mod metrics;
pub mod monitor;
pub mod ports;
pub mod preflight;
pub mod system;

pub use events::{
    now_ms, Health, MetricPoint, ProbeEvent, ProbeSink, ServiceStatus, SystemSample, TerminalUsage,
    UnixMs,
};
pub use health::{http_client, probe_service, wait_until_up, ClientError, FetchError, HttpClient};
pub use monitor::{Monitor, MonitorConfig, TerminalList};
