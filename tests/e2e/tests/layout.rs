//! Layout for real rooms: the presenter's top bar stays on one line, every label
//! whole, at 1280x720 and 1920x1080 with no service and with eight (which fold into
//! one summary light); the audience's terminal shows its 100 columns whole, in a
//! font that grows with the screen, at 1024x768 and 1920x1080; both windows draw their
//! text in the fonts the app ships.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use cuedeck_e2e::{fixture, status_is, with_app, App, Env, UI_TIMEOUT};
use fantoccini::key::Key;

const WINDOW_TIMEOUT: Duration = Duration::from_secs(30);
const STEP_TIMEOUT: Duration = Duration::from_secs(40);

/// Resizes the window being driven and waits until its page has that width.
async fn resize(app: &App, width: u32, height: u32) -> Result<()> {
    app.client()
        .set_window_size(width, height)
        .await
        .with_context(|| format!("resizing the window to {width}x{height}"))?;
    app.wait_for(
        &format!("the page at {width}x{height}"),
        &format!("Math.abs(window.innerWidth - {width}) <= 16 && Math.abs(window.innerHeight - {height}) <= 60"),
        UI_TIMEOUT,
    )
    .await
    .map(drop)
}

/// Every visible control of the top bar: on one line, inside the bar, its text whole; no
/// light clipped by the row of lights; the title cut only once the bar is compact.
const TOP_BAR_PROBLEMS: &str = r#"(() => {
  const bar = document.getElementById('topbar');
  const box = bar.getBoundingClientRect();
  const problems = [];
  const title = document.getElementById('runbook-title');
  if (title.scrollWidth > title.clientWidth + 1 && !bar.classList.contains('compact'))
    problems.push('the title is cut while the labels are full');
  const lights = document.getElementById('health');
  if (!lights.closest('#health-wrap.collapsed') && lights.getClientRects().length > 0) {
    const row = lights.getBoundingClientRect();
    for (const l of lights.querySelectorAll('.light')) {
      const r = l.getBoundingClientRect();
      if (r.left < row.left - 1 || r.right > row.right + 1) problems.push(`light ${l.dataset.service} is clipped`);
    }
  }
  if (bar.scrollWidth > bar.clientWidth + 1) problems.push(`the bar overflows: ${bar.scrollWidth} > ${bar.clientWidth}`);
  const items = [...bar.querySelectorAll('button, select, h1, #step-counter, .light')]
    .filter(el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')
    .filter(el => !el.closest('#health-wrap.collapsed #health'));
  for (const el of items) {
    const r = el.getBoundingClientRect();
    const name = el.id || el.className || el.tagName;
    if (r.right > box.right + 1 || r.left < box.left - 1) problems.push(`${name} is outside the bar`);
    if (r.top > box.top + box.height / 2 || r.bottom < box.top + box.height / 2) problems.push(`${name} is not on the bar's line`);
    if (el.tagName !== 'H1' && el.scrollWidth > el.clientWidth + 1) problems.push(`${name} cuts its label`);
  }
  return problems;
})()"#;

/// The window's text is drawn in the app's own faces (`ui/src/shared/fonts.css`), loaded
/// from the app, not in whatever the system would substitute: both faces in use and
/// loaded, and the page's text in Inter.
async fn bundled_fonts_drawn(app: &App, window: &str) -> Result<()> {
    app.wait_for(
        &format!("the {window} window's text in the bundled fonts"),
        "document.fonts.status === 'loaded' \
         && ['Inter Variable', 'JetBrains Mono Variable'].every(name => [...document.fonts] \
              .some(f => f.family.replace(/\"/g, '') === name && f.status === 'loaded')) \
         && getComputedStyle(document.body).fontFamily.replace(/\"/g, '').startsWith('Inter Variable')",
        UI_TIMEOUT,
    )
    .await
    .map(drop)
}

async fn top_bar_problems(app: &App) -> Result<Vec<String>> {
    let v = app.js(&format!("return {TOP_BAR_PROBLEMS};")).await?;
    Ok(serde_json::from_value(v)?)
}

