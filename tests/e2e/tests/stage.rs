//! The stage on our own tour, in the real windows: the audience window opens with
//! `A`, shows the step's title and terminal but none of the presenter's notes, Q&A,
//! expectations or redacted secrets; PageDown moves both windows; B blanks the
//! audience; both clocks agree; a reloaded audience window comes back where it was.
//! And the advance key alone drives the whole tour, running every block in order.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use cuedeck_e2e::{status_is, tour_copy, with_app, Env, CURRENT_STEP, UI_TIMEOUT};
use fantoccini::key::Key;
use serde_json::Value;

/// A shell starts and the step's commands run.
const STEP_TIMEOUT: Duration = Duration::from_secs(40);
/// A second webview starts.
const WINDOW_TIMEOUT: Duration = Duration::from_secs(30);
/// The bar: both windows show the same talk time within this.
const CLOCK_AGREEMENT_MS: f64 = 100.0;
const SECRET: &str = "tour-secret-7f3a9c";

/// Talk time minus the moment it was read: equal in two windows whose clocks agree.
fn clock_origin(v: &Value) -> Result<f64> {
    let talk = v["talkMs"].as_f64().context("talkMs")?;
    let at = v["at"].as_f64().context("at")?;
    Ok(at - talk)
}

#[tokio::test]
async fn the_audience_window_follows_the_show_without_notes_or_secrets() -> Result<()> {
    let test = "the_audience_window_follows_the_show_without_notes_or_secrets";
    let Some(env) = Env::or_skip(test) else {
        return Ok(());
    };
    let (dir, runbook) = tour_copy("stage")?;
    let result = with_app(&env, "stage", &runbook, async |app| {
        app.wait_ready().await?;
        app.go_to_step("set-the-stage").await?;
        app.press(Key::Enter).await?;
        app.wait_for("the first block to run", &status_is("make-workdir", &["ok"]), STEP_TIMEOUT)
            .await?;
        let presenter = app.window().await?;
        let presenter_text = app.js("return document.body.innerText + window.__cuedeckTerminals.read('main');").await?;
        ensure!(
            presenter_text.as_str().unwrap_or_default().contains("Each block runs at a real prompt"),
            "the presenter shows the step's talking points"
        );

        // A: the audience window opens; it shows the step and its terminal, nothing else.
        app.press_char('a').await?;
        let audience = app.wait_for_new_window(&presenter, WINDOW_TIMEOUT).await?;
        app.switch_to(&audience).await?;
        app.wait_ready().await?;
        app.wait_for(
            "the audience to show the step and its terminal",
            "document.getElementById('audience-title').innerText === 'Set the Stage' && \
             window.__cuedeckAudience.read('main').includes('/tmp/cuedeck-tour')",
            STEP_TIMEOUT,
        )
        .await?;
        app.wait_for(
            "the masked token in the audience's terminal",
            "window.__cuedeckAudience.read('main').includes('API token: ******************')",
            UI_TIMEOUT,
        )
        .await?;
        let seen = app
            .js("return document.body.innerText + '\\n' + window.__cuedeckAudience.read('main');")
            .await?;
        let seen = seen.as_str().unwrap_or_default();
        for hidden in [
            SECRET,
            "Each block runs at a real prompt",           // talking point
            "A runbook is the demo",                     // the pitch
            "Pre-flight",                                 // presenter panels
            "PLAYBACK",
        ] {
            ensure!(!seen.contains(hidden), "the audience window shows {hidden:?}:\n{seen}");
        }
        app.screenshot("stage-audience").await?;

        // PageDown in the presenter's window: the step's next block runs, then the show moves on.
        app.switch_to(&presenter).await?;
        app.press(Key::PageDown).await?;
        app.wait_for("the second block", &status_is("write-notes", &["ok"]), STEP_TIMEOUT)
            .await?;
        app.press(Key::PageDown).await?;
        app.wait_for(
            "the presenter on the next step",
            "document.getElementById('step-title').innerText === 'Start the Service'",
            UI_TIMEOUT,
        )
        .await?;
        app.switch_to(&audience).await?;
        app.wait_for(
            "the audience on the next step",
            "document.getElementById('audience-title').innerText === 'Start the Service'",
            UI_TIMEOUT,
        )
        .await?;
        // Its content, no notes: the expectation and talking points stay with the presenter.
        let seen = app.js("return document.body.innerText;").await?;
        let seen = seen.as_str().unwrap_or_default();
        ensure!(seen.contains("cuedeck demo-service --port 7878"), "the audience shows the step's block:\n{seen}");
        for hidden in ["You should see", "The service runs in its own terminal", "Talking Points"] {
            ensure!(!seen.contains(hidden), "the audience window shows {hidden:?}:\n{seen}");
        }

        // B blanks the audience, again restores it.
        app.switch_to(&presenter).await?;
        app.press_char('b').await?;
        app.switch_to(&audience).await?;
        app.wait_for("a black audience", "!document.getElementById('blank').hidden", UI_TIMEOUT)
            .await?;
        app.screenshot("stage-audience-blanked").await?;
        app.switch_to(&presenter).await?;
        app.press_char('b').await?;
        app.switch_to(&audience).await?;
        app.wait_for("the audience back", "document.getElementById('blank').hidden", UI_TIMEOUT)
            .await?;

        // The clock started at the first step change: both windows show the same time.
        let audience_clock = app.js("return window.__cuedeckAudience.clock();").await?;
        app.switch_to(&presenter).await?;
        let presenter_clock = app.js("return window.__cuedeckClock.read();").await?;
        ensure!(presenter_clock["running"] == Value::Bool(true), "the clock runs: {presenter_clock}");
        let drift = (clock_origin(&audience_clock)? - clock_origin(&presenter_clock)?).abs();
        ensure!(
            drift <= CLOCK_AGREEMENT_MS,
            "the windows' clocks differ by {drift} ms: presenter {presenter_clock}, audience {audience_clock}"
        );

        // A reloaded audience window comes back on the same step with the same clock.
        app.switch_to(&audience).await?;
        app.js("location.reload(); return true;").await?;
        app.wait_ready().await?;
        app.wait_for(
            "the reloaded audience on the same step",
            "document.getElementById('audience-title').innerText === 'Start the Service'",
            UI_TIMEOUT,
        )
        .await?;
        let reloaded = app.js("return window.__cuedeckAudience.clock();").await?;
        let drift = (clock_origin(&reloaded)? - clock_origin(&presenter_clock)?).abs();
        ensure!(
            drift <= CLOCK_AGREEMENT_MS,
            "after a reload the clocks differ by {drift} ms: {reloaded} vs {presenter_clock}"
        );
        app.switch_to(&presenter).await?;

        // The notes zoom on their own; the clock resets only once confirmed.
        app.chord(&[Key::Control, Key::Alt], '=').await?;
        app.wait_for(
            "the notes bigger",
            "document.getElementById('presenter-scroll').dataset.zoom === '1.1'",
            UI_TIMEOUT,
        )
        .await?;
        app.chord(&[Key::Shift], 'T').await?;
        app.wait_for("the reset to ask first", "!document.getElementById('clock-confirm').hidden", UI_TIMEOUT)
            .await?;
        app.click("#clock-confirm-keep").await?;
        let kept = app.js("return window.__cuedeckClock.read();").await?;
        ensure!(kept["running"] == Value::Bool(true), "keeping the clock keeps it running: {kept}");
        app.chord(&[Key::Shift], 'T').await?;
        app.click("#clock-confirm-reset").await?;
        app.wait_for(
            "the clock reset",
            "window.__cuedeckClock.read().talkMs === 0 && !window.__cuedeckClock.read().running",
            UI_TIMEOUT,
        )
        .await?;
        app.screenshot("stage-presenter").await.map(drop)
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The statuses of the current step's runnable blocks, as `[[id, state], ...]`.
const STEP_STATUSES: &str =
    "[...document.querySelectorAll('#step-body .cue-block[data-block] .status')]\
     .map(s => [s.closest('.cue-block').dataset.block, s.dataset.status])";

const ACTIVE: &[&str] = &["running", "gated", "waiting"];

#[tokio::test]
async fn the_advance_key_alone_drives_the_whole_tour() -> Result<()> {
    let test = "the_advance_key_alone_drives_the_whole_tour";
    let Some(env) = Env::or_skip(test) else {
        return Ok(());
    };
    let (dir, runbook) = tour_copy("advance")?;
    let result = with_app(&env, "advance", &runbook, async |app| {
        app.wait_ready().await?;
        let steps = app
            .js("return [...document.querySelectorAll('#steps li.step')].map(li => li.dataset.stepId);")
            .await?;
        let steps: Vec<String> = serde_json::from_value(steps)?;
        let last = steps.last().cloned().context("the tour has steps")?;
        let mut ran: Vec<(String, String)> = Vec::new();
        let mut visited: Vec<String> = Vec::new();
        let mut presses = 0;
        loop {
            // Settle: nothing of the step still runs (advance would wait for it).
            let settled = format!(
                "{STEP_STATUSES}.every(([_, s]) => !{ACTIVE:?}.includes(s))"
            );
            app.wait_for("the step's blocks to settle", &settled, STEP_TIMEOUT).await?;
            let before_step = app.current_step().await?;
            if let Some(id) = &before_step {
                if visited.last() != Some(id) {
                    visited.push(id.clone());
                }
            }
            let before: Vec<(String, String)> =
                serde_json::from_value(app.js(&format!("return {STEP_STATUSES};")).await?)?;
            let idle = before.iter().any(|(_, s)| s == "idle");
            if before_step.as_deref() == Some(last.as_str()) && !idle {
                ran.extend(before);
                break;
            }
            app.press(Key::PageDown).await?;
            presses += 1;
            ensure!(presses < 200, "the advance key did not reach the end");
            if idle {
                // The next idle block starts (its badge leaves idle).
                let first_idle = before.iter().find(|(_, s)| s == "idle").map(|(id, _)| id.clone()).unwrap_or_default();
                app.wait_for(
                    &format!("block {first_idle} to start"),
                    &format!("!{}", status_is(&first_idle, &["idle"])),
                    STEP_TIMEOUT,
                )
                .await?;
            } else {
                ran.extend(before);
                app.wait_for(
                    "the next step",
                    &format!("{CURRENT_STEP} !== {:?}", before_step.unwrap_or_default()),
                    UI_TIMEOUT,
                )
                .await?;
            }
        }
        // Every block of the tour ran, in order, and did what it should.
        for (id, state) in &ran {
            let expected: &[&str] = if id == "fail-on-purpose" { &["failed"] } else { &["ok", "ready"] };
            ensure!(expected.contains(&state.as_str()), "block {id} ended {state}; all: {ran:?}");
        }
        ensure!(visited == steps, "steps shown {visited:?}, the tour's {steps:?}");
        ensure!(ran.len() >= 15, "only {} blocks ran: {ran:?}", ran.len());
        app.screenshot("advance-end").await.map(drop)
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
