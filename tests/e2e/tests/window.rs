//! The real app window, driven through tauri-driver + WebKitWebDriver.
//! Run by `cargo xtask test` / `cargo xtask e2e`; skipped (with a message) otherwise.

use anyhow::{ensure, Context, Result};
use cuedeck_e2e::{fixture, visible_js, with_app, App, Env, READY_TIMEOUT, UI_TIMEOUT};
use fantoccini::key::Key;
use serde_json::Value;
use std::path::Path;

/// What the window shows of the current step.
#[derive(Debug)]
struct Current {
    count: usize,
    index: i64,
    id: String,
    li_text: String,
    title: String,
    notes: String,
    qa: String,
    expectations: String,
}

const CURRENT_JS: &str = r#"
const steps = [...document.querySelectorAll('#steps li.step')];
const i = steps.findIndex(s => s.getAttribute('aria-current') === 'step');
const text = css => { const e = document.querySelector(css); return e ? e.innerText.trim() : ''; };
return {
  count: steps.length,
  index: i,
  id: i >= 0 ? (steps[i].dataset.stepId || '') : '',
  li_text: i >= 0 ? steps[i].innerText.trim() : '',
  title: text('#step-title'),
  notes: text('#notes'),
  qa: text('#qa'),
  expectations: text('#expectations'),
};
"#;

async fn current(app: &App) -> Result<Current> {
    let v = app.js(CURRENT_JS).await?;
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    Ok(Current {
        count: v["count"].as_u64().unwrap_or(0) as usize,
        index: v["index"].as_i64().unwrap_or(-1),
        id: s("id"),
        li_text: s("li_text"),
        title: s("title"),
        notes: s("notes"),
        qa: s("qa"),
        expectations: s("expectations"),
    })
}

fn current_index_is(i: i64) -> String {
    format!(
        "[...document.querySelectorAll('#steps li.step')].findIndex(s => s.getAttribute('aria-current') === 'step') === {i}"
    )
}

/// Each step of e2e-basic.md, by a word of its title, and what only its side panel shows.
const STEP_MARKERS: &[(&str, &str, &str)] = &[
    ("Step One", "#notes", "Alpha point"),
    ("Step Two", "#qa", "Bravo answer"),
    ("Step Three", "#notes", "Charlie point"),
    ("Step Four", "#notes", "Delta point"),
];

