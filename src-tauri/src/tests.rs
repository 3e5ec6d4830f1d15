//! Commands driven through Tauri's IPC on the mock runtime, with the app's real
//! config and capabilities (so the ACL is exercised too), and the hot-reload path.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, Channel, InvokeBody, InvokeResponseBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

use super::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn app(initial: Option<PathBuf>) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let app = builder(
        mock_builder(),
        initial,
        crate::TrustPlace::session_only(),
        crate::PrefsPlace::none(),
    )
    .build(tauri::generate_context!())
    .expect("the app builds on the mock runtime");
    let window = WebviewWindowBuilder::new(&app, MAIN_WINDOW, Default::default())
        .build()
        .expect("the main window builds");
    (app, window)
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("a valid URL"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON response"))
}

#[test]
fn open_runbook_returns_the_model_with_its_absolute_path() {
    let (_app, window) = app(None);
    let path = fixture("app-window.md");
    let runbook = invoke(&window, "open_runbook", json!({ "path": path })).expect("opens");
    let got = runbook["path"].as_str().expect("a path");
    assert!(Path::new(got).is_absolute(), "{got}");
    assert!(got.ends_with("app-window.md"), "{got}");
    assert!(runbook["steps"].is_array());
}

#[test]
fn open_runbook_names_file_and_reason_when_it_cannot_read() {
    let (_app, window) = app(None);
    let error = invoke(
        &window,
        "open_runbook",
        json!({ "path": "/no/such/runbook.md" }),
    )
    .expect_err("a missing file fails");
    assert_eq!(error["kind"], "unreadable");
    assert_eq!(error["path"], "/no/such/runbook.md");
    assert!(!error["reason"].as_str().unwrap_or_default().is_empty());
}

#[test]
fn open_runbook_rejects_a_file_that_is_not_utf8() {
    let (_app, window) = app(None);
    let error = invoke(
        &window,
        "open_runbook",
        json!({ "path": fixture("not-utf8.md") }),
    )
    .expect_err("not UTF-8 fails");
    assert_eq!(error["kind"], "notUtf8");
}

#[test]
fn initial_runbook_is_the_one_named_on_the_command_line() {
    let (_app, window) = app(Some(fixture("app-window.md")));
    let runbook = invoke(&window, "initial_runbook", json!({})).expect("opens");
    assert!(runbook["path"]
        .as_str()
        .unwrap_or_default()
        .ends_with("app-window.md"));

    let (_app, window) = app(None);
    assert_eq!(
        invoke(&window, "initial_runbook", json!({})),
        Ok(Value::Null)
    );
}

#[test]
fn initial_runbook_after_a_reload_is_the_one_open_now() {
    let (_app, window) = app(Some(fixture("not-utf8.md")));
    invoke(
        &window,
        "open_runbook",
        json!({ "path": fixture("app-window.md") }),
    )
    .expect("opens");
    let runbook = invoke(&window, "initial_runbook", json!({})).expect("opens");
    assert!(runbook["path"]
        .as_str()
        .unwrap_or_default()
        .ends_with("app-window.md"));
}

#[test]
fn commands_are_granted_to_the_main_window_only() {
    let (app, _main) = app(None);
    let other = WebviewWindowBuilder::new(&app, "audience", Default::default())
        .build()
        .expect("a second window builds");
    let denied = invoke(&other, "initial_runbook", json!({})).expect_err("not granted");
    assert!(denied.to_string().contains("not allowed"), "{denied}");
}

/// Collects what the backend pushes on a channel, as the UI would receive it.
fn capture_channel<T: tauri::ipc::IpcResponse>() -> (Channel<T>, mpsc::Receiver<Value>) {
    let (tx, rx) = mpsc::channel();
    let channel = Channel::new(move |body: InvokeResponseBody| {
        if let Ok(value) = body.deserialize::<Value>() {
            let _ = tx.send(value);
        }
        Ok(())
    });
    (channel, rx)
}

/// A window's probe channel, heard one event at a time (it carries batches).
fn capture_probes() -> (
    Channel<Vec<cuedeck_core::probe::ProbeEvent>>,
    mpsc::Receiver<Value>,
) {
    let (tx, rx) = mpsc::channel();
    let channel = Channel::new(move |body: InvokeResponseBody| {
        if let Ok(Value::Array(events)) = body.deserialize::<Value>() {
            for event in events {
                let _ = tx.send(event);
            }
        }
        Ok(())
    });
    (channel, rx)
}

