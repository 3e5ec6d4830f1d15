//! Trust in the real window. A runbook with front-matter env, a health probe of this
//! machine's non-loopback address and hostile Markdown is opened untrusted:
//! - opening it runs nothing and contacts nothing: a local server counts zero
//!   requests, no script of the Markdown runs (a canary stays unset), no marker file;
//! - the first Run shows the trust sheet (the env name and value, the probe); "Not
//!   now" runs nothing; "Trust and run" runs the block, which sees the env, and the
//!   probe starts;
//! - an edit to the command asks again, and nothing runs until it is accepted.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpListener, UdpSocket};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use cuedeck_e2e::{light_is, visible_js, with_untrusted_app, App, Env, UI_TIMEOUT};
use fantoccini::key::Key;

const BLOCK_TIMEOUT: Duration = Duration::from_secs(30);
/// Long enough for the probes (1 s interval) and the page to have acted, if they would.
const SETTLE: Duration = Duration::from_secs(3);

/// An HTTP server on `ip` counting every connection it answers (200, `{"status":"ok"}`).
struct Counter {
    port: u16,
    hits: Arc<AtomicUsize>,
}

fn counting_server(ip: IpAddr) -> Result<Counter> {
    let listener = TcpListener::bind((ip, 0)).context("binding the counting server")?;
    let port = listener.local_addr()?.port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&hits);
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 2048];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = stream.read(&mut buf);
            let body = "{\"status\":\"ok\"}";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Ok(Counter { port, hits })
}

/// This machine's address on its default route (not loopback), if it has one. No
/// packet is sent: connecting a UDP socket only picks the route.
fn own_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(10, 255, 255, 254), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

