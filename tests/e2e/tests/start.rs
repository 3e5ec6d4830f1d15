//! The first run: the app opened with no runbook shows its start page (the runbook
//! opened last at the top, Open…, the tour, About) in the window where it was last, and
//! the audience window opens where it was last too.

use anyhow::{ensure, Context, Result};
use cuedeck_e2e::{
    fixture_copy, prefs_store, take_the_tour, visible_js, with_app, with_start_page, App, Env,
    UI_TIMEOUT,
};
use std::time::{Duration, Instant};

/// Where the first session puts the presenter's window; the second must open there.
const PLACE: (i64, i64, i64, i64) = (64, 48, 1200, 760);
/// The same for the audience window (the display has one monitor, so it stays there).
const AUDIENCE_PLACE: (i64, i64, i64, i64) = (1180, 560, 720, 480);

#[tokio::test]
async fn the_start_page_shows_the_last_runbook_in_the_last_place_and_opens_the_tour() -> Result<()>
{
    let Some(env) = Env::or_skip("start page") else {
        return Ok(());
    };
    let (dir, runbook) = fixture_copy("start-page", "e2e-basic.md")?;
    // A full list, as after a season of talks (and after the other e2e tests), whether this
    // test runs alone or after them: the page scrolls, and its buttons must still work.
    prefs_store()?
        .update(|p| {
            for i in 0..11 {
                p.recent.push(cuedeck_core::prefs::RecentRunbook {
                    path: dir.join(format!("moved-away-{i}.md")),
                    title: format!("A talk given before ({i})"),
                    opened_unix: 1_700_000_000 + i,
                });
            }
        })
        .context("filling the recent list")?;
    let result = remember_then_start(&env, &runbook).await;
    let _ = std::fs::remove_dir_all(&dir);
    // The next tests' windows open at the default size, not at this test's.
    forget_window_places()?;
    result
}

async fn remember_then_start(env: &Env, runbook: &std::path::Path) -> Result<()> {
    with_app(env, "start-first-session", runbook, async |app| {
        app.wait_ready().await?;
        place(app, "main", PLACE).await?;
        app.open_audience().await?;
        place(app, "audience", AUDIENCE_PLACE).await
    })
    .await?;

    with_start_page(env, "start-page", async |app| {
        app.wait_ready().await?;
        is_placed(app, "the presenter's window", PLACE).await?;
        app.wait_for(
            "the recent list",
            "document.querySelector('#recent-list .recent-open') !== null",
            UI_TIMEOUT,
        )
        .await?;
        let first = app
            .js("return document.querySelector('#recent-list .recent-open').title")
            .await?;
        ensure!(
            first.as_str() == Some(&runbook.display().to_string()),
            "the runbook opened last is first in the list, not {first}"
        );
        app.screenshot("start-page").await?;
        about_names_the_version(app).await?;

        let copy = take_the_tour(app).await?;
        let recent = prefs_store()?.load().recent;
        ensure!(
            recent.first().map(|r| r.path.as_path()) == Some(copy.as_path()),
            "the tour's working copy ({}) is now the runbook opened last: {recent:?}",
            copy.display()
        );

        app.open_audience().await?;
        is_placed(app, "the audience window", AUDIENCE_PLACE).await
    })
    .await
}

/// Moves and resizes the window being driven, and waits until the app has kept it.
async fn place(app: &App, label: &str, (x, y, w, h): (i64, i64, i64, i64)) -> Result<()> {
    app.client()
        .set_window_rect(x as u32, y as u32, w as u32, h as u32)
        .await
        .with_context(|| format!("moving and resizing the {label} window"))?;
    wait_until_kept(label, w, h).await
}

/// The window being driven is at `want` (within a few pixels).
async fn is_placed(app: &App, what: &str, want: (i64, i64, i64, i64)) -> Result<()> {
    let rect = app.client().get_window_rect().await?;
    let got = (rect.0 as i64, rect.1 as i64, rect.2 as i64, rect.3 as i64);
    let near = |a: i64, b: i64| (a - b).abs() <= 8;
    ensure!(
        near(got.0, want.0) && near(got.1, want.1) && near(got.2, want.2) && near(got.3, want.3),
        "{what} opens where it was last ({want:?}), not at {got:?}"
    );
    Ok(())
}

async fn about_names_the_version(app: &App) -> Result<()> {
    app.click("#start-about").await?;
    app.wait_for("the About dialog", &visible_js("#about"), UI_TIMEOUT)
        .await?;
    let text = app.text("#about").await?;
    ensure!(
        text.contains(&format!("Cuedeck {}", env!("CARGO_PKG_VERSION")))
            && text.contains("WebKitGTK"),
        "About names Cuedeck's version and the webview's:\n{text}"
    );
    app.click("#about .about-close").await?;
    app.wait_for(
        "the About dialog to close",
        "document.getElementById('about').hidden",
        UI_TIMEOUT,
    )
    .await
    .map(drop)
}

/// Waits until the app has written the window's new size to its preferences.
async fn wait_until_kept(label: &str, width: i64, height: i64) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let kept = prefs_store()?.load().windows.get(label).cloned();
        if kept
            .as_ref()
            .is_some_and(|p| i64::from(p.width) == width && i64::from(p.height) == height)
        {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "the {label} window's placement was not kept within 10 s: {kept:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn forget_window_places() -> Result<()> {
    prefs_store()?
        .update(|p| p.windows.clear())
        .context("forgetting the windows' placements")?;
    Ok(())
}
