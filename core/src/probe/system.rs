//! System sampling with sysinfo: the machine's CPU and memory, and the CPU and
//! resident memory of each terminal's process tree (its session: every process a
//! step starts stays in its shell's session, see `terminal::stop`).

use std::time::{Duration, Instant};

use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::probe::events::{now_ms, SystemSample, TerminalUsage};

/// One terminal to account for: its name and its shell's session id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalSession {
    pub name: String,
    pub session_id: i32,
}

/// Keeps one `sysinfo::System` between samples: CPU usage is the difference between
/// two refreshes, so a sample taken sooner than sysinfo's minimum interval after the
/// last one would be noise, and is answered with the previous figures.
pub struct SystemSampler {
    system: System,
    last: Option<(Instant, SystemSample)>,
}

impl std::fmt::Debug for SystemSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemSampler").finish_non_exhaustive()
    }
}

impl Default for SystemSampler {
    fn default() -> Self {
        Self::new()
    }
}

impl SystemSampler {
    pub fn new() -> Self {
        Self {
            system: System::new(),
            last: None,
        }
    }

    /// A sample now. Blocking (reads /proc): call it from a blocking task.
    pub fn sample(&mut self, terminals: &[TerminalSession]) -> SystemSample {
        if let Some((when, sample)) = &self.last {
            if when.elapsed() < sysinfo::MINIMUM_CPU_UPDATE_INTERVAL {
                return sample.clone();
            }
        }
        self.refresh(!terminals.is_empty());
        let sample = SystemSample {
            at: now_ms(),
            cpu_percent: f64::from(self.system.global_cpu_usage()),
            memory_used_bytes: self.system.used_memory(),
            memory_total_bytes: self.system.total_memory(),
            terminals: terminals.iter().map(|t| self.usage(t)).collect(),
        };
        self.last = Some((Instant::now(), sample.clone()));
        sample
    }

    /// Only what a sample needs: CPU, memory, and (when terminals are watched) every
    /// process's CPU and memory, without their threads.
    fn refresh(&mut self, processes: bool) {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        if processes {
            self.system.refresh_processes_specifics(
                ProcessesToUpdate::All,
                true,
                ProcessRefreshKind::nothing()
                    .with_cpu()
                    .with_memory()
                    .without_tasks(),
            );
        }
    }

    fn usage(&self, terminal: &TerminalSession) -> TerminalUsage {
        let session = Pid::from(usize::try_from(terminal.session_id).unwrap_or(0));
        let mut usage = TerminalUsage {
            terminal: terminal.name.clone(),
            cpu_percent: 0.0,
            rss_bytes: 0,
            processes: 0,
        };
        for process in self.system.processes().values() {
            if process.thread_kind().is_some() || process.session_id() != Some(session) {
                continue;
            }
            usage.cpu_percent += f64::from(process.cpu_usage());
            usage.rss_bytes += process.memory();
            usage.processes += 1;
        }
        usage
    }
}

/// The shortest useful sampling period (sysinfo's minimum CPU refresh interval).
pub fn minimum_interval() -> Duration {
    sysinfo::MINIMUM_CPU_UPDATE_INTERVAL
}
