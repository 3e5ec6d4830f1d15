//! Background steps (ready on their expected output) and input steps (lines typed
//! into the running program).

mod terminal_common;

use std::time::Duration;

use cuedeck_core::runbook::OutputPattern;
use cuedeck_core::terminal::stop::wait_until;
use cuedeck_core::terminal::{
    ReadyBy, ShellState, StepAction, StepRequest, StepStatus, TerminalError,
};
use terminal_common::{session, WAIT};

#[test]
fn background_step_is_ready_on_its_expected_text_and_keeps_running() {
    let (s, _home) = session("server");
    // The expected text is in the command line too: only the output may count.
    let cmd = "sleep 1; echo 'server READY on port 8080'; sleep 1000";
    let req = StepRequest::background("server", cmd)
        .with_expect(OutputPattern::Regex(r"READY on port \d+".into()))
        .with_timeout(WAIT);
    let out = s.run(&req).unwrap();
    assert_eq!(out.status, StepStatus::Ready, "{out:?}");
    assert_eq!(
        out.ready_by,
        Some(ReadyBy::Expect("/READY on port \\d+/".into()))
    );
    assert_eq!(out.expectation_met, Some(true));
    assert!(
        out.duration_ms >= 900,
        "the echo of the command must not match: {out:?}"
    );
    assert_eq!(s.state(), ShellState::Running);
    // Readiness comes from the echo; bash forks `sleep 1000` just after it, so the
    // second process may appear a moment later.
    assert!(
        wait_until(WAIT, || s.processes().len() >= 2),
        "shell and sleep still run: {:?}",
        s.processes()
    );
    assert!(matches!(
        s.run_command("echo no", WAIT),
        Err(TerminalError::Busy(_))
    ));
}

#[test]
fn background_step_that_exits_before_ready_fails() {
    let (s, _home) = session("server");
    let req = StepRequest::background("server", "echo starting; echo; false")
        .with_expect(OutputPattern::Text("READY".into()))
        .with_timeout(WAIT);
    let out = s.run(&req).unwrap();
    assert_eq!(out.status, StepStatus::Failed);
    assert_eq!(out.exit_code, Some(1));
    // The program's last line says why, as the presenter would have seen it.
    assert_eq!(
        out.message.as_deref(),
        Some("exited before it was ready: starting")
    );
}

#[test]
fn background_step_without_expect_is_ready_when_its_timeout_passes() {
    let (s, _home) = session("watcher");
    let req =
        StepRequest::background("watcher", "sleep 1000").with_timeout(Duration::from_millis(300));
    let out = s.run(&req).unwrap();
    assert_eq!(out.status, StepStatus::Ready);
    assert_eq!(out.ready_by, Some(ReadyBy::Timeout));
}

const CHAT: &str =
    r#"bash -c 'while IFS= read -r -p "you> " line; do echo "bot: ${line^^}"; done'"#;

#[test]
fn input_lines_reach_the_running_program_one_at_a_time() {
    let (s, _home) = session("chat");
    let start = StepRequest::background("chat", CHAT)
        .with_expect(OutputPattern::Text("you> ".into()))
        .with_timeout(WAIT);
    assert_eq!(s.run(&start).unwrap().status, StepStatus::Ready);
    let mut req = StepRequest::input("chat", ["hello", "second line"])
        .with_expect(OutputPattern::Text("bot: SECOND LINE".into()))
        .with_timeout(WAIT);
    if let StepAction::Input { prompt, .. } = &mut req.action {
        *prompt = Some("you>".into());
    }
    let out = s.run(&req).unwrap();
    assert_eq!(out.status, StepStatus::Ok, "{out:?}");
    assert_eq!(out.expectation_met, Some(true));
    let text = s.recent_text();
    let hello = text.find("bot: HELLO").expect("first answer");
    let second = text
        .find("you> second line")
        .expect("second line typed at a prompt");
    assert!(hello < second, "{text}");
}

#[test]
fn input_lines_without_a_prompt_reach_python() {
    if which::which("python3").is_err() {
        return;
    }
    let (s, _home) = session("py");
    let start = StepRequest::background("py", "python3 -q -i")
        .with_expect(OutputPattern::Text(">>> ".into()))
        .with_timeout(WAIT);
    assert_eq!(s.run(&start).unwrap().status, StepStatus::Ready);
    let req = StepRequest::input("py", ["x = 6 * 7", "print(f'answer={x}')"])
        .with_expect(OutputPattern::Text("answer=42".into()))
        .with_timeout(WAIT);
    let out = s.run(&req).unwrap();
    assert_eq!(out.expectation_met, Some(true), "{}", s.recent_text());
}

#[test]
fn input_into_an_idle_shell_fails_clearly() {
    let (s, _home) = session("main");
    let err = s.run(&StepRequest::input("main", ["hello"])).unwrap_err();
    assert!(matches!(err, TerminalError::NoProgramRunning(_)), "{err}");
    assert!(err.to_string().contains("no program is running"));
}
