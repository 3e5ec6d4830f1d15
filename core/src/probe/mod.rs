//! Watching the services under demo: health probes, metrics polling and system
//! sampling, each on its own schedule so one hung endpoint never delays another.
//!
//! - [`events`]: the data probing produces (what the UI and recordings receive).
//! - [`metrics`]: Prometheus / JSON bodies -> points of the selected series.
//! - [`system`]: machine and per-terminal CPU and memory.
//! - [`preflight`]: what a runbook needs from this machine, checked before the show.
//! - [`ports`]: local TCP ports: free, listening, held by whom.

pub mod events;
pub mod metrics;
pub mod ports;
pub mod preflight;
pub mod system;

pub use events::{
    now_ms, Health, MetricPoint, ProbeEvent, ProbeSink, ServiceStatus, SystemSample, TerminalUsage,
    UnixMs,
};
