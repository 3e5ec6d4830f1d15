//! Live steps as presenters run them, in real PTYs with real programs (the fixtures
//! in tests/fixtures/live): split blocks starting together, readiness without
//! `expect` (port, up line, quiet output, prompt), interactive clients fed by input
//! lines, `^C` and Restart, visible typing (speed and keys), hidden setup lines.

mod terminal_common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cuedeck_core::runbook::{self, Typing};
use cuedeck_core::show::block::{self, Quietly, TypingPolicy};
use cuedeck_core::terminal::stop::wait_until;
use cuedeck_core::terminal::{
    Acknowledge, InputItem, OutputSink, ReadyBy, Session, ShellState, StepAction, StepRequest,
    StepStatus, TerminalManager, KEYS_CHUNK,
};
use terminal_common::{home, options, session, WAIT};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/live")
}

fn fixture(rel: &str) -> String {
    fixtures().join(rel).display().to_string()
}

/// A local port nobody listens on (bound and released at once).
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Everything a terminal sent its sinks: output bytes and markers.
#[derive(Default)]
struct SeenState {
    output: Vec<u8>,
    markers: Vec<String>,
    /// When each output batch came.
    times: Vec<Duration>,
}

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<SeenState>>);

impl Seen {
    fn attach(session: &Session) -> Self {
        let seen = Self::default();
        session.add_sink(Box::new(seen.clone()), Acknowledge::Never);
        seen
    }
    fn output(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap().output).into_owned()
    }
    fn markers(&self) -> Vec<String> {
        self.0.lock().unwrap().markers.clone()
    }
    fn times(&self) -> Vec<Duration> {
        self.0.lock().unwrap().times.clone()
    }
}

impl OutputSink for Seen {
    fn on_output(&mut self, bytes: &[u8], at: Duration) {
        let mut seen = self.0.lock().unwrap();
        seen.output.extend_from_slice(bytes);
        seen.times.push(at);
    }
    fn on_marker(&mut self, label: &str, _at: Duration) {
        self.0.lock().unwrap().markers.push(label.to_string());
    }
}

fn background(terminal: &str, command: String) -> StepRequest {
    StepRequest::background(terminal, command).with_timeout(WAIT)
}

#[test]
fn a_server_that_says_so_is_ready_on_its_line_or_port() {
    let (s, _home) = session("server");
    let port = free_port();
    let cmd = format!(
        "python3 {} --port {port}",
        fixture("servers/banner_server.py")
    );
    let started = Instant::now();
    let out = s.run(&background("server", cmd)).unwrap();
    let took = started.elapsed();
    assert_eq!(out.status, StepStatus::Ready, "{out:?}");
    // It prints its line once it listens: whichever Cuedeck sees first, the line or
    // the port its process holds, makes it ready (a loaded machine decides).
    assert!(
        matches!(&out.ready_by, Some(ReadyBy::Line(l)) if l.contains("listening on"))
            || out.ready_by == Some(ReadyBy::Port(port)),
        "{out:?}"
    );
    assert!(took < Duration::from_secs(2), "ready in {took:?}");
    eprintln!("ready by line in {took:?}");
}

#[test]
fn a_silent_server_is_ready_on_its_port() {
    let (s, _home) = session("server");
    let port = free_port();
    let cmd = format!(
        "python3 {} --port {port}",
        fixture("servers/silent_server.py")
    );
    let started = Instant::now();
    let out = s
        .run(&background("server", cmd).with_ports([port]))
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.ready_by, Some(ReadyBy::Port(port)), "{out:?}");
    assert!(took < Duration::from_secs(2), "ready in {took:?}");
    assert!(took >= Duration::from_millis(300), "not before it listens");
    eprintln!("ready by port in {took:?}");
}

#[test]
fn a_silent_server_on_an_unnamed_port_is_ready_once_it_listens() {
    // No port in the request: the ports its own processes listen on count.
    let (s, _home) = session("server");
    let port = free_port();
    let cmd = format!(
        "python3 {} --port {port}",
        fixture("servers/silent_server.py")
    );
    let out = s.run(&background("server", cmd)).unwrap();
    assert_eq!(out.ready_by, Some(ReadyBy::Port(port)), "{out:?}");
}