#[test]
fn a_saved_file_is_pushed_to_the_window() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("talk.md");
    std::fs::write(&path, "# Talk\n\n## One\n\n```bash\necho one\n```\n")?;
    let (app, window) = app(None);
    let (channel, updates) = capture_channel();
    app.state::<AppState>().session().subscriber = Some(channel);
    invoke(&window, "open_runbook", json!({ "path": path })).map_err(|e| anyhow::anyhow!("{e}"))?;

    std::fs::write(&path, "# Talk\n\n## One\n\n## Two\n")?;
    let update = updates.recv_timeout(Duration::from_secs(5))?;
    assert_eq!(update["kind"], "loaded");
    assert_eq!(update["runbook"]["path"], json!(path));

    std::fs::write(&path, b"# Talk \xff\n")?;
    let update = updates.recv_timeout(Duration::from_secs(5))?;
    assert_eq!(update["kind"], "failed");
    assert_eq!(update["error"]["kind"], "notUtf8");
    Ok(())
}

#[test]
fn a_change_to_a_runbook_no_longer_open_is_ignored() -> anyhow::Result<()> {
    let (app, _window) = app(None);
    let (channel, updates) = capture_channel();
    {
        let state = app.state::<AppState>();
        let mut session = state.session();
        session.subscriber = Some(channel);
        session.current = Some(fixture("other.md"));
    }
    reload(app.handle(), &fixture("app-window.md"));
    assert!(updates.recv_timeout(Duration::from_millis(200)).is_err());
    Ok(())
}

#[test]
fn window_title_names_the_runbook() {
    let path = Path::new("/talks/rate-limits.md");
    let mut runbook = Runbook {
        title: "Rate Limiting".into(),
        ..Runbook::default()
    };
    assert_eq!(
        window_title(path, Some(&runbook)),
        "Rate Limiting — Cuedeck"
    );
    runbook.title = "  ".into();
    assert_eq!(
        window_title(path, Some(&runbook)),
        "rate-limits.md — Cuedeck"
    );
    assert_eq!(window_title(path, None), "rate-limits.md — Cuedeck");
    assert_eq!(window_title(Path::new("/"), None), "Cuedeck");
}

#[test]
fn terminal_commands_name_what_is_missing() {
    let (_app, window) = app(None);
    let err = invoke(&window, "stop_terminal", json!({ "name": "main" })).expect_err("no runbook");
    assert!(err.to_string().contains("no runbook is open"), "{err}");

    invoke(
        &window,
        "open_runbook",
        json!({ "path": fixture("e2e-terminal.md") }),
    )
    .expect("opens");
    let err = invoke(&window, "stop_terminal", json!({ "name": "main" })).expect_err("no shell");
    assert!(
        err.to_string().contains("terminal `main` is not started"),
        "{err}"
    );
    let err = invoke(&window, "stop_block", json!({ "blockId": "nope" })).expect_err("no block");
    assert!(err.to_string().contains("no block `nope`"), "{err}");
}

#[test]
fn terminal_commands_are_granted_to_the_main_window_only() {
    let (app, _main) = app(None);
    let other = WebviewWindowBuilder::new(&app, "audience", Default::default())
        .build()
        .expect("a second window builds");
    for (cmd, args) in [
        ("stop_terminal", json!({ "name": "main" })),
        ("terminal_input", json!({ "name": "main", "data": "x" })),
        ("stop_block", json!({ "blockId": "greet-1" })),
        ("preflight_run", json!({})),
        ("probe_hide", json!({ "service": "api", "hidden": true })),
    ] {
        let denied = invoke(&other, cmd, args).expect_err("not granted");
        assert!(
            denied.to_string().contains("not allowed"),
            "{cmd}: {denied}"
        );
    }
}

/// A local HTTP server answering 200 `{"status":"ok"}` to every request.
fn healthy_server() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"status\":\"ok\"}",
            );
        }
    });
    port
}

fn runbook_with_service(port: u16) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("probed.md");
    std::fs::write(
        &path,
        format!(
            "---\nservices:\n  - {{ name: api, url: \"http://127.0.0.1:{port}/health\", interval: 200ms }}\n---\n# Probed\n\n## Check\n\n```bash\ncurl -s http://127.0.0.1:{port}/health\n```\n\n- [ ] Slides ready\n"
        ),
    )?;
    Ok((dir, path))
}

