//! System sampling against real processes: a CPU-burning child in a session of its
//! own shows up as that terminal's CPU and memory.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

use cuedeck_core::probe::system::{minimum_interval, SystemSampler, TerminalSession};

/// A busy loop in its own session (as a terminal's shell is), killed when dropped.
struct Burner(Child);

impl Burner {
    fn start() -> Self {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "while :; do :; done"]);
        // SAFETY: setsid is async-signal-safe and touches only the child.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid()
                    .map(drop)
                    .map_err(std::io::Error::from)
            });
        }
        Self(cmd.spawn().expect("sh runs"))
    }

    fn session(&self) -> TerminalSession {
        TerminalSession {
            name: "burner".into(),
            session_id: i32::try_from(self.0.id()).expect("pid"),
        }
    }
}

impl Drop for Burner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_busy_terminal_shows_its_cpu_and_memory() {
    let burner = Burner::start();
    let idle = TerminalSession {
        name: "nobody".into(),
        session_id: i32::MAX - 7,
    };
    let terminals = [burner.session(), idle];
    let mut sampler = SystemSampler::new();
    // sysinfo measures a process's CPU from the second refresh that sees it with some
    // CPU time already spent: let the loop run a moment first.
    std::thread::sleep(minimum_interval());
    sampler.sample(&terminals);
    // CPU usage is measured between two refreshes.
    std::thread::sleep(minimum_interval() * 3);
    let sample = sampler.sample(&terminals);
    assert!(sample.memory_total_bytes > 0);
    assert!(sample.memory_used_bytes > 0 && sample.memory_used_bytes <= sample.memory_total_bytes);
    assert!(
        sample.cpu_percent > 0.0 && sample.cpu_percent <= 100.0,
        "{}",
        sample.cpu_percent
    );
    let busy = &sample.terminals[0];
    assert_eq!(busy.terminal, "burner");
    assert_eq!(busy.processes, 1);
    assert!(busy.cpu_percent > 20.0, "the busy loop shows: {busy:?}");
    assert!(busy.rss_bytes > 0);
    let nobody = &sample.terminals[1];
    assert_eq!((nobody.processes, nobody.rss_bytes), (0, 0));
}

#[test]
fn sampling_faster_than_the_minimum_interval_repeats_the_last_sample() {
    let mut sampler = SystemSampler::new();
    let first = sampler.sample(&[]);
    let again = sampler.sample(&[]);
    assert_eq!(first, again);
}
