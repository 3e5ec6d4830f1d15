//! The health bar and charts on our own tour: the demo service started from its step
//! turns its light green, stopping it turns it red within two probe intervals,
//! starting it again turns it green, and a chart's points grow while load runs.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use cuedeck_e2e::{light_is, status_is, with_app, App, Env, UI_TIMEOUT};
use fantoccini::key::Key;

/// A shell starts, the service builds its listener and answers its first probe.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The tour probes the demo service every second.
const PROBE_INTERVAL: Duration = Duration::from_secs(1);

fn tour() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../runbooks/tour.md")
}

/// The id of the block on screen whose source contains `text`, if any.
async fn block_with(app: &App, text: &str) -> Result<Option<String>> {
    let script = format!(
        "const b = [...document.querySelectorAll('.cue-block[data-block]')]\
         .find(el => el.querySelector('pre') && el.querySelector('pre').innerText.includes({text:?})); \
         return b ? b.dataset.block : null;"
    );
    Ok(app.js(&script).await?.as_str().map(str::to_string))
}

/// Moves down the steps (as the presenter does, with the keyboard) until a block
/// containing `text` is shown; returns its id.
async fn go_to_block(app: &App, text: &str) -> Result<String> {
    for _ in 0..60 {
        if let Some(id) = block_with(app, text).await? {
            return Ok(id);
        }
        app.next_step()
            .await
            .with_context(|| format!("no block containing {text:?} in the tour"))?;
    }
    anyhow::bail!("no block containing {text:?} in the tour")
}

async fn click(app: &App, block: &str, button: &str) -> Result<()> {
    app.click(&format!(
        ".cue-block[data-block=\"{block}\"] button.{button}"
    ))
    .await
}

/// The request-rate chart of the tour's Prometheus source (a counter charted as a
/// rate, so it only has points while requests come in).
const RATE_CHART: &str = "demo/demo_requests_total{route=\"/work\"}";

/// Points held by the chart of `series` (0 while it has none).
async fn chart_points(app: &App, series: &str) -> Result<u64> {
    let v = app.js(&chart_points_js(series)).await?;
    Ok(v.as_u64().unwrap_or(0))
}

fn chart_points_js(series: &str) -> String {
    format!(
        "return (() => {{ const c = [...document.querySelectorAll('.chart[data-series]')]\
         .find(el => el.dataset.series === {series:?}); return c ? Number(c.dataset.points) : 0; }})();"
    )
}

#[tokio::test]
async fn the_demo_service_light_follows_the_service_and_charts_move_under_load() -> Result<()> {
    let Some(env) =
        Env::or_skip("the_demo_service_light_follows_the_service_and_charts_move_under_load")
    else {
        return Ok(());
    };
    with_app(&env, "health", &tour(), async |app| {
        app.wait_ready().await?;
        app.wait_for(
            "the demo service's light",
            &light_is("demo", "down"),
            START_TIMEOUT,
        )
        .await?;

        // Pre-flight before the show: the port the tour binds is free, curl is there,
        // the service is down now but a step starts it, the font is ticked by hand.
        app.click("#preflight-button").await?;
        let row = |kind: &str, subject: &str, status: &str| {
            format!(
                "[...document.querySelectorAll('#preflight-list .preflight-item')].some(li => \
                 li.dataset.kind === '{kind}' && li.dataset.status === '{status}' && \
                 li.querySelector('.subject').innerText === {subject:?})"
            )
        };
        for (kind, subject, status) in [
            ("port", "7878", "ok"),
            ("tool", "curl", "ok"),
            ("service", "demo", "later"),
            (
                "checklist",
                "Terminal font large enough for the back row",
                "manual",
            ),
        ] {
            app.wait_for(
                &format!("pre-flight row {kind} {subject} {status}"),
                &row(kind, subject, status),
                START_TIMEOUT,
            )
            .await?;
        }
        app.screenshot("preflight").await?;
        app.press(Key::Escape).await?;
        app.wait_for(
            "pre-flight to close",
            "document.getElementById('preflight').hidden",
            UI_TIMEOUT,
        )
        .await?;

        let server = go_to_block(app, "cuedeck demo-service").await?;
        click(app, &server, "run").await?;
        app.wait_for(
            "the light to turn green",
            &light_is("demo", "up"),
            START_TIMEOUT,
        )
        .await?;
        app.screenshot("health-up").await?;

        // Killing the service: the light turns red within two probe intervals.
        click(app, &server, "stop").await?;
        app.wait_for(
            "the server block to stop",
            &status_is(&server, &["stopped", "failed"]),
            START_TIMEOUT,
        )
        .await?;
        let stopped = Instant::now();
        app.wait_for(
            "the light to turn red",
            &light_is("demo", "down"),
            2 * PROBE_INTERVAL + Duration::from_millis(500),
        )
        .await?;
        let took = stopped.elapsed();
        eprintln!("light red {took:?} after the service stopped");
        app.screenshot("health-down").await?;

        click(app, &server, "run").await?;
        app.wait_for(
            "the light to turn green again",
            &light_is("demo", "up"),
            START_TIMEOUT,
        )
        .await?;

        // Load: the request-rate chart appears and gains points while the loop runs.
        let load = go_to_block(app, "while true").await?;
        click(app, &load, "run").await?;
        let has_points = |n: u64| {
            let script = chart_points_js(RATE_CHART);
            let body = script.trim_start_matches("return ");
            format!("({}) > {n}", body.trim_end_matches(';'))
        };
        app.wait_for("the request-rate chart", &has_points(1), START_TIMEOUT)
            .await?;
        let before = chart_points(app, RATE_CHART).await?;
        app.wait_for(
            "the chart to gain points",
            &has_points(before),
            Duration::from_secs(10),
        )
        .await?;
        let after = chart_points(app, RATE_CHART).await?;
        ensure!(
            after > before,
            "chart points did not grow: {before} -> {after}"
        );
        app.screenshot("health-charts").await?;
        click(app, &load, "stop").await?;
        // The service's step is no longer on screen: closing the app stops it (the
        // e2e stage checks that no `cuedeck` process is left).
        Ok(())
    })
    .await
}