#[tokio::test]
async fn the_top_bar_stays_on_one_line_with_no_service_with_eight_and_with_everything() -> Result<()>
{
    let test = "the_top_bar_stays_on_one_line_with_no_service_with_eight_and_with_everything";
    let Some(env) = Env::or_skip(test) else {
        return Ok(());
    };
    for (runbook, services) in [
        ("e2e-basic.md", 0),
        ("eight-services.md", 8),
        ("busy-topbar.md", 1),
    ] {
        with_app(&env, &format!("layout-{services}"), &fixture(runbook), async |app| {
            app.wait_ready().await?;
            bundled_fonts_drawn(app, "presenter").await?;
            // 1440: wide enough for full labels by width alone, not with a pre-flight
            // button, a light and a long title.
            for (w, h) in [(1280, 720), (1440, 900), (1920, 1080)] {
                resize(app, w, h).await?;
                // The lights settle (they fold once they are drawn).
                app.wait_for(
                    "the lights drawn",
                    &format!("document.querySelectorAll('#health .light').length === {services}"),
                    UI_TIMEOUT,
                )
                .await?;
                if runbook == "busy-topbar.md" {
                    app.wait_for(
                        "the pre-flight button",
                        "!document.getElementById('preflight-button').hidden",
                        UI_TIMEOUT,
                    )
                    .await?;
                }
                // The bar refits on the frame after a change.
                app.painted().await?;
                let problems = top_bar_problems(app).await?;
                ensure!(problems.is_empty(), "{services} services at {w}x{h}: {problems:?}");
                app.screenshot(&format!("layout-{services}-{w}x{h}")).await?;
            }
            if services == 8 {
                // At 1280 the eight fold into one summary light whose popover lists them.
                resize(app, 1280, 720).await?;
                app.wait_for("the summary light", "!document.getElementById('health-summary').hidden", UI_TIMEOUT)
                    .await?;
                app.click("#health-summary").await?;
                app.wait_for(
                    "the popover's eight lights",
                    "[...document.querySelectorAll('#health .light')].filter(l => l.getClientRects().length > 0).length === 8",
                    UI_TIMEOUT,
                )
                .await?;
            }
            Ok(())
        })
        .await?;
    }
    Ok(())
}

#[tokio::test]
async fn the_audience_terminal_shows_its_columns_whole_at_every_size() -> Result<()> {
    let test = "the_audience_terminal_shows_its_columns_whole_at_every_size";
    let Some(env) = Env::or_skip(test) else {
        return Ok(());
    };
    with_app(
        &env,
        "layout-audience",
        &fixture("eight-services.md"),
        async |app| {
            app.wait_ready().await?;
            let presenter = app.window().await?;
            app.press(Key::Enter).await?;
            let block = app
                .js("return document.querySelector('.cue-block[data-block]').dataset.block;")
                .await?;
            let block = block.as_str().context("the step's block")?.to_owned();
            app.wait_for("the ruler", &status_is(&block, &["ok"]), STEP_TIMEOUT)
                .await?;
            app.press_char('a').await?;
            let audience = app.wait_for_new_window(&presenter, WINDOW_TIMEOUT).await?;
            app.switch_to(&audience).await?;
            app.wait_ready().await?;
            bundled_fonts_drawn(app, "audience").await?;
            for (w, h) in [(1024, 768), (1920, 1080)] {
            resize(app, w, h).await?;
            // Readable from the back: 100 columns across, whole, in a font that grows
            // with the screen (a cell is about 0.6 of the font size wide).
            let least = f64::from(w) / 100.0 * 1.2;
            let grid = app
                .wait_for(
                    &format!("the terminal sized for the room at {w}x{h}"),
                    &format!(
                        "(() => {{ const g = window.__cuedeckAudience.grid('main'); \
                         return g && g.cols === 100 && g.fits && g.fontSize >= {least} ? g : null; }})()"
                    ),
                    UI_TIMEOUT,
                )
                .await?;
            ensure!(grid["rows"].as_u64().unwrap_or(0) >= 10, "{w}x{h}: {grid}");
            app.screenshot(&format!("layout-audience-{w}x{h}")).await?;
            }
            Ok(())
        },
    )
    .await
}
