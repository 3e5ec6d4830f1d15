//! Signals and process accounting for stopping a step or closing a terminal.
//!
//! The shell is spawned with `setsid()`, so its pid is both its process group and
//! its session id. Every process a step starts stays in that session unless it
//! calls `setsid()` itself (a real daemon), whatever process group job control
//! gives it and however often it forks: the session is what closing a terminal
//! cleans up, found through `/proc`.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

/// One process of a terminal's session, as `/proc/<pid>/stat` tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessInfo {
    pub pid: i32,
    pub pgid: i32,
    /// `Z` for a zombie (dead, not yet reaped by its parent).
    pub state: char,
}

/// The live (non-zombie) processes whose session id is `sid`.
pub fn session_processes(sid: i32) -> Vec<ProcessInfo> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_stat)
        .filter(|(info, session)| *session == sid && info.state != 'Z')
        .map(|(info, _)| info)
        .collect()
}

/// (info, session id) of one pid, if it still exists.
fn read_stat(pid: i32) -> Option<(ProcessInfo, i32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?;
    let pgid = fields.next()?.parse().ok()?;
    let session = fields.next()?.parse().ok()?;
    Some((ProcessInfo { pid, pgid, state }, session))
}

/// Sends `sig` to process group `pgid`; a group already gone is not an error.
pub fn signal_group(pgid: i32, sig: Signal) -> bool {
    match signal::killpg(Pid::from_raw(pgid), sig) {
        Ok(()) => true,
        Err(Errno::ESRCH) => false,
        Err(e) => {
            tracing::warn!(pgid, ?sig, error = %e, "could not signal process group");
            false
        }
    }
}

fn signal_process(pid: i32, sig: Signal) {
    if let Err(e) = signal::kill(Pid::from_raw(pid), sig) {
        if e != Errno::ESRCH {
            tracing::warn!(pid, ?sig, error = %e, "could not signal process");
        }
    }
}

/// Polls `done` every few milliseconds until it holds or `grace` passes.
pub fn wait_until(grace: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + grace;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Ends every process of session `sid`: SIGTERM (and SIGCONT, for stopped jobs) to
/// each of its process groups, then after `grace` SIGKILL to every process left.
/// Returns how many processes were still alive at the end (0 on success).
pub fn kill_session(sid: i32, grace: Duration) -> usize {
    let groups: BTreeSet<i32> = session_processes(sid).iter().map(|p| p.pgid).collect();
    for &pgid in &groups {
        signal_group(pgid, Signal::SIGHUP);
        signal_group(pgid, Signal::SIGTERM);
        signal_group(pgid, Signal::SIGCONT);
    }
    if wait_until(grace, || session_processes(sid).is_empty()) {
        return 0;
    }
    for _ in 0..3 {
        let left = session_processes(sid);
        for p in &left {
            signal_group(p.pgid, Signal::SIGKILL);
            signal_process(p.pid, Signal::SIGKILL);
        }
        if wait_until(grace, || session_processes(sid).is_empty()) {
            return 0;
        }
    }
    let left = session_processes(sid).len();
    tracing::warn!(sid, left, "processes of a closed terminal survived SIGKILL");
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        let me = i32::try_from(std::process::id()).unwrap();
        let (info, session) = read_stat(me).unwrap();
        assert_eq!(info.pid, me);
        assert_eq!(info.pgid, nix::unistd::getpgrp().as_raw());
        // In a container the session leader may live outside our pid namespace, and
        // then the kernel reports session 0: compare with getsid, never with > 0.
        let expected_session = nix::unistd::getsid(None).unwrap().as_raw();
        assert_eq!(session, expected_session);
        assert!(session_processes(session).iter().any(|p| p.pid == me));
    }
}