#[test]
fn probe_events_reach_the_window_and_a_late_window_gets_the_last_state() -> anyhow::Result<()> {
    let (app, window) = app(None);
    let port = healthy_server();
    let (_dir, path) = runbook_with_service(port)?;
    let (channel, events) = capture_probes();
    // (A channel passed through the mock IPC would post to a webview; subscribe directly.)
    app.state::<Arc<Probes>>().subscribe(channel);
    invoke(&window, "open_runbook", json!({ "path": path })).expect("opens");
    let up = (0..50)
        .map_while(|_| events.recv_timeout(Duration::from_secs(5)).ok())
        .find(|e| e["kind"] == "service" && e["health"] == "up")
        .expect("the service is reported up");
    assert_eq!(up["service"], "api");
    assert!(up["latencyMs"].is_number());

    // A reloaded window attaches again and hears the last state at once.
    let (channel, late) = capture_probes();
    app.state::<Arc<Probes>>().subscribe(channel);
    let first = late.recv_timeout(Duration::from_secs(1))?;
    assert_eq!(first["kind"], "service");
    assert_eq!(first["service"], "api");
    Ok(())
}

#[test]
fn preflight_checks_the_open_runbook() -> anyhow::Result<()> {
    let (_app, window) = app(None);
    let err = invoke(&window, "preflight_run", json!({})).expect_err("no runbook");
    assert!(err.to_string().contains("no runbook is open"), "{err}");

    let port = healthy_server();
    let (_dir, path) = runbook_with_service(port)?;
    invoke(&window, "open_runbook", json!({ "path": path })).expect("opens");
    let report = invoke(&window, "preflight_run", json!({})).expect("a report");
    let items = report["items"].as_array().expect("items");
    let service = items
        .iter()
        .find(|i| i["kind"] == "service")
        .expect("the service is checked");
    assert_eq!(service["status"], "ok", "{service}");
    assert!(items
        .iter()
        .any(|i| i["kind"] == "checklist" && i["status"] == "manual"));
    assert!(items
        .iter()
        .any(|i| i["kind"] == "tool" && i["subject"] == "curl"));
    Ok(())
}

#[test]
fn playback_commands_are_granted_to_the_main_window_only() {
    let (app, _main) = app(None);
    let other = WebviewWindowBuilder::new(&app, "audience", Default::default())
        .build()
        .expect("a second window builds");
    for (cmd, args) in [
        ("recordings", json!({})),
        ("playback_stop", json!({})),
        ("live_resume", json!({})),
    ] {
        let denied = invoke(&other, cmd, args).expect_err("not granted");
        assert!(
            denied.to_string().contains("not allowed"),
            "{cmd}: {denied}"
        );
    }
}

/// Rehearses `path` headless (as `cuedeck rehearse` does), recording it.
fn rehearse(path: &std::path::Path) -> anyhow::Result<()> {
    use cuedeck_core::show::rehearse::{rehearse, Probing};
    use cuedeck_core::show::run_all::Selection;
    use cuedeck_core::terminal::TerminalManager;
    let runbook = cuedeck_core::runbook::load(path)?;
    let manager = TerminalManager::new(cuedeck_core::show::terminals::session_options(
        &runbook, path,
    ));
    let (report, _, _) = rehearse(
        path,
        &runbook,
        &manager,
        &Selection::default(),
        Probing::Own,
        |_| {},
        |_: &cuedeck_core::show::run_all::StepResult| {},
    )?;
    anyhow::ensure!(report.failed() == 0, "the rehearsal failed: {report:?}");
    Ok(())
}

#[test]
fn recordings_name_each_rehearsed_step_and_flag_an_edited_one_stale() -> anyhow::Result<()> {
    let (_app, window) = app(None);
    let err = invoke(&window, "recordings", json!({})).expect_err("no runbook");
    assert!(err.to_string().contains("no runbook is open"), "{err}");

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("two.md");
    std::fs::write(
        &path,
        "# Two\n\n## First\n\n```bash\necho one\n```\n\n## Second\n\n```bash\necho two\n```\n",
    )?;
    invoke(&window, "open_runbook", json!({ "path": path })).expect("opens");
    assert_eq!(
        invoke(&window, "recordings", json!({})).expect("a list"),
        json!([])
    );

    rehearse(&path)?;
    let list = invoke(&window, "recordings", json!({})).expect("a list");
    let steps: Vec<(&str, bool)> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| (r["stepId"].as_str().unwrap_or(""), r["stale"] == true))
        .collect();
    assert_eq!(steps, vec![("first", false), ("second", false)]);

    let text = std::fs::read_to_string(&path)?.replace("echo two", "echo 2");
    std::fs::write(&path, text)?;
    invoke(&window, "open_runbook", json!({ "path": path })).expect("opens again");
    let list = invoke(&window, "recordings", json!({})).expect("a list");
    let stale: Vec<&str> = list
        .as_array()
        .expect("an array")
        .iter()
        .filter(|r| r["stale"] == true)
        .filter_map(|r| r["stepId"].as_str())
        .collect();
    assert_eq!(stale, vec!["second"]);
    Ok(())
}