#[test]
fn a_port_taken_before_the_start_does_not_make_it_ready() {
    let (s, _home) = session("server");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let req = background("server", "sleep 600".into())
        .with_ports([port])
        .with_timeout(Duration::from_millis(800));
    let out = s.run(&req).unwrap();
    assert_eq!(out.ready_by, Some(ReadyBy::Timeout), "{out:?}");
}

#[test]
fn output_that_goes_quiet_makes_it_ready() {
    let (s, _home) = session("worker");
    let cmd = format!("python3 {}", fixture("servers/chatty_then_quiet.py"));
    let started = Instant::now();
    let out = s.run(&background("worker", cmd)).unwrap();
    let took = started.elapsed();
    assert_eq!(out.ready_by, Some(ReadyBy::Quiet(500)), "{out:?}");
    assert!(
        s.recent_text().contains("loading module c"),
        "{}",
        s.recent_text()
    );
    assert!(took < Duration::from_secs(3), "ready in {took:?}");
    eprintln!("ready by quiet output in {took:?}");
}

#[test]
fn the_runbook_expectation_is_an_up_line() {
    let (s, _home) = session("node");
    let mut req = background(
        "node",
        "echo booting; sleep 0.3; echo 'node 3: Became LEADER for term 1'; sleep 600".into(),
    );
    req.ready_lines = vec!["Became LEADER".into()];
    let out = s.run(&req).unwrap();
    assert_eq!(
        out.ready_by,
        Some(ReadyBy::Line("Became LEADER".into())),
        "{out:?}"
    );
    assert_eq!(
        out.ready_by.unwrap().describe(),
        "ready: 'Became LEADER'",
        "the badge"
    );
}

/// A runbook in a scratch folder, parsed, and a manager for its terminals.
fn scratch_runbook(text: &str) -> (tempfile::TempDir, runbook::Runbook, TerminalManager) {
    let home = home();
    let path = home.path().join("runbook.md");
    std::fs::write(&path, text).unwrap();
    let parsed = runbook::load(&path).expect("parses");
    let manager = TerminalManager::new(options("main", home.path()));
    (home, parsed, manager)
}

#[test]
fn a_split_block_starts_every_terminal_at_once() {
    let part = |n: u32| {
        format!(
            "# Terminal {n}\npython3 -c \"import time; print('started at', time.time(), flush=True); time.sleep(600)\"\n"
        )
    };
    let text = format!(
        "# Split\n\n## Start\n\n```bash\n{}\n{}\n{}```\n",
        part(1),
        part(2),
        part(3)
    );
    let (_home, rb, manager) = scratch_runbook(&text);
    let step = &rb.steps[0];
    let started = Instant::now();
    let report = block::run_block(
        &manager,
        &rb,
        step,
        &step.blocks[0],
        TypingPolicy::FullSpeed,
        &AtomicBool::new(false),
        &Quietly,
    );
    let took = started.elapsed();
    assert_eq!(report.outcomes.len(), 3, "{report:?}");
    assert!(
        report
            .outcomes
            .iter()
            .all(|o| o.status == StepStatus::Ready),
        "{report:?}"
    );
    let times: Vec<f64> = (1..=3)
        .map(|n| {
            let session = manager
                .get(&format!("Terminal {n}"))
                .expect("terminal started");
            let time = |text: &str| -> Option<f64> {
                let printed = text.rsplit("\nstarted at ").next()?;
                printed.split_whitespace().next()?.parse().ok()
            };
            assert!(
                wait_until(WAIT, || time(&session.recent_text()).is_some()),
                "{}",
                session.recent_text()
            );
            time(&session.recent_text()).unwrap()
        })
        .collect();
    let spread = times.iter().cloned().fold(f64::MIN, f64::max)
        - times.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread < 1.0, "started {spread:.3} s apart");
    eprintln!("3 terminals started {spread:.3} s apart; block ready in {took:?}");
    let summary = report.summary().unwrap();
    eprintln!("{summary}");
    assert!(summary.starts_with("ready: Terminal 1: "), "{summary}");
    assert_eq!(manager.close_all(), 0);
}

