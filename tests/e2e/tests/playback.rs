//! Rehearsal and fallback on our own tour, in the real window: "Rehearse all"
//! records every step; with the demo service stopped, "Ask the Service" fails at its
//! gate; P plays its recording into the same terminal (the recorded answer appears,
//! the presenter sees the playback badge, the `demo` light replays green); then
//! editing the step's command flags its recording stale.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use cuedeck_e2e::{light_is, status_is, tour_copy, with_app, App, Env, UI_TIMEOUT};

/// Shells start, the service builds its listener, nine steps run.
const REHEARSAL_TIMEOUT: Duration = Duration::from_secs(120);
/// The tour's `ask-health` gate waits 10 s for the service.
const GATE_TIMEOUT: Duration = Duration::from_secs(30);
/// The bar: from the fallback key to recorded output on screen.
const FALLBACK_LIMIT: Duration = Duration::from_secs(1);
const STEP: &str = "ask-the-service";

/// How many times `needle` is in terminal `name`'s buffer.
fn count_in_terminal(name: &str, needle: &str) -> String {
    format!("window.__cuedeckTerminals.read({name:?}).split({needle:?}).length - 1")
}

#[tokio::test]
async fn a_failed_step_falls_back_to_its_recording_with_its_lights() -> Result<()> {
    let Some(env) = Env::or_skip("a_failed_step_falls_back_to_its_recording_with_its_lights")
    else {
        return Ok(());
    };
    let (dir, runbook) = tour_copy("playback")?;
    let result = with_app(&env, "playback", &runbook, async |app| {
        app.wait_ready().await?;
        rehearse_all(app).await?;
        stop_the_service(app).await?;
        fail_then_fall_back(app).await?;
        edit_makes_stale(app, &runbook).await
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn rehearse_all(app: &App) -> Result<()> {
    app.click("#rehearse-all").await?;
    let recorded =
        format!("window.__cuedeckShow.recordings().some(r => r.stepId === {STEP:?} && !r.stale)");
    app.wait_for("the rehearsal's recordings", &recorded, REHEARSAL_TIMEOUT)
        .await?;
    app.wait_for(
        "the recording mark in the step list",
        &format!("document.querySelector('#steps li[data-step-id={STEP:?}] .rec-mark') !== null"),
        UI_TIMEOUT,
    )
    .await?;
    app.wait_for(
        "the demo light, live",
        &light_is("demo", "up"),
        GATE_TIMEOUT,
    )
    .await?;
    Ok(())
}

/// The rehearsal left the demo service running in terminal `service`: Ctrl+. with
/// that terminal shown stops it, as the presenter would.
async fn stop_the_service(app: &App) -> Result<()> {
    app.click(".terminal-tab[data-terminal=\"service\"]")
        .await?;
    app.ctrl('.').await?;
    app.wait_for(
        "the demo light to go red",
        &light_is("demo", "down"),
        GATE_TIMEOUT,
    )
    .await?;
    Ok(())
}

async fn fail_then_fall_back(app: &App) -> Result<()> {
    app.go_to_step(STEP).await?;
    let answer = "\"status\":\"ok\"";
    let before = app
        .js(&format!("return {};", count_in_terminal("main", answer)))
        .await?;
    let before = before.as_u64().context("terminal text count")?;
    app.click(".cue-block[data-block=\"ask-health\"] button.run")
        .await?;
    app.wait_for(
        "the gate to give up on the stopped service",
        &status_is("ask-health", &["timedOut"]),
        GATE_TIMEOUT,
    )
    .await?;
    app.wait_for(
        "the fallback offer",
        "!document.getElementById('fallback').hidden",
        UI_TIMEOUT,
    )
    .await?;
    app.screenshot("playback-offer").await?;

    let pressed = Instant::now();
    app.press_char('p').await?;
    app.wait_for(
        "the recorded answer in the main terminal",
        &format!("{} > {before}", count_in_terminal("main", answer)),
        Duration::from_secs(10),
    )
    .await?;
    let took = pressed.elapsed();
    let line = format!("fallback: recorded output on screen {took:?} after the key\n");
    eprint!("{line}");
    std::fs::create_dir_all(&app.env.artifacts)?;
    std::fs::write(app.env.artifacts.join("playback-timing.txt"), line)?;
    ensure!(
        took < FALLBACK_LIMIT,
        "recorded output took {took:?} (limit {FALLBACK_LIMIT:?})"
    );
    ensure!(
        app.visible("#playback-badge").await?,
        "no playback badge while playing"
    );
    app.wait_for(
        "the demo light to replay green",
        &light_is("demo", "up"),
        UI_TIMEOUT,
    )
    .await?;
    app.wait_for(
        "the played badge",
        &status_is("ask-health", &["played"]),
        UI_TIMEOUT,
    )
    .await?;
    // The presenter switched tabs to stop the service: the main terminal, shown again
    // for the playback, must show its newest lines, not where it was left.
    app.wait_for(
        "the main terminal at its newest line",
        "window.__cuedeckTerminals.atBottom('main')",
        UI_TIMEOUT,
    )
    .await?;
    ensure!(
        app.visible("#playback-badge").await?,
        "the playback badge went away after the step played"
    );
    app.screenshot("playback-fallback").await?;
    Ok(())
}

/// Editing the step's command flags its recording stale in the step list.
async fn edit_makes_stale(app: &App, runbook: &Path) -> Result<()> {
    let text = std::fs::read_to_string(runbook)?;
    let edited = text.replacen(
        "curl -s http://127.0.0.1:7878/health",
        "curl -sS http://127.0.0.1:7878/health",
        1,
    );
    ensure!(edited != text, "the tour's health check was not found");
    std::fs::write(runbook, edited)?;
    app.wait_for(
        "the stale mark",
        &format!(
            "document.querySelector('#steps li[data-step-id={STEP:?}] .rec-mark.stale') !== null"
        ),
        GATE_TIMEOUT,
    )
    .await?;
    app.screenshot("playback-stale").await?;
    Ok(())
}