#[test]
fn a_playback_shows_recorded_lights_and_keeps_live_ones_back_until_live_again() -> anyhow::Result<()>
{
    use cuedeck_core::probe::{Health, ProbeEvent, ServiceStatus};
    let (app, _window) = app(None);
    let probes = app.state::<Arc<Probes>>();
    let (channel, events) = capture_probes();
    probes.subscribe(channel);
    let status = |health: Health, at: u64| {
        ProbeEvent::Service(ServiceStatus {
            service: "api".into(),
            url: "http://127.0.0.1:1/health".into(),
            health,
            at,
            latency_ms: None,
            http_status: None,
            error: None,
        })
    };
    let sink = probes.sink_for_tests();
    sink.publish(status(Health::Down, 1));
    assert_eq!(
        events.recv_timeout(Duration::from_secs(1))?["health"],
        "down"
    );

    probes.set_replaying(true);
    probes.replay(status(Health::Up, 1));
    let replayed = events.recv_timeout(Duration::from_secs(1))?;
    assert_eq!(replayed["health"], "up");
    assert!(
        replayed["at"].as_u64().unwrap_or(0) > 1_000_000,
        "re-dated to now: {replayed}"
    );
    sink.publish(status(Health::Down, 2));
    assert!(
        events.recv_timeout(Duration::from_millis(200)).is_err(),
        "a live event reached the window during playback"
    );

    probes.set_replaying(false);
    let live = events.recv_timeout(Duration::from_secs(1))?;
    assert_eq!(
        (live["health"].as_str(), live["at"].as_u64()),
        (Some("down"), Some(2))
    );
    Ok(())
}

#[test]
fn a_round_of_probe_events_reaches_the_window_as_one_message_in_order() -> anyhow::Result<()> {
    use cuedeck_core::probe::{Health, ProbeEvent, ServiceStatus};
    let (app, _window) = app(None);
    let probes = app.state::<Arc<Probes>>();
    let (channel, batches) = capture_channel::<Vec<ProbeEvent>>();
    probes.subscribe(channel);
    let status = |service: &str, at: u64| {
        ProbeEvent::Service(ServiceStatus {
            service: service.into(),
            url: "http://127.0.0.1:1/health".into(),
            health: Health::Up,
            at,
            latency_ms: Some(1.0),
            http_status: Some(200),
            error: None,
        })
    };
    let sink = probes.sink_for_tests();
    for (i, service) in ["gateway", "orders", "payments", "search"]
        .iter()
        .enumerate()
    {
        sink.publish(status(service, i as u64 + 1));
    }
    let batch = batches.recv_timeout(Duration::from_secs(1))?;
    let order: Vec<&str> = batch
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["service"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        order,
        ["gateway", "orders", "payments", "search"],
        "{batch}"
    );
    assert!(
        batches.recv_timeout(Duration::from_millis(200)).is_err(),
        "the round came in more than one message"
    );

    // The next round is a batch of its own.
    sink.publish(status("gateway", 10));
    let next = batches.recv_timeout(Duration::from_secs(1))?;
    assert_eq!(next.as_array().map(Vec::len), Some(1), "{next}");
    Ok(())
}

/// The audience window's own window, beside the presenter's.
fn audience_window(app: &App<MockRuntime>) -> WebviewWindow<MockRuntime> {
    WebviewWindowBuilder::new(app, audience::AUDIENCE_WINDOW, Default::default())
        .build()
        .expect("the audience window builds")
}