/// The pre-flight row of the checklist item `subject`, as a JS expression.
fn preflight_row(subject: &str) -> String {
    format!(
        "[...document.querySelectorAll('#preflight-list .preflight-item')]\
         .find(li => li.querySelector('.subject').innerText === {subject:?})"
    )
}

#[tokio::test]
async fn a_checklist_items_command_runs_from_the_preflight_panel_and_ticks_it() -> Result<()> {
    let Some(env) =
        Env::or_skip("a_checklist_items_command_runs_from_the_preflight_panel_and_ticks_it")
    else {
        return Ok(());
    };
    let (dir, runbook) = cuedeck_e2e::fixture_copy("preflight-run", "preflight-run.md")?;
    let result = with_app(&env, "preflight-run", &runbook, async |app| {
        app.wait_ready().await?;
        app.click("#preflight-button").await?;
        let passing = preflight_row("The scratch folder exists");
        let failing = preflight_row("The demo's config is in place");
        let by_hand = preflight_row("Water on the lectern");
        app.wait_for(
            "three checklist rows to tick",
            &format!(
                "[{passing}, {failing}, {by_hand}].every(li => li && li.dataset.status === 'manual')"
            ),
            START_TIMEOUT,
        )
        .await?;
        // Only the items with a command under them can be run.
        let runs = app
            .js(&format!(
                "return [{passing}, {failing}, {by_hand}].map(li => !!li.querySelector('button.preflight-run'));"
            ))
            .await?;
        ensure!(
            runs == serde_json::json!([true, true, false]),
            "Run buttons on the rows: {runs}"
        );
        ensure!(
            app.text("#preflight-button").await? == "Pre-flight: 3 to tick",
            "the counter before any run"
        );

        app.js(&format!(
            "{passing}.querySelector('button.preflight-run').click(); return null;"
        ))
        .await?;
        app.wait_for(
            "the passing item to be ticked",
            &format!(
                "(() => {{ const li = {passing}; return li.dataset.status === 'ok' && \
                 li.querySelector('input[type=checkbox]').checked; }})()"
            ),
            START_TIMEOUT,
        )
        .await?;
        app.wait_for(
            "the counter to go down",
            "document.getElementById('preflight-button').innerText === 'Pre-flight: 2 to tick'",
            UI_TIMEOUT,
        )
        .await?;

        app.js(&format!(
            "{failing}.querySelector('button.preflight-run').click(); return null;"
        ))
        .await?;
        app.wait_for(
            "the failing item to turn red with its exit code",
            &format!(
                "(() => {{ const li = {failing}; return li.dataset.status === 'missing' && \
                 li.querySelector('.detail').innerText.includes('exit 1') && \
                 !li.querySelector('input[type=checkbox]').checked; }})()"
            ),
            START_TIMEOUT,
        )
        .await?;
        let counter = app.text("#preflight-button").await?;
        ensure!(
            counter == "Pre-flight: 2 to tick",
            "a failed check stays to tick: {counter:?}"
        );
        app.screenshot("preflight-run").await?;
        Ok(())
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