#[test]
fn a_failing_part_is_named() {
    let text = "# Split\n\n## Start\n\n```bash\n# Terminal 1\nsleep 600\n\n# Terminal 2\necho no; exit 3\n```\n";
    let (_home, rb, manager) = scratch_runbook(text);
    let step = &rb.steps[0];
    let mut block = step.blocks[0].clone();
    block.attributes.timeout_ms = Some(1500);
    let report = block::run_block(
        &manager,
        &rb,
        step,
        &block,
        TypingPolicy::FullSpeed,
        &AtomicBool::new(false),
        &Quietly,
    );
    let failed = report.deciding().unwrap();
    assert!(matches!(failed.status, StepStatus::Failed), "{report:?}");
    let message = report.summary().unwrap();
    assert!(message.contains("terminal `Terminal 2`"), "{message}");
    manager.close_all();
}

/// One chat node alone (it leads after its election window) and a client on it.
fn node_and_client(manager: &TerminalManager) -> u16 {
    let port = free_port();
    let node = format!(
        "python3 {} --id 1 --port {port} --peers 1=127.0.0.1:{port}",
        fixture("chat/node.py")
    );
    let mut start = background("Node 1", node).with_ports([port]);
    start.ready_lines = vec!["Became LEADER".into()];
    let out = manager.run(&start).unwrap();
    assert_eq!(out.status, StepStatus::Ready, "{out:?}");
    let client = format!(
        "python3 {} --port {port} --client-id 101",
        fixture("chat/client.py")
    );
    let started = Instant::now();
    let out = manager
        .run(&StepRequest::interactive("main", client).with_timeout(WAIT))
        .unwrap();
    assert_eq!(out.status, StepStatus::Ready, "{out:?}");
    assert_eq!(out.ready_by, Some(ReadyBy::Prompt(">".into())), "{out:?}");
    eprintln!("client ready by its prompt in {:?}", started.elapsed());
    port
}

fn input(terminal: &str, items: Vec<InputItem>, prompt: Option<&str>) -> StepRequest {
    let mut req = StepRequest::input(terminal, Vec::<String>::new()).with_timeout(WAIT);
    req.action = StepAction::Input {
        lines: items,
        prompt: prompt.map(str::to_string),
    };
    req
}

#[test]
fn an_interactive_client_gets_each_input_line_and_answers() {
    let home = home();
    let manager = TerminalManager::new(options("main", home.path()));
    node_and_client(&manager);
    let lines = ["Hello from node 1!", "This is message 2", "And message 3"];
    let req = input(
        "main",
        lines
            .iter()
            .map(|l| InputItem::Line(l.to_string()))
            .collect(),
        Some(">"),
    );
    let started = Instant::now();
    let out = manager.run(&req).unwrap();
    assert_eq!(out.status, StepStatus::Ok, "{out:?}");
    eprintln!(
        "3 lines typed and answered in {:?} ({} ms)",
        started.elapsed(),
        out.duration_ms
    );
    let client = manager.get("main").unwrap();
    let node = manager.get("Node 1").unwrap();
    for (i, line) in lines.iter().enumerate() {
        let delivered = format!("[seq={}] client_101: {line}", i + 1);
        assert!(
            wait_until(WAIT, || client.recent_text().contains(&delivered)),
            "client shows {delivered}: {}",
            client.recent_text()
        );
        assert!(
            wait_until(WAIT, || node.recent_text().contains(&delivered)),
            "node shows {delivered}"
        );
    }
    assert_eq!(client.state(), ShellState::Running, "the client stays");
    assert_eq!(manager.close_all(), 0);
}

