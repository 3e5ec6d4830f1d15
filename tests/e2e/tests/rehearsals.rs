//! The rehearsal view in the real window, on a copy of tests/fixtures/rehearsal-view.md:
//! "Rehearse all" records three steps (one in a second terminal, one printing a
//! secret the runbook redacts); R opens the view, where each step shows a thumbnail
//! of its terminal at the step's end, the same picture as the PNG in the rehearsal
//! folder; a thumbnail opens full size; hovering a step in the step list peeks at
//! it; "Export backup…" writes the bundle where the form says (its default in
//! `.cuedeck/backups/`, then a name typed into the field, whose letters are the
//! field's and not the show's keys), with every step and no secret in it. The
//! presenter's own terminal shows the secret masked.

use std::path::Path;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use cuedeck_e2e::{fixture_copy, visible_js, with_app, App, Env, UI_TIMEOUT};
use fantoccini::key::Key;
use serde_json::Value;

/// Shells start and three short steps run, each with its snapshot.
const REHEARSAL_TIMEOUT: Duration = Duration::from_secs(60);
/// A bundle is built (player inlined, casts and snapshots embedded) and written.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(30);
const TITLES: [&str; 3] = ["Say Hello", "Show the Token", "Count in Another Terminal"];
const SECRET: &str = "4b2c9e";