#[test]
fn the_audience_window_may_watch_but_never_run_type_resize_or_open() {
    let (app, main) = app(Some(fixture("e2e-basic.md")));
    invoke(&main, "initial_runbook", json!({})).expect("opens");
    let audience = audience_window(&app);
    for (cmd, args) in [
        ("run_block", json!({ "blockId": "x" })),
        (
            "terminal_attach",
            json!({ "name": "main", "cols": 80, "rows": 24 }),
        ),
        ("terminal_input", json!({ "name": "main", "data": "x" })),
        (
            "terminal_resize",
            json!({ "name": "main", "cols": 80, "rows": 24 }),
        ),
        ("show_command", json!({ "command": { "kind": "next" } })),
        ("open_runbook", json!({ "path": "/etc/passwd" })),
        ("initial_runbook", json!({})),
        ("open_link", json!({ "url": "https://example.org" })),
        ("probe_attach", json!({})),
        ("rehearse_run", json!({ "from": null })),
        (
            "play_step",
            json!({ "stepId": "x", "speed": 1.0, "idleCapMs": null }),
        ),
        ("audience_open", json!({ "fullscreen": true })),
        ("audience_close", json!({})),
    ] {
        let denied = invoke(&audience, cmd, args).expect_err("not granted to the audience");
        assert!(
            denied.to_string().contains("not allowed"),
            "{cmd}: {denied}"
        );
    }
    // What it needs is granted: its view of the runbook, blank.
    let view = invoke(&audience, "audience_view", json!({})).expect("granted");
    assert_eq!(view["steps"][0]["title"], "Step One: Check the tools");
    let blanked = invoke(&audience, "audience_blank", json!({})).expect("granted");
    assert_eq!(blanked["blanked"], true);
}

#[test]
fn the_audience_view_has_no_notes_and_masks_secrets() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("talk.md");
    std::fs::write(
        &path,
        "---\nredact: [\"hunter2-\\\\w+\"]\n---\n# Talk\n\n## Log in with hunter2-abc (1 minute)\n\n\
         Use the key hunter2-abc to log in.\n\n```bash\necho hunter2-abc\n```\n\n\
         ### Talking Points\n\n- Mention the private roadmap\n\n\
         **Expected Result**: it prints `ok`\n\n- Q: \"Secret plans?\" → A: None yet.\n",
    )?;
    let (app, main) = app(None);
    invoke(&main, "open_runbook", json!({ "path": path })).map_err(|e| anyhow::anyhow!("{e}"))?;
    let view = invoke(&audience_window(&app), "audience_view", json!({}))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // What the audience's show subscription is sent: no path, no step ids (the
    // step's id is a slug of its title, secret included).
    let show = app.state::<Arc<Show>>().state();
    assert!(
        show.steps.iter().any(|id| id.contains("hunter2")),
        "{:?}",
        show.steps
    );
    let state = serde_json::to_string(&show::seen_by(audience::AUDIENCE_WINDOW)(&show))?;
    let text = format!("{view}{state}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("talk.md"), "{text}");
    for hidden in [
        "private roadmap",
        "Expected Result",
        "Secret plans",
        "None yet",
    ] {
        assert!(
            !text.contains(hidden),
            "the audience receives {hidden:?}: {text}"
        );
    }
    assert!(text.contains("Use the key *********** to log in"), "{text}");
    assert!(text.contains("echo ***********"), "{text}");
    Ok(())
}

#[test]
fn the_audience_never_starts_a_terminal() {
    let (app, main) = app(Some(fixture("e2e-basic.md")));
    invoke(&main, "initial_runbook", json!({})).expect("opens");
    let audience = audience_window(&app);
    let (channel, _rx) = capture_channel::<InvokeResponseBody>();
    let terminals = app.state::<Arc<Terminals>>();
    let result = tauri::async_runtime::block_on(terminals::attach_redacted(
        &terminals,
        "main".into(),
        channel,
    ));
    let message = result.err().map(|e| e.message).unwrap_or_default();
    assert!(message.contains("not started"), "{message}");
    assert!(terminals.sessions().is_empty(), "no terminal was started");
    drop(audience);
}

