//! Steps run in the window's real terminals: Enter runs the current step, the xterm
//! buffer shows the command at a prompt and its output, badges show ok or the exit code.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use cuedeck_e2e::{fixture, status_is, with_app, Env, UI_TIMEOUT};
use fantoccini::key::Key;
use fantoccini::Locator;

/// A shell starts and a step runs within this, even on a loaded 2-core machine.
const RUN_TIMEOUT: Duration = Duration::from_secs(40);

fn terminal_has(name: &str, text: &str) -> String {
    format!("window.__cuedeckTerminals.read({name:?}).includes({text:?})")
}

#[tokio::test]
async fn enter_runs_the_step_in_a_real_terminal_with_status_badges() -> Result<()> {
    let Some(env) = Env::or_skip("enter_runs_the_step_in_a_real_terminal_with_status_badges")
    else {
        return Ok(());
    };
    with_app(&env, "terminal", &fixture("e2e-terminal.md"), async |app| {
        app.wait_ready().await?;
        app.press(Key::Enter).await?;
        app.wait_for("the greet step to end ok", &status_is("greet-1", &["ok"]), RUN_TIMEOUT)
            .await?;
        app.wait_for(
            "the output in the main terminal",
            &terminal_has("main", "cuedeck-e2e-42"),
            UI_TIMEOUT,
        )
        .await?;
        let text = app.js("return window.__cuedeckTerminals.read('main')").await?;
        let text = text.as_str().unwrap_or_default();
        ensure!(
            text.contains("echo \"cuedeck-e2e-$((6*7))\""),
            "the command was not typed at the prompt:\n{text}"
        );
        app.screenshot("terminal-ok").await?;

        app.press(Key::Down).await?;
        app.wait_for(
            "the failing step to be shown",
            "document.getElementById('step-title').innerText.includes('Fail')",
            UI_TIMEOUT,
        )
        .await?;
        app.press(Key::Enter).await?;
        app.wait_for("the failed badge", &status_is("fail-1", &["failed"]), RUN_TIMEOUT)
            .await?;
        let code = app
            .js("return document.querySelector('.cue-block[data-block=\"fail-1\"] .status').dataset.exitCode")
            .await?;
        ensure!(code.as_str() == Some("2"), "exit code shown: {code}");
        app.screenshot("terminal-failed").await?;

        // A long step is stopped with Ctrl+. and the terminal takes typed keys again.
        app.press(Key::Down).await?;
        app.wait_for(
            "the long step to be shown",
            "document.getElementById('step-title').innerText.includes('Wait')",
            UI_TIMEOUT,
        )
        .await?;
        app.press(Key::Enter).await?;
        app.wait_for("the running badge", &status_is("wait-1", &["running"]), RUN_TIMEOUT)
            .await?;
        app.ctrl('.').await?;
        app.wait_for("the stopped badge", &status_is("wait-1", &["stopped"]), RUN_TIMEOUT)
            .await?;
        app.client()
            .find(Locator::Css(
                ".terminal-view[data-terminal=\"main\"] textarea.xterm-helper-textarea",
            ))
            .await
            .context("finding the main terminal's input")?
            .send_keys("echo typed-$((2+3))\n")
            .await
            .context("typing into the main terminal")?;
        app.wait_for(
            "the typed command's output",
            &terminal_has("main", "\ntyped-5"),
            RUN_TIMEOUT,
        )
        .await?;
        app.screenshot("terminal-stopped").await?;
        echoes_are_drawn_at_once(app).await
    })
    .await
}

/// A key's echo is drawn in the task that parsed it, not on the next animation frame
/// (terminal-view.ts `drawNow`): right after each parse the cursor's row on screen
/// already shows the buffer's text. On xterm's own schedule the row would still be the
/// old one there, so this fails if the internals `drawNow` reaches change.
async fn echoes_are_drawn_at_once(app: &cuedeck_e2e::App) -> Result<()> {
    let counted = "window.__cuedeckTerminals.echoesDrawnAtOnce('main')";
    let before = app
        .js(&format!("return {counted}"))
        .await?
        .as_u64()
        .unwrap_or(0);
    app.js(
        "const x = window.__cuedeckTerminals.xterm('main'); x.focus(); \
         const seen = window.__echoRows = []; \
         x.onWriteParsed(() => { const b = x.buffer.active; \
           const line = b.getLine(b.baseY + b.cursorY)?.translateToString(true) ?? ''; \
           const rows = document.querySelectorAll('.terminal-view[data-terminal=\"main\"] .xterm-rows > div'); \
           const shown = (rows[b.cursorY]?.textContent ?? '').replace(/\\u00a0/g, ' ').trimEnd(); \
           seen.push({ line: line.trimEnd(), shown }); });",
    )
    .await?;
    let mut typed = String::new();
    for c in ['q', 'z', 'w'] {
        app.press_char(c).await?;
        typed.push(c);
        app.wait_for("the key's echo", &terminal_has("main", &typed), UI_TIMEOUT)
            .await?;
    }
    let renderer = app
        .js("return window.__cuedeckTerminals.renderer('main')")
        .await?;
    if renderer.as_str() == Some("dom") {
        let seen = app.js("return window.__echoRows").await?;
        let rows = seen.as_array().context("the parses seen")?;
        ensure!(!rows.is_empty(), "no parse seen after the keys");
        for row in rows {
            ensure!(
                row["line"] == row["shown"],
                "an echo was parsed but not drawn yet (it waits for the next frame): {row}"
            );
        }
    }
    let after = app
        .js(&format!("return {counted}"))
        .await?
        .as_u64()
        .unwrap_or(0);
    ensure!(
        after >= before + 3,
        "{} of 3 echoes drawn at once",
        after - before
    );
    app.ctrl('u').await
}
