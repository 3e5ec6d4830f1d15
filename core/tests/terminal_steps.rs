//! Real bash in real PTYs: commands typed at the prompt, their output and exit codes.

mod terminal_common;

use cuedeck_core::terminal::{ShellState, StepRequest, StepStatus};
use terminal_common::{session, WAIT};

#[test]
fn user_rc_is_read_and_shell_reaches_a_prompt() {
    let (s, _home) = session("main");
    assert_eq!(s.state(), ShellState::Ready);
    let out = s
        .run_command("echo \"$CUEDECK_TEST_RC $TERM\"", WAIT)
        .unwrap();
    assert_eq!(out.status, StepStatus::Ok);
    assert_eq!(out.output.trim(), "from-bashrc xterm-256color");
}

#[test]
fn exit_codes_are_exact() {
    let (s, _home) = session("main");
    for (cmd, code) in [
        ("true", 0),
        ("false", 1),
        ("no-such-command-xyz", 127),
        ("(exit 42)", 42),
    ] {
        let out = s.run_command(cmd, WAIT).unwrap();
        assert_eq!(out.exit_code, Some(code), "{cmd}: {out:?}");
        let want = if code == 0 {
            StepStatus::Ok
        } else {
            StepStatus::Failed
        };
        assert_eq!(out.status, want, "{cmd}");
    }
}

#[test]
fn env_and_cwd_persist_between_steps() {
    let (s, home) = session("main");
    let sub = home.path().join("sub dir");
    std::fs::create_dir(&sub).unwrap();
    s.run_command("export VALID_JWT=abc.def.ghi", WAIT).unwrap();
    s.run_command("cd 'sub dir'", WAIT).unwrap();
    let out = s.run_command("echo \"$VALID_JWT\"; pwd", WAIT).unwrap();
    let lines: Vec<&str> = out.output.lines().collect();
    assert_eq!(lines, vec!["abc.def.ghi", sub.to_str().unwrap()]);
}

#[test]
fn heredoc_and_multi_line_commands_run_whole() {
    let (s, _home) = session("main");
    let heredoc = "cat <<'EOF' | tr a-z A-Z\nfirst line\nsecond $HOME line\nEOF";
    let out = s.run_command(heredoc, WAIT).unwrap();
    assert_eq!(out.status, StepStatus::Ok);
    assert_eq!(out.output, "FIRST LINE\nSECOND $HOME LINE\n");
    let multi = "for i in 1 2 3; do\n  echo \"n=$i\"\ndone\necho \\\n  continued";
    let out = s.run_command(multi, WAIT).unwrap();
    assert_eq!(out.output, "n=1\nn=2\nn=3\ncontinued\n", "{out:?}");
}

#[test]
fn a_block_stops_at_its_first_failing_command() {
    let (s, _home) = session("main");
    let req = StepRequest::commands("main", ["echo one", "false", "echo never"]);
    let out = s.run(&req).unwrap();
    assert_eq!(out.status, StepStatus::Failed);
    assert_eq!(out.exit_code, Some(1));
    assert_eq!(out.commands.len(), 2);
    assert_eq!(out.commands[0].output, "one\n");
}

#[test]
fn a_syntax_error_fails_with_code_2() {
    let (s, _home) = session("main");
    let out = s.run_command("if then fi", WAIT).unwrap();
    assert_eq!(out.exit_code, Some(2), "{out:?}");
    assert_eq!(
        s.run_command("echo still here", WAIT).unwrap().output,
        "still here\n"
    );
}

#[test]
fn login_shell_reads_the_profile_and_the_bashrc() {
    let home = terminal_common::home();
    std::fs::write(home.path().join(".profile"), "export FROM_PROFILE=yes\n").unwrap();
    let opts = cuedeck_core::terminal::SessionOptions {
        login: true,
        ..terminal_common::options("main", home.path())
    };
    let s = cuedeck_core::terminal::Session::spawn(opts).unwrap();
    s.wait_ready(WAIT).unwrap();
    let out = s
        .run_command("echo $FROM_PROFILE $CUEDECK_TEST_RC", WAIT)
        .unwrap();
    assert_eq!(out.output, "yes from-bashrc\n");
}

#[derive(Default)]
struct Recorder {
    events: Vec<String>,
    bytes: Vec<u8>,
}

struct Shared(std::sync::Arc<std::sync::Mutex<Recorder>>);

impl cuedeck_core::terminal::OutputSink for Shared {
    fn on_output(&mut self, bytes: &[u8], _at: std::time::Duration) {
        self.0.lock().unwrap().bytes.extend_from_slice(bytes);
    }
    fn on_marker(&mut self, label: &str, _at: std::time::Duration) {
        let mut r = self.0.lock().unwrap();
        let event = format!("marker {label} after {}", !r.bytes.is_empty());
        r.events.push(event);
    }
}

#[test]
fn a_late_sink_gets_the_screen_then_the_stream_with_step_markers() {
    let (s, _home) = session("main");
    s.run_command("echo before-attach", WAIT).unwrap();
    let rec = std::sync::Arc::new(std::sync::Mutex::new(Recorder::default()));
    let (_, snapshot) = s.attach(
        Box::new(Shared(std::sync::Arc::clone(&rec))),
        cuedeck_core::terminal::Acknowledge::Never,
    );
    assert!(snapshot.text.contains("before-attach"), "{snapshot:?}");
    let req = StepRequest::commands("main", ["echo after-attach"]).with_label("step-1");
    assert_eq!(s.run(&req).unwrap().status, StepStatus::Ok);
    let r = rec.lock().unwrap();
    // The start marker may follow a late prompt redraw; the end marker always
    // follows the step's output.
    assert_eq!(r.events.len(), 2, "{:?}", r.events);
    assert!(
        r.events[0].starts_with("marker step-1 after "),
        "{:?}",
        r.events
    );
    assert_eq!(r.events[1], "marker step-1 (ok) after true");
    let text = String::from_utf8_lossy(&r.bytes);
    assert!(text.contains("after-attach") && !text.contains("before-attach"));
    assert!(
        text.contains("\x1b]133;D;0\x07"),
        "OSC 133 marks stay in the bytes"
    );
}

#[test]
fn zsh_and_sh_report_exit_codes_too() {
    use cuedeck_core::terminal::ShellKind;
    for kind in [ShellKind::Zsh, ShellKind::Sh] {
        if kind == ShellKind::Zsh && which::which("zsh").is_err() {
            continue;
        }
        let home = terminal_common::home();
        let opts = cuedeck_core::terminal::SessionOptions {
            shell: kind,
            ..terminal_common::options("main", home.path())
        };
        let s = cuedeck_core::terminal::Session::spawn(opts).unwrap();
        s.wait_ready(WAIT)
            .unwrap_or_else(|e| panic!("{kind:?}: {e}\n{}", s.recent_text()));
        s.run_command("cd /tmp && X=42", WAIT).unwrap();
        let out = s.run_command("echo \"$X $PWD\"; (exit 3)", WAIT).unwrap();
        assert_eq!(out.exit_code, Some(3), "{kind:?}");
        assert_eq!(out.output, "42 /tmp\n", "{kind:?}");
        let heredoc = s.run_command("cat <<EOF\nhere $X\nEOF", WAIT).unwrap();
        assert_eq!(heredoc.output, "here 42\n", "{kind:?}");
    }
}