#[tokio::test]
async fn the_rehearsal_view_shows_each_steps_snapshot_and_exports_a_backup() -> Result<()> {
    let Some(env) =
        Env::or_skip("the_rehearsal_view_shows_each_steps_snapshot_and_exports_a_backup")
    else {
        return Ok(());
    };
    let (dir, runbook) = fixture_copy("rehearsals", "rehearsal-view.md")?;
    let result = with_app(&env, "rehearsals", &runbook, async |app| {
        app.wait_ready().await?;
        rehearse(app).await?;
        let rehearsal = thumbnails_match_the_folder(app, &dir).await?;
        zoom_and_peek(app).await?;
        export_default(app, &dir, &rehearsal).await?;
        export_typed_name(app, &dir).await?;
        app.press(Key::Escape).await?;
        app.wait_for(
            "the view to close",
            "document.getElementById('rehearsals').hidden",
            UI_TIMEOUT,
        )
        .await?;
        Ok(())
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn rehearse(app: &App) -> Result<()> {
    app.click("#rehearse-all").await?;
    app.wait_for(
        "three recorded steps",
        "window.__cuedeckShow.recordings().length === 3",
        REHEARSAL_TIMEOUT,
    )
    .await?;
    // The presenter's own terminal masks the secret too (no `redact_presenter: false`).
    let shown = app
        .js("return window.__cuedeckTerminals.read('main');")
        .await?;
    let shown = shown.as_str().context("the main terminal's text")?;
    ensure!(
        shown.contains("token: **********") && !shown.contains(SECRET),
        "the presenter's terminal shows the token masked:\n{shown}"
    );
    Ok(())
}

/// R opens the view on the rehearsal just made: three steps, each with one loaded
/// thumbnail the size of its PNG in the folder. Returns the rehearsal's name.
async fn thumbnails_match_the_folder(app: &App, dir: &Path) -> Result<String> {
    app.press_char('r').await?;
    app.wait_for("the rehearsal view", &visible_js("#rehearsals"), UI_TIMEOUT)
        .await?;
    let loaded =
        "(() => { const t = [...document.querySelectorAll('#rehearsal-steps img.thumb')]; \
                  return t.length === 3 && t.every(i => i.complete && i.naturalWidth > 0); })()";
    app.wait_for("three loaded thumbnails", loaded, UI_TIMEOUT)
        .await?;
    let name = app
        .js("return window.__cuedeckRehearsals.chosen();")
        .await?
        .as_str()
        .context("a chosen rehearsal")?
        .to_string();
    let folder = dir.join(".cuedeck/rehearsals/rehearsal-view").join(&name);
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("manifest.json")).context("the manifest")?,
    )?;
    let rows = app
        .js("return [...document.querySelectorAll('#rehearsal-steps li.rehearsal-step')].map(li => ({ \
             title: li.querySelector('.title').textContent, \
             status: li.dataset.status, \
             terminals: [...li.querySelectorAll('figcaption')].map(f => f.textContent), \
             sizes: [...li.querySelectorAll('img.thumb')].map(i => [i.dataset.file, i.naturalWidth, i.naturalHeight]) }));")
        .await?;
    let rows = rows.as_array().context("rows")?;
    ensure!(rows.len() == 3, "three steps listed: {rows:?}");
    for (row, title) in rows.iter().zip(TITLES) {
        ensure!(row["title"] == title && row["status"] == "ok", "{row}");
        for size in row["sizes"].as_array().context("sizes")? {
            let file = size[0].as_str().context("file")?;
            let (w, h) = png_size(&folder.join(file))?;
            ensure!(
                size[1] == w && size[2] == h,
                "the thumbnail of {file} is its PNG ({w}x{h}): {size}"
            );
        }
    }
    ensure!(
        rows[2]["terminals"] == serde_json::json!(["side"]),
        "step 3 ran in `side`: {}",
        rows[2]
    );
    let listed = manifest["steps"]
        .as_array()
        .context("steps")?
        .iter()
        .map(|s| s["snapshots"].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    ensure!(
        listed == 3,
        "the manifest lists the three snapshots the view shows"
    );
    app.screenshot("rehearsal-view").await?;
    Ok(name)
}

/// A thumbnail opens full size (Esc closes it, the view stays); hovering a step in
/// the step list shows its recording's snapshot beside it.
async fn zoom_and_peek(app: &App) -> Result<()> {
    app.click("#rehearsal-steps li.rehearsal-step:nth-child(2) img.thumb")
        .await?;
    app.wait_for(
        "the snapshot at full size",
        "(() => { const z = document.getElementById('snapshot-zoom'); const i = z.querySelector('img'); \
          return !z.hidden && i.complete && i.naturalWidth > 0 && z.textContent.includes('Show the Token'); })()",
        UI_TIMEOUT,
    )
    .await?;
    app.press(Key::Escape).await?;
    app.wait_for(
        "the full-size snapshot to close, the view open",
        "document.getElementById('snapshot-zoom').hidden && !document.getElementById('rehearsals').hidden",
        UI_TIMEOUT,
    )
    .await?;
    app.press(Key::Escape).await?;
    app.hover("#steps li.step[data-step-id='count-in-another-terminal']")
        .await?;
    app.wait_for(
        "the step's peek",
        "(() => { const p = document.getElementById('step-peek'); const i = p.querySelector('img.thumb'); \
          return !p.hidden && i !== null && i.complete && i.naturalWidth > 0 && p.textContent.includes('side'); })()",
        UI_TIMEOUT,
    )
    .await?;
    app.screenshot("rehearsal-peek").await?;
    app.hover("#stage").await?;
    app.wait_for(
        "the peek to go",
        "document.getElementById('step-peek').hidden",
        UI_TIMEOUT,
    )
    .await?;
    app.press_char('r').await?;
    app.wait_for("the view again", &visible_js("#rehearsals"), UI_TIMEOUT)
        .await?;
    Ok(())
}

/// Export backup… offers `.cuedeck/backups/<runbook>/<runbook>-<rehearsal>.html`;
/// with the notes ticked it writes there a page with every step, the notes, a CSP
/// and no secret.
async fn export_default(app: &App, dir: &Path, rehearsal: &str) -> Result<()> {
    app.click("#export-open").await?;
    app.wait_for("the export form", &visible_js("#export-form"), UI_TIMEOUT)
        .await?;
    let offered = app
        .js("return document.getElementById('export-path').value;")
        .await?;
    let expected = format!(".cuedeck/backups/rehearsal-view/rehearsal-view-{rehearsal}.html");
    ensure!(
        offered == expected.as_str(),
        "offered {offered}, expected {expected}"
    );
    app.click("#export-notes").await?;
    app.click("#export-go").await?;
    let message = wait_written(app).await?;
    ensure!(
        message.contains(&expected) && message.contains("KB"),
        "{message}"
    );
    let html = std::fs::read_to_string(dir.join(&expected)).context("the backup file")?;
    check_bundle(&html)?;
    ensure!(html.contains("class=\"notes\""), "the notes, as ticked");
    eprintln!("backup from the app: {} bytes", html.len());
    Ok(())
}

/// A name typed into the field (with letters that are also the show's keys: r, s, p)
/// is where the bundle goes; the keys did nothing else.
async fn export_typed_name(app: &App, dir: &Path) -> Result<()> {
    app.type_into("#export-path", "exports/spare prompt.html")
        .await?;
    ensure!(
        app.visible("#rehearsals").await?,
        "typing `r` in the field did not close the view"
    );
    app.click("#export-go").await?;
    let message = wait_written(app).await?;
    ensure!(message.contains("exports/spare prompt.html"), "{message}");
    let html = std::fs::read_to_string(dir.join("exports/spare prompt.html"))
        .context("the backup at the typed name")?;
    check_bundle(&html)?;
    ensure!(
        !dir.join(".cuedeck/captures").exists(),
        "typing `s` in the field captured nothing"
    );
    Ok(())
}

async fn wait_written(app: &App) -> Result<String> {
    let text = app
        .wait_for(
            "the backup written",
            "(() => { const r = document.getElementById('export-result'); \
              return r.dataset.path ? r.textContent : (r.classList.contains('failed') ? 'FAILED: ' + r.textContent : false); })()",
            EXPORT_TIMEOUT,
        )
        .await?;
    let text = text.as_str().context("the result line")?.to_string();
    ensure!(!text.starts_with("FAILED"), "{text}");
    Ok(text)
}

fn check_bundle(html: &str) -> Result<()> {
    for title in TITLES {
        ensure!(html.contains(title), "step `{title}` is in the bundle");
    }
    ensure!(
        !html.contains(SECRET),
        "the redacted secret is nowhere in the bundle"
    );
    ensure!(html.contains("Content-Security-Policy"), "a CSP");
    ensure!(
        html.contains("data:image/png;base64,"),
        "the snapshots as posters"
    );
    Ok(())
}

/// A PNG's size from its IHDR chunk.
fn png_size(path: &Path) -> Result<(u32, u32)> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    ensure!(
        bytes.len() > 24 && bytes.starts_with(b"\x89PNG"),
        "{} is a PNG",
        path.display()
    );
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Ok((be(16), be(20)))
}