#[test]
fn ctrl_c_in_an_input_block_stops_the_program_and_restart_runs_it_again() {
    let home = home();
    let manager = TerminalManager::new(options("main", home.path()));
    node_and_client(&manager);
    let node = manager.get("Node 1").unwrap();
    let out = manager
        .run(&input("Node 1", vec![InputItem::Control('c')], None))
        .unwrap();
    assert_eq!(out.status, StepStatus::Ok, "{out:?}");
    assert_eq!(out.message, None, "it ended: {out:?}");
    assert!(
        wait_until(WAIT, || node.state() == ShellState::Ready),
        "back at the shell prompt: {:?}",
        node.state()
    );
    assert!(node.recent_text().contains("node 1: stopped"));
    let client = manager.get("main").unwrap();
    assert!(
        wait_until(WAIT, || client
            .recent_text()
            .contains("Connection to node lost")),
        "{}",
        client.recent_text()
    );
    // Restart: the node's own command again, ready as before.
    let started = Instant::now();
    let again = manager.restart("Node 1").unwrap();
    assert_eq!(again.status, StepStatus::Ready, "{again:?}");
    // Ready on its port, which it opens just before it says so.
    let starts = |n: usize| {
        wait_until(WAIT, || {
            node.recent_text().matches("starting on").count() == n
        })
    };
    assert!(starts(2), "{}", node.recent_text());
    eprintln!(
        "restarted, {} in {:?}",
        again.ready_by.unwrap().describe(),
        started.elapsed()
    );
    // Restart of a running program stops it first.
    let again = manager.restart("Node 1").unwrap();
    assert_eq!(again.status, StepStatus::Ready, "{again:?}");
    assert!(starts(3), "{}", node.recent_text());
    assert!(matches!(
        manager.restart("nowhere"),
        Err(cuedeck_core::terminal::TerminalError::NothingToRestart(_))
    ));
    assert_eq!(manager.close_all(), 0);
}

#[test]
fn typing_at_40_characters_a_second_is_seen_typed() {
    let (s, _home) = session("main");
    let seen = Seen::attach(&s);
    let command = "echo typed-for-the-audience-to-see";
    let req = StepRequest::commands("main", [command])
        .with_timeout(WAIT)
        .with_typing(Typing::Cps(40.0));
    let started = Instant::now();
    let out = s.run(&req).unwrap();
    let took = started.elapsed().as_secs_f64();
    assert_eq!(out.status, StepStatus::Ok, "{out:?}");
    let expected = command.len() as f64 / 40.0;
    assert!(
        (took - expected).abs() <= expected * 0.3 + 0.15,
        "typed {} chars in {took:.2} s, expected about {expected:.2} s",
        command.len()
    );
    // Typed character by character: the echo came in many pieces over the typing
    // time, not as one paste.
    let times = seen.times();
    assert!(times.len() >= command.len() / 2, "{} batches", times.len());
    let spread = times.last().unwrap().saturating_sub(times[0]).as_secs_f64();
    assert!(spread >= expected * 0.7, "echoed over {spread:.2} s");
    let output = seen.output();
    assert!(!output.contains("\x1b[200~"), "not pasted");
    assert!(
        output.contains("typed-for-the-audience-to-see"),
        "{output:?}"
    );
    eprintln!("typed {} chars at 40 cps in {took:.2} s", command.len());
}

#[test]
fn typing_on_keys_types_only_as_keys_come() {
    let (s, _home) = session("main");
    let s = Arc::new(s);
    let command = "echo keyed-in";
    let runner = {
        let s = Arc::clone(&s);
        std::thread::spawn(move || {
            s.run(
                &StepRequest::commands("main", [command])
                    .with_timeout(WAIT)
                    .with_typing(Typing::Keys),
            )
        })
    };
    assert!(wait_until(WAIT, || s.waits_for_keys()));
    let row = || {
        s.snapshot()
            .text
            .lines()
            .last()
            .unwrap_or_default()
            .to_string()
    };
    assert!(!row().contains("echo"), "nothing typed yet: {}", row());
    let mut typed = 0;
    while typed < command.len() {
        assert!(s.press_key(b"x"));
        typed = (typed + KEYS_CHUNK).min(command.len());
        let want = &command[..typed];
        assert!(
            wait_until(WAIT, || row().ends_with(want)),
            "after {typed} chars: {}",
            row()
        );
    }
    // Fully typed: other keys do nothing, Enter runs it.
    assert!(s.press_key(b"y"));
    std::thread::sleep(Duration::from_millis(200));
    assert!(row().ends_with(command), "{}", row());
    assert!(
        !s.recent_text().contains("\nkeyed-in"),
        "not run before Enter"
    );
    assert!(s.press_key(b"\r"));
    let out = runner.join().unwrap().unwrap();
    assert_eq!(out.status, StepStatus::Ok, "{out:?}");
    assert_eq!(out.commands[0].output.trim(), "keyed-in");
    assert!(!s.press_key(b"z"), "keys go to the terminal again");
}