/// The shown step is consistent: its title is the highlighted entry's, and the side panels
/// hold its notes and no other step's.
fn check_step(c: &Current) -> Result<()> {
    let (name, _, _) = STEP_MARKERS
        .iter()
        .find(|(n, ..)| c.title.contains(n))
        .with_context(|| format!("#step-title {:?} names no step of the fixture", c.title))?;
    ensure!(
        c.li_text.contains(name),
        "the highlighted step {:?} is not the one in #step-title {:?}",
        c.li_text,
        c.title
    );
    ensure!(!c.id.is_empty(), "the current li.step has no data-step-id");
    for (other, panel, marker) in STEP_MARKERS {
        let text = if *panel == "#qa" { &c.qa } else { &c.notes };
        if other == name {
            ensure!(
                text.contains(marker),
                "{name}: {panel} should contain {marker:?}, got {text:?}"
            );
        } else {
            ensure!(
                !text.contains(marker),
                "{name}: {panel} shows {other}'s {marker:?}: {text:?}"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn keyboard_moves_between_steps_and_updates_side_panels() -> Result<()> {
    let Some(env) = Env::or_skip("keyboard_moves_between_steps_and_updates_side_panels") else {
        return Ok(());
    };
    with_app(&env, "basic", &fixture("e2e-basic.md"), async |app| {
        app.wait_ready().await?;
        app.wait_for("the first step to be current", &current_index_is(0), UI_TIMEOUT)
            .await?;
        // The title bar is native (set by the backend), not document.title.
        app.wait_for_window_title("E2E Basic Demo — Cuedeck", UI_TIMEOUT)
            .await?;
        ensure!(!app.visible("#error").await?, "#error is shown for a valid runbook");
        ensure!(!app.visible("#empty").await?, "the drop zone is shown over a runbook");

        let first = current(app).await?;
        ensure!(first.count >= 4, "expected the 4 steps of the fixture, got {first:?}");
        ensure!(first.title.contains("Step One"), "first step: {first:?}");
        check_step(&first)?;
        let blocks = app
            .js("return document.querySelectorAll('#step-body .cue-block[data-block] button.run').length")
            .await?;
        ensure!(
            blocks.as_u64().unwrap_or(0) >= 1,
            "step one's bash block has no Run button (got {blocks})"
        );
        app.screenshot("basic-1-first-step").await?;

        app.press(Key::Down).await?;
        app.wait_for("Down to select step 2", &current_index_is(1), UI_TIMEOUT).await?;
        let second = current(app).await?;
        ensure!(second.title.contains("Step Two"), "after Down: {second:?}");
        check_step(&second)?;
        ensure!(
            second.qa.contains("Why does the service start so fast?"),
            "the Q&A card's question is missing: {:?}",
            second.qa
        );
        ensure!(
            second.expectations.contains("service started"),
            "the expectation is missing: {:?}",
            second.expectations
        );
        ensure!(second.id != first.id, "data-step-id did not change");
        app.screenshot("basic-2-after-down").await?;

        // PageDown is the remote's advance: it runs the step's block first, then moves on.
        app.press(Key::PageDown).await?;
        app.wait_for(
            "PageDown to run step two's block",
            "document.querySelector('#step-body .cue-block .status').dataset.status === 'ok'",
            READY_TIMEOUT,
        )
        .await?;
        app.press(Key::PageDown).await?;
        app.wait_for(
            "PageDown to move forward",
            "[...document.querySelectorAll('#steps li.step')].findIndex(s => s.getAttribute('aria-current') === 'step') > 1",
            UI_TIMEOUT,
        )
        .await?;
        let third = current(app).await?;
        check_step(&third)?;

        app.press(Key::Up).await?;
        app.wait_for(
            "Up to move back one step",
            &current_index_is(third.index - 1),
            UI_TIMEOUT,
        )
        .await?;
        let back = current(app).await?;
        check_step(&back)?;
        let shot = app.screenshot("basic-3-after-pagedown-up").await?;
        let contrast = App::contrast(&shot)?;
        ensure!(contrast > 0.01, "{} looks blank (contrast {contrast})", shot.display());
        Ok(())
    })
    .await
}

/// Waits until the window shows something for a runbook that cannot be shown normally:
/// `#error` visible, or the app rendered. Fails on a blank window.
async fn wait_error_or_ready(app: &App) -> Result<Value> {
    app.wait_for(
        "#error to be shown or the app to render",
        &format!(
            "{} || document.body.dataset.ready === 'true'",
            visible_js("#error")
        ),
        READY_TIMEOUT,
    )
    .await
}

/// What an error must say about where: `NAME:LINE` or, for a file that cannot be decoded
/// at all, the byte offset.
#[derive(Clone, Copy, PartialEq)]
enum Where {
    Line,
    LineOrOffset,
    Nothing,
}

async fn expect_error_naming(app: &App, file: &Path, where_: Where) -> Result<String> {
    wait_error_or_ready(app).await?;
    app.wait_for("#error to be visible", &visible_js("#error"), UI_TIMEOUT)
        .await?;
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let text = app.text("#error").await?;
    ensure!(
        text.contains(&name),
        "#error does not name {name}: {text:?}"
    );
    let has_line = file_line(&text, &name);
    let has_offset = text.contains("offset ") && text.chars().any(|c| c.is_ascii_digit());
    match where_ {
        Where::Line => ensure!(has_line, "#error does not say {name}:LINE: {text:?}"),
        Where::LineOrOffset => ensure!(
            has_line || has_offset,
            "#error says neither {name}:LINE nor a byte offset: {text:?}"
        ),
        Where::Nothing => {}
    }
    let body = app.text("body").await?;
    ensure!(
        body.len() > text.len(),
        "the window shows nothing but the error: {body:?}"
    );
    Ok(text)
}

#[tokio::test]
async fn non_utf8_runbook_shows_error_not_blank_window() -> Result<()> {
    let Some(env) = Env::or_skip("non_utf8_runbook_shows_error_not_blank_window") else {
        return Ok(());
    };
    std::fs::create_dir_all(&env.artifacts)?;
    let file = env.artifacts.join("broken-non-utf8.md");
    std::fs::write(
        &file,
        b"# Latin-1 runbook\n\nCaf\xe9 \xff\xfe\n\n```bash\necho hi\n```\n",
    )?;
    with_app(&env, "non-utf8", &file, async |app| {
        // Core reports an undecodable file by byte offset (there are no lines to count yet).
        expect_error_naming(app, &file, Where::LineOrOffset).await?;
        let shot = app.screenshot("broken-non-utf8").await?;
        ensure!(
            App::contrast(&shot)? > 0.01,
            "{} looks blank",
            shot.display()
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn missing_runbook_shows_error() -> Result<()> {
    let Some(env) = Env::or_skip("missing_runbook_shows_error") else {
        return Ok(());
    };
    let file = env.artifacts.join("no-such-runbook.md");
    let _ = std::fs::remove_file(&file);
    with_app(&env, "missing", &file, async |app| {
        expect_error_naming(app, &file, Where::Nothing).await?;
        let shot = app.screenshot("broken-missing-file").await?;
        ensure!(
            App::contrast(&shot)? > 0.01,
            "{} looks blank",
            shot.display()
        );
        Ok(())
    })
    .await
}

#[tokio::test]
async fn malformed_runbook_says_where_and_is_not_blank() -> Result<()> {
    let Some(env) = Env::or_skip("malformed_runbook_says_where_and_is_not_blank") else {
        return Ok(());
    };
    let file = fixture("e2e-broken.md");
    with_app(&env, "malformed", &file, async |app| {
        // Invalid JSON attributes (line 5) and a fence never closed (line 11): errors shown
        // with where they are, and the steps still shown beside them.
        let text = expect_error_naming(app, &file, Where::Line).await?;
        ensure!(
            text.contains("e2e-broken.md:5"),
            "no error for line 5: {text:?}"
        );
        ensure!(
            text.contains("e2e-broken.md:11"),
            "no error for line 11: {text:?}"
        );
        let steps = app
            .js("return document.querySelectorAll('#steps li.step').length")
            .await?;
        ensure!(
            steps.as_u64() == Some(2),
            "the 2 steps are not listed: {steps}"
        );
        let shot = app.screenshot("broken-malformed").await?;
        ensure!(
            App::contrast(&shot)? > 0.01,
            "{} looks blank",
            shot.display()
        );
        Ok(())
    })
    .await
}

/// `text` contains `name:` followed by a digit.
fn file_line(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(i, _)| {
        let rest = &text[i + name.len()..];
        rest.starts_with(':') && rest[1..].starts_with(|c: char| c.is_ascii_digit())
    })
}