fn runbook_text(far: &str, near: u16, command: &str) -> String {
    format!(
        r#"---
title: Trust Check
env: {{ GREETING: "hello from the env" }}
services:
  - {{ name: far, url: "{far}", interval: 1s }}
---

# Trust Check

<img src="x" onerror="window.__canary = 'img'"><script>window.__canary = 'script'</script>

## Greet

A [link](javascript:window.__canary='link') and a picture that would load:
![pixel](http://127.0.0.1:{near}/pixel.png) <iframe src="http://127.0.0.1:{near}/frame"></iframe>

```bash
{command}
```
"#
    )
}

#[tokio::test]
async fn nothing_runs_or_leaves_the_machine_before_the_trust_sheet_is_accepted() -> Result<()> {
    let Some(env) =
        Env::or_skip("nothing_runs_or_leaves_the_machine_before_the_trust_sheet_is_accepted")
    else {
        return Ok(());
    };
    let near = counting_server(IpAddr::V4(Ipv4Addr::LOCALHOST))?;
    let far_ip = own_address();
    let far = match far_ip {
        Some(ip) => counting_server(ip)?,
        None => {
            eprintln!("no non-loopback address here: the far probe points at a closed port");
            Counter {
                port: 9,
                hits: Arc::new(AtomicUsize::new(0)),
            }
        }
    };
    let far_url = format!(
        "http://{}:{}/health",
        far_ip.map_or_else(|| "10.255.255.254".to_string(), |ip| ip.to_string()),
        far.port
    );
    let dir = std::env::temp_dir().join(format!("cuedeck-e2e-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let runbook = dir.join("trust-check.md");
    let command = "touch ran-once.txt; echo \"greeting: $GREETING\"";
    std::fs::write(&runbook, runbook_text(&far_url, near.port, command))?;
    let result = with_untrusted_app(&env, "trust", &runbook, async |app| {
        app.wait_ready().await?;
        opening_runs_and_contacts_nothing(app, &dir, &near, &far).await?;
        the_sheet_asks_first(app, &dir).await?;
        accepting_runs(app, &dir, &far, far_ip.is_some()).await?;
        an_edit_asks_again(app, &runbook, &far_url, near.port).await
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn opening_runs_and_contacts_nothing(
    app: &App,
    dir: &Path,
    near: &Counter,
    far: &Counter,
) -> Result<()> {
    // Let the probes' first rounds and the page's loads happen, if they would.
    tokio::time::sleep(SETTLE).await;
    let canary = app.js("return window.__canary === undefined;").await?;
    ensure!(canary == true, "no script of the Markdown ran");
    ensure!(
        near.hits.load(Ordering::SeqCst) == 0,
        "the page loaded nothing from 127.0.0.1 (pictures, frames)"
    );
    ensure!(
        far.hits.load(Ordering::SeqCst) == 0,
        "the untrusted runbook's non-loopback service was not probed"
    );
    ensure!(!dir.join("ran-once.txt").exists(), "nothing ran on open");
    app.wait_for(
        "the far light saying why it is not probed",
        "(() => { const l = document.querySelector('#health .light[data-service=\"far\"]'); \
          return l !== null && l.title.includes('not probed until you trust'); })()",
        UI_TIMEOUT,
    )
    .await?;
    Ok(())
}

async fn the_sheet_asks_first(app: &App, dir: &Path) -> Result<()> {
    app.go_to_step("greet").await?;
    app.press(Key::Enter).await?;
    app.wait_for("the trust sheet", &visible_js("#trust"), UI_TIMEOUT)
        .await?;
    let sheet = app.text("#trust").await?;
    for expected in [
        "GREETING",
        "hello from the env",
        "far beyond",
        "1 runnable block",
    ] {
        let found = match expected {
            "far beyond" => sheet.contains("beyond this machine"),
            e => sheet.contains(e),
        };
        ensure!(found, "the sheet says `{expected}`:\n{sheet}");
    }
    app.screenshot("trust-sheet").await?;
    app.click("#trust-cancel").await?;
    app.wait_for(
        "the sheet to close",
        "document.getElementById('trust').hidden",
        UI_TIMEOUT,
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ensure!(
        !dir.join("ran-once.txt").exists(),
        "\"Not now\" ran nothing"
    );
    let tabs = app
        .js("return document.querySelectorAll('.terminal-tab').length;")
        .await?;
    ensure!(tabs == 0, "no terminal was started: {tabs}");
    Ok(())
}

async fn accepting_runs(app: &App, dir: &Path, far: &Counter, has_far: bool) -> Result<()> {
    app.press(Key::Enter).await?;
    app.wait_for("the trust sheet again", &visible_js("#trust"), UI_TIMEOUT)
        .await?;
    app.click("#trust-accept").await?;
    app.wait_for(
        "the block's output, with the env",
        "window.__cuedeckTerminals.read('main').includes('greeting: hello from the env')",
        BLOCK_TIMEOUT,
    )
    .await?;
    ensure!(
        dir.join("ran-once.txt").exists(),
        "the block ran once trusted"
    );
    if has_far {
        app.wait_for(
            "the far service's light, probed once trusted",
            &light_is("far", "up"),
            BLOCK_TIMEOUT,
        )
        .await?;
        ensure!(
            far.hits.load(Ordering::SeqCst) > 0,
            "the far service was probed"
        );
    }
    Ok(())
}

async fn an_edit_asks_again(app: &App, runbook: &Path, far: &str, near: u16) -> Result<()> {
    let edited = "echo \"edited: $GREETING\"";
    std::fs::write(runbook, runbook_text(far, near, edited))?;
    app.wait_for(
        "the edited block on screen",
        "document.getElementById('step-body').textContent.includes('edited: $GREETING')",
        BLOCK_TIMEOUT,
    )
    .await?;
    app.click(".cue-block button.run").await?;
    app.wait_for(
        "the sheet after the edit",
        &visible_js("#trust"),
        UI_TIMEOUT,
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ran = app
        .js("return window.__cuedeckTerminals.read('main').includes('edited: hello');")
        .await?;
    ensure!(
        ran == false,
        "the edited command did not run before it was accepted"
    );
    app.click("#trust-accept").await?;
    app.wait_for(
        "the edited block's output",
        "window.__cuedeckTerminals.read('main').includes('edited: hello from the env')",
        BLOCK_TIMEOUT,
    )
    .await?;
    Ok(())
}
