//! A live, multi-terminal demo in the real window, run with the keyboard only
//! (tests/fixtures/live/chat-demo.md): PageDown starts three chat nodes at once,
//! shown side by side; a client is typed into; node 3 is stopped with a `^C` block
//! and started again; every node shows the same messages in the same order. And a
//! command typed on the presenter's keys (`typing: keys`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use cuedeck_e2e::{status_is, with_app, App, Env, UI_TIMEOUT};
use fantoccini::key::Key;
use serde_json::Value;

/// Shells start, python starts, a leader is elected (1 s window) or replaced (1.5 s).
const LIVE_TIMEOUT: Duration = Duration::from_secs(40);

/// The demo and its programs in a folder of their own, on ports of their own (the
/// core rehearsal test uses 5301-5303).
fn demo_copy() -> Result<PathBuf> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/live");
    let dir = std::env::temp_dir().join(format!("cuedeck-e2e-live-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("chat"))?;
    let text = std::fs::read_to_string(fixtures.join("chat-demo.md"))?
        .replace(":530", ":540")
        .replace("port 530", "port 540");
    std::fs::write(dir.join("chat-demo.md"), text)?;
    for program in ["node.py", "client.py"] {
        std::fs::copy(
            fixtures.join("chat").join(program),
            dir.join("chat").join(program),
        )
        .with_context(|| format!("copying {program}"))?;
    }
    Ok(dir)
}

/// A JS expression: terminal `name`'s view shows `text`.
fn shows(name: &str, text: &str) -> String {
    format!(
        "window.__cuedeckTerminals.read({}).includes({})",
        serde_json::json!(name),
        serde_json::json!(text)
    )
}

async fn advance_until(app: &App, what: &str, block: &str, states: &[&str]) -> Result<()> {
    app.press(Key::PageDown).await?;
    app.wait_for(what, &status_is(block, states), LIVE_TIMEOUT)
        .await?;
    Ok(())
}

async fn on_step(app: &App, title: &str) -> Result<()> {
    app.press(Key::PageDown).await?;
    app.wait_for(
        &format!("the step {title:?}"),
        &format!(
            "document.getElementById('step-title').innerText === {}",
            serde_json::json!(title)
        ),
        UI_TIMEOUT,
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_three_node_chat_demo_runs_from_the_keyboard() -> Result<()> {
    let test = "a_three_node_chat_demo_runs_from_the_keyboard";
    let Some(env) = Env::or_skip(test) else {
        return Ok(());
    };
    let dir = demo_copy()?;
    let nodes = ["Terminal 1", "Terminal 2", "Terminal 3"];
    let result = with_app(&env, "live", &dir.join("chat-demo.md"), async |app| {
        app.wait_ready().await?;
        // Step 1: one key starts the three nodes together, tiled side by side.
        advance_until(app, "the three nodes to be ready", "start-the-cluster-1", &["ready"]).await?;
        app.wait_for("node 3 to lead", &shows("Terminal 3", "Became LEADER for term 1"), LIVE_TIMEOUT)
            .await?;
        let boxes = app
            .js(
                "return [...document.querySelectorAll('#terminal-views .terminal-view')] \
                 .filter(v => !v.hidden).map(v => { const r = v.getBoundingClientRect(); \
                 return [r.left, r.top, r.width, r.height]; });",
            )
            .await?;
        let boxes: Vec<Vec<f64>> = serde_json::from_value(boxes)?;
        ensure!(boxes.len() == 3, "three terminals shown: {boxes:?}");
        ensure!(
            boxes.windows(2).all(|w| w[0][0] + w[0][2] <= w[1][0] + 1.0 && (w[0][1] - w[1][1]).abs() < 1.0),
            "side by side in one row: {boxes:?}"
        );
        let badge = app.text(".cue-block[data-block=\"start-the-cluster-1\"] .status").await?;
        ensure!(badge.contains("ready ×3"), "the badge: {badge}");
        let detail = app.text(".cue-block[data-block=\"start-the-cluster-1\"] .status-detail").await?;
        ensure!(
            detail.contains("Terminal 1: port 5401") && detail.contains("Terminal 3: port 5403"),
            "the block says what made each terminal ready: {detail}"
        );
        app.screenshot("live-three-nodes").await?;

        // Step 2: the client runs and waits for input; the typed lines reach every node.
        on_step(app, "Chat through node 1").await?;
        advance_until(app, "the client to wait for input", "chat-through-node-1-1", &["ready"]).await?;
        advance_until(app, "the messages to be typed", "chat-through-node-1-2", &["ok"]).await?;
        app.wait_for(
            "the client's answer",
            &shows("main", "[seq=3] client_101: And a third one"),
            LIVE_TIMEOUT,
        )
        .await?;
        app.screenshot("live-client").await?;

        // Step 3: ^C stops node 3; node 2 takes over and the message still goes through.
        on_step(app, "Take the leader away").await?;
        advance_until(app, "node 3 to be stopped", "take-the-leader-away-1", &["ok"]).await?;
        app.wait_for("node 3 stopped", &shows("Terminal 3", "node 3: stopped"), LIVE_TIMEOUT)
            .await?;
        advance_until(app, "the message sent meanwhile", "take-the-leader-away-2", &["ok"]).await?;
        app.wait_for("node 2 to lead", &shows("Terminal 2", "Became LEADER for term 2"), LIVE_TIMEOUT)
            .await?;

        // Step 4: node 3 comes back as a follower and catches up.
        on_step(app, "Bring node 3 back").await?;
        advance_until(app, "node 3 to be back", "bring-node-3-back-1", &["ready"]).await?;
        advance_until(app, "the last message", "bring-node-3-back-2", &["ok"]).await?;
        for node in nodes {
            app.wait_for(
                &format!("{node} to show the last message"),
                &shows(node, "[seq=5] client_101: Node 3 is back"),
                LIVE_TIMEOUT,
            )
            .await?;
        }
        let order = app
            .js(
                "return ['Terminal 1','Terminal 2','Terminal 3'].map(n => \
                 [...window.__cuedeckTerminals.read(n).matchAll(/\\[seq=(\\d+)\\] (client_\\d+: .*)/g)] \
                 .map(m => m[1] + ' ' + m[2].trim()));",
            )
            .await?;
        let order: Vec<Vec<String>> = serde_json::from_value(order)?;
        let unique = |lines: &Vec<String>| {
            let mut seen: Vec<String> = Vec::new();
            for l in lines {
                if !seen.contains(l) {
                    seen.push(l.clone());
                }
            }
            seen
        };
        let first = unique(&order[0]);
        ensure!(first.len() == 5, "five messages: {first:?}");
        for other in &order[1..] {
            let mut sorted = unique(other);
            sorted.sort_by_key(|l| l.split(' ').next().and_then(|n| n.parse::<u32>().ok()));
            ensure!(sorted == first, "one order on every node: {order:?}");
        }
        // The tab's Restart runs node 3's last command again (its actions show on the
        // tab shown).
        app.click(".terminal-tab[data-terminal=\"Terminal 3\"]").await?;
        app.click(".terminal-tab-group[data-terminal=\"Terminal 3\"] .tab-action.restart")
            .await?;
        app.wait_for(
            "node 3 restarted from its tab",
            "window.__cuedeckTerminals.read('Terminal 3').split('node 3: starting on').length === 4",
            LIVE_TIMEOUT,
        )
        .await?;
        app.screenshot("live-restarted").await?;
        let _: Value = app.js("return true;").await?;
        Ok(())
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// `typing: keys` in the window: the command appears a few characters per key the
/// presenter presses (outside the terminal: the keys go to the typing, not the show),
/// and runs only once it is fully typed and Enter is pressed.
#[tokio::test]
async fn a_command_typed_on_keys_types_as_keys_are_pressed() -> Result<()> {
    let test = "a_command_typed_on_keys_types_as_keys_are_pressed";
    let Some(env) = Env::or_skip(test) else {
        return Ok(());
    };
    let dir = std::env::temp_dir().join(format!("cuedeck-e2e-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let runbook = dir.join("keys.md");
    std::fs::write(
        &runbook,
        "# Keys\n\n## Typed on keys\n\n```bash {\"typing\": \"keys\"}\necho typed-on-keys\n```\n",
    )?;
    let command = "echo typed-on-keys";
    let result = with_app(&env, "keys", &runbook, async |app| {
        app.wait_ready().await?;
        app.press(Key::Enter).await?;
        app.wait_for("the block to wait for keys", &status_is("typed-on-keys-1", &["typing"]), LIVE_TIMEOUT)
            .await?;
        let line = "(() => { const t = window.__cuedeckTerminals.read('main').split('\\n'); return t[t.length - 1]; })()";
        ensure!(
            !app.js(&format!("return {line};")).await?.as_str().unwrap_or_default().contains("echo"),
            "nothing typed before a key"
        );
        let presses = command.len().div_ceil(3);
        for n in 1..=presses {
            app.press_char('x').await?;
            let typed = &command[..(n * 3).min(command.len())];
            app.wait_for(
                &format!("{typed:?} typed after {n} keys"),
                &format!("{line}.endsWith({})", serde_json::json!(typed)),
                UI_TIMEOUT,
            )
            .await?;
        }
        ensure!(
            app.js("return document.querySelector('.cue-block[data-block=\"typed-on-keys-1\"] .status').dataset.status;")
                .await?
                == Value::String("typing".into()),
            "fully typed, it waits for Enter"
        );
        app.press(Key::Enter).await?;
        app.wait_for("the command to run", &status_is("typed-on-keys-1", &["ok"]), LIVE_TIMEOUT)
            .await?;
        app.wait_for("its output", &shows("main", "\ntyped-on-keys"), UI_TIMEOUT).await?;
        app.screenshot("typed-on-keys").await?;
        Ok(())
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