#[test]
fn the_show_is_one_state_for_every_window_and_app_only_parts_are_refused() {
    let (app, main) = app(Some(fixture("e2e-basic.md")));
    invoke(&main, "initial_runbook", json!({})).expect("opens");
    let show = app.state::<Arc<Show>>();
    let (presenter, from_presenter) = mpsc::channel();
    let (room, from_room) = mpsc::channel();
    // (A channel passed through the mock IPC would post to a webview; subscribe directly.)
    show.subscribe(MAIN_WINDOW, move |s| drop(presenter.send(s.clone())));
    show.subscribe(audience::AUDIENCE_WINDOW, move |s| {
        drop(room.send(s.clone()))
    });
    let first = from_room
        .recv_timeout(Duration::from_secs(1))
        .expect("the whole state first");
    assert_eq!(first.current, Some(0));

    let after = invoke(
        &main,
        "show_command",
        json!({ "command": { "kind": "next" } }),
    )
    .expect("the presenter moves the show");
    assert_eq!(after["current"], 1);
    assert!(
        after["timer"]["startedAt"].is_number(),
        "the first step change starts the clock"
    );
    for rx in [&from_presenter, &from_room] {
        let seen: Vec<_> = (0..3)
            .map_while(|_| rx.recv_timeout(Duration::from_secs(1)).ok())
            .collect();
        assert!(
            seen.iter().any(|s| s.current == Some(1)),
            "every window hears it: {seen:?}"
        );
    }
    for kind in [
        json!({ "kind": "terminals", "names": ["x"] }),
        json!({ "kind": "playing", "stepId": null }),
        json!({ "kind": "audience", "open": true, "monitor": null, "fullscreen": true }),
        json!({ "kind": "audienceGrid", "grid": { "cols": 5, "rows": 5 } }),
    ] {
        let refused =
            invoke(&main, "show_command", json!({ "command": kind })).expect_err("app-only");
        assert!(
            refused.to_string().contains("app's own"),
            "{kind}: {refused}"
        );
    }
}

/// A scratch runbook with `front` as its front matter and one block.
fn scratch_runbook(front: &str) -> anyhow::Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("demo.md");
    std::fs::write(
        &path,
        format!("---\n{front}\n---\n# Demo\n\n## One\n\n```bash\necho one\n```\n"),
    )?;
    Ok((dir, path))
}

#[test]
fn nothing_runs_until_the_sheet_shown_is_trusted() -> anyhow::Result<()> {
    let (_app, window) = app(None);
    let (_dir, path) = scratch_runbook("env: { GREETING: hello }")?;
    invoke(&window, "open_runbook", json!({ "path": path })).expect("opens");
    let status = invoke(&window, "trust_status", json!({})).expect("a sheet");
    assert_eq!(status["trusted"], false);
    assert_eq!(status["sheet"]["items"][0]["subject"], "GREETING");
    assert_eq!(status["sheet"]["runnableBlocks"], 1);
    let err = invoke(&window, "restart_terminal", json!({ "name": "main" }))
        .expect_err("untrusted: nothing runs");
    assert!(err.to_string().contains("until you trust"), "{err}");

    let err =
        invoke(&window, "trust_accept", json!({ "digest": "stale" })).expect_err("another digest");
    assert!(err.to_string().contains("changed since"), "{err}");
    let digest = status["sheet"]["digest"].clone();
    let accepted = invoke(&window, "trust_accept", json!({ "digest": digest })).expect("trusts");
    assert_eq!(accepted["trusted"], true);
    assert!(
        accepted["storeError"].is_string(),
        "this app keeps no decision"
    );
    let err =
        invoke(&window, "restart_terminal", json!({ "name": "main" })).expect_err("no shell yet");
    assert!(!err.to_string().contains("trust"), "trusted now: {err}");

    // An edit to what it runs asks again.
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)?.replace("echo one", "echo two"),
    )?;
    invoke(&window, "open_runbook", json!({ "path": path })).expect("reopens");
    let status = invoke(&window, "trust_status", json!({})).expect("a sheet");
    assert_eq!(status["trusted"], false, "{status}");
    Ok(())
}

#[test]
fn a_runbook_asking_for_what_none_may_do_cannot_be_trusted() -> anyhow::Result<()> {
    let (_app, window) = app(None);
    let (_dir, path) = scratch_runbook("env:\n  PROMPT_COMMAND: touch /tmp/x")?;
    invoke(&window, "open_runbook", json!({ "path": path })).expect("opens");
    let status = invoke(&window, "trust_status", json!({})).expect("a sheet");
    assert_eq!(status["sheet"]["blocked"][0]["line"], 3, "{status}");
    let digest = status["sheet"]["digest"].clone();
    let err = invoke(&window, "trust_accept", json!({ "digest": digest })).expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("demo.md:3: refused: env `PROMPT_COMMAND`"),
        "{text}"
    );
    Ok(())
}
