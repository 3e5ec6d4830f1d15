//! A flood in the real window: `seq 1 400000` prints faster than the view can draw,
//! so the view skips frames and is resynced from the backend's screen model. It ends
//! showing what every byte would have shown: the last line at the prompt, and the
//! whole kept scrollback (the view's 5000 rows) the lines `seq` printed, in order.

use std::time::Duration;

use anyhow::{ensure, Result};
use cuedeck_e2e::{
    check_seq_tail, fixture, status_is, time_until_shown_js, with_app, Env, UI_TIMEOUT,
};
use fantoccini::key::Key;

const RUN_TIMEOUT: Duration = Duration::from_secs(60);
const LAST: u32 = 400_000;
/// Rows the view keeps in its scrollback (VIEW_SCROLLBACK), and its screen's rows.
const KEPT: usize = 5000;

#[tokio::test]
async fn a_flood_is_skipped_and_the_view_ends_as_if_it_drew_every_byte() -> Result<()> {
    let Some(env) = Env::or_skip("a_flood_is_skipped_and_the_view_ends_as_if_it_drew_every_byte")
    else {
        return Ok(());
    };
    with_app(&env, "flood", &fixture("e2e-flood.md"), async |app| {
        app.wait_ready().await?;
        // Timed in the page, frame by frame: from the key to the last line drawn.
        app.js(&time_until_shown_js("main", LAST)).await?;
        app.press(Key::Enter).await?;
        app.wait_for(
            "seq to end ok",
            &status_is("count-far-1", &["ok"]),
            RUN_TIMEOUT,
        )
        .await?;
        // The view has drawn the end once its last line is followed by a prompt.
        app.wait_for(
            "the last line and the prompt after it",
            &format!("/\\n{LAST}\\n[^\\n]*\\S/.test(window.__cuedeckTerminals.read('main'))"),
            UI_TIMEOUT,
        )
        .await?;
        let text = app
            .js("return window.__cuedeckTerminals.read('main')")
            .await?;
        let text = text.as_str().unwrap_or_default();
        let resyncs = app
            .js("return window.__cuedeckTerminals.resyncs('main')")
            .await?;
        let shown_ms = app.js("return window.__shownMs").await?;
        eprintln!("flood: seq 1 {LAST} fully shown {shown_ms} ms after the key; {resyncs} resyncs");
        ensure!(
            resyncs.as_u64().unwrap_or(0) > 0,
            "the view never fell behind, so nothing was skipped: {resyncs}"
        );
        // Every line the view keeps before the last one is seq's, in order (less the
        // screen's rows taken by the command and the prompt).
        check_seq_tail(text, LAST, KEPT - 100)?;
        app.screenshot("flood-ended").await?;
        Ok(())
    })
    .await
}