#[test]
fn stop_ends_typing_on_keys_at_once() {
    let (s, _home) = session("main");
    let s = Arc::new(s);
    let runner = {
        let s = Arc::clone(&s);
        std::thread::spawn(move || {
            s.run(
                &StepRequest::commands("main", ["echo never-run"])
                    .with_timeout(WAIT)
                    .with_typing(Typing::Keys),
            )
        })
    };
    assert!(wait_until(WAIT, || s.waits_for_keys()));
    s.press_key(b"x");
    s.stop();
    let out = runner.join().unwrap().unwrap();
    assert_eq!(out.status, StepStatus::Stopped, "{out:?}");
    assert!(!s.recent_text().contains("never-run\n"));
    assert!(wait_until(WAIT, || s.state() == ShellState::Ready));
}

#[test]
fn hidden_setup_lines_run_unseen() {
    let (s, home) = session("main");
    let seen = Seen::attach(&s);
    let marker = home.path().join("setup-ran");
    let hidden = format!(
        "touch {} && export FROM_SETUP=set-up && echo HIDDEN-SETUP-OUTPUT",
        marker.display()
    );
    let mut req = StepRequest::commands("main", Vec::<String>::new()).with_timeout(WAIT);
    req.action = StepAction::Hidden(vec![hidden]);
    let out = s.run(&req).unwrap();
    assert_eq!(out.status, StepStatus::Ok, "{out:?}");
    let visible = s
        .run(&StepRequest::commands("main", ["echo visible $FROM_SETUP"]).with_timeout(WAIT))
        .unwrap();
    assert_eq!(visible.commands[0].output.trim(), "visible set-up");
    assert!(marker.exists(), "the hidden line ran");
    let screen = s.snapshot().text;
    let output = seen.output();
    for shown in [&screen, &output] {
        assert!(!shown.contains("HIDDEN-SETUP-OUTPUT"), "{shown}");
        assert!(!shown.contains("touch"), "{shown}");
        assert!(shown.contains("visible set-up"), "{shown}");
    }
    let markers = seen.markers();
    assert!(
        markers
            .iter()
            .any(|m| m.starts_with("hidden setup (exit 0)") && m.contains("HIDDEN-SETUP-OUTPUT")),
        "{markers:?}"
    );
}

#[test]
fn a_failing_hidden_line_fails_the_step_with_its_output() {
    let (s, _home) = session("main");
    let mut req = StepRequest::commands("main", Vec::<String>::new()).with_timeout(WAIT);
    req.action = StepAction::Hidden(vec!["echo no-token-found >&2; false".into()]);
    let out = s.run(&req).unwrap();
    assert_eq!(out.status, StepStatus::Failed, "{out:?}");
    let message = out.message.unwrap();
    assert!(message.contains("no-token-found"), "{message}");
    assert!(!s.snapshot().text.contains("no-token-found"));
}

#[test]
fn input_lines_for_two_clients_go_to_each_clients_terminal() {
    let repl = fixture("repl.py");
    let text = format!(
        "# Two\n\n## Clients\n\n```bash\n# Client 1\npython3 {repl}\n\n# Client 2\npython3 {repl}\n```\n\n\
         ```\nClient 1: > 1+2\nClient 2: > 20+3\nClient 1: > 2*5\n```\n"
    );
    let (_home, rb, manager) = scratch_runbook(&text);
    let step = &rb.steps[0];
    for block in &step.blocks {
        let report = block::run_block(
            &manager,
            &rb,
            step,
            block,
            TypingPolicy::FullSpeed,
            &AtomicBool::new(false),
            &Quietly,
        );
        assert!(
            report
                .outcomes
                .iter()
                .all(|o| matches!(o.status, StepStatus::Ready | StepStatus::Ok)),
            "{report:?}"
        );
    }
    let one = manager.get("Client 1").expect("client 1").recent_text();
    let two = manager.get("Client 2").expect("client 2").recent_text();
    assert!(
        one.contains("calc> 1+2\n3") && one.contains("calc> 2*5\n10"),
        "{one}"
    );
    assert!(
        two.contains("calc> 20+3\n23") && !two.contains("1+2"),
        "{two}"
    );
    assert_eq!(manager.close_all(), 0);
}
