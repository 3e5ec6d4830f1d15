//! Stop escalates to SIGKILL; closing a terminal leaves no process behind; resize
//! reaches the PTY.

mod terminal_common;

use std::time::Duration;

use cuedeck_core::runbook::OutputPattern;
use cuedeck_core::terminal::{
    stop::session_processes, ShellState, StepRequest, StepStatus, StopOutcome, TermSize,
    TerminalManager,
};
use terminal_common::{home, options, session, WAIT};

/// Ignores SIGINT and SIGTERM (and so does its `sleep`, which inherits that).
const STUBBORN: &str =
    r#"bash -c 'trap "" INT TERM; echo stubborn-started; while :; do sleep 1; done'"#;

#[test]
fn stop_escalates_to_sigkill_for_a_child_ignoring_sigterm() {
    let (s, _home) = session("main");
    let req = StepRequest::background("main", STUBBORN)
        .with_expect(OutputPattern::Text("stubborn-started".into()))
        .with_timeout(WAIT);
    assert_eq!(s.run(&req).unwrap().status, StepStatus::Ready);
    assert_eq!(s.stop(), StopOutcome::Killed);
    s.wait_ready(WAIT).expect("the shell is back at its prompt");
    // The shell is at its prompt once it has reaped the job; a process it starts for
    // its prompt, or a killed one not yet gone from /proc, may show for a moment.
    let deadline = std::time::Instant::now() + WAIT;
    let left = loop {
        let left: Vec<i32> = s.processes().iter().map(|p| p.pid).collect();
        if left == vec![s.pid()] || std::time::Instant::now() > deadline {
            break left;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(left, vec![s.pid()], "only the shell remains");
    let out = s.run_command("echo alive", WAIT).unwrap();
    assert_eq!(out.output, "alive\n");
}

#[test]
fn ctrl_c_is_enough_for_an_ordinary_program() {
    let (s, _home) = session("main");
    let req =
        StepRequest::background("main", "sleep 1000").with_timeout(Duration::from_millis(200));
    assert_eq!(s.run(&req).unwrap().status, StepStatus::Ready);
    assert_eq!(s.stop(), StopOutcome::Interrupted);
    assert_eq!(s.stop(), StopOutcome::NothingRunning);
}

#[test]
fn a_step_past_its_timeout_is_stopped_and_reported_timed_out() {
    let (s, _home) = session("main");
    let req =
        StepRequest::commands("main", ["sleep 1000"]).with_timeout(Duration::from_millis(300));
    let out = s.run(&req).unwrap();
    assert_eq!(out.status, StepStatus::TimedOut, "{out:?}");
    assert_eq!(out.exit_code, Some(130));
    s.wait_ready(WAIT).unwrap();
}

#[test]
fn closing_leaves_no_process_even_stubborn_or_double_forked_ones() {
    let (s, _home) = session("main");
    let sid = s.pid();
    // A job in its own process group, and a SIGTERM-ignoring grandchild whose parent
    // has exited (double fork), both in the session.
    s.run_command("sleep 1000 &", WAIT).unwrap();
    let fork = r#"( bash -c 'trap "" TERM HUP INT; while :; do sleep 1; done' & ) ; echo forked"#;
    assert_eq!(s.run_command(fork, WAIT).unwrap().output, "forked\n");
    let req = StepRequest::background("main", STUBBORN)
        .with_expect(OutputPattern::Text("stubborn-started".into()))
        .with_timeout(WAIT);
    assert_eq!(s.run(&req).unwrap().status, StepStatus::Ready);
    // The shell, the job, the forked loop and the stubborn loop: four that stay. Each
    // loop's `sleep 1` comes and goes between its turns, so it is not counted on.
    let before = session_processes(sid);
    assert!(before.len() >= 4, "{before:?}");
    assert_eq!(s.close(), 0);
    assert!(
        session_processes(sid).is_empty(),
        "{:?}",
        session_processes(sid)
    );
    assert_eq!(s.state(), ShellState::Exited);
}

#[test]
fn dropping_the_manager_closes_every_terminal() {
    let home = home();
    let manager = TerminalManager::new(options("unused", home.path()));
    let mut sids = Vec::new();
    for name in ["main", "server"] {
        let s = manager.session(name).unwrap();
        sids.push(s.pid());
        let req =
            StepRequest::background(name, "sleep 1000").with_timeout(Duration::from_millis(100));
        assert_eq!(manager.run(&req).unwrap().status, StepStatus::Ready);
    }
    assert_eq!(
        manager.names(),
        vec!["main".to_string(), "server".to_string()]
    );
    drop(manager);
    for sid in sids {
        assert!(session_processes(sid).is_empty());
    }
}

#[test]
fn resize_reaches_the_pty_and_the_program() {
    let (s, _home) = session("main");
    let size = TermSize {
        rows: 33,
        cols: 101,
    };
    s.resize(size).unwrap();
    assert_eq!(s.pty_size(), Some(size));
    assert_eq!(s.snapshot().size, size);
    let out = s.run_command("stty size", WAIT).unwrap();
    assert_eq!(out.output.trim(), "33 101");
}
