//! The backup bundle in a real browser: the tour rehearsed and exported by the
//! `cuedeck` CLI, opened from `file://` in headless Chromium (Debian's, driven
//! through its chromedriver), played, and a step clicked. The page must make no
//! network request at all.
//!
//! Not one of the app's tests: it needs no app and no display, so a plain
//! `cargo test -p cuedeck-e2e --test bundle` runs it. Without chromedriver it fails,
//! saying how to install it (`cargo xtask setup`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use cuedeck_e2e::{tour_copy, within, COMMAND_TIMEOUT};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 800;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The program at `fixed`, else on PATH, else an error saying how to get it.
fn tool(fixed: &str, name: &str) -> Result<PathBuf> {
    if Path::new(fixed).is_file() {
        return Ok(fixed.into());
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .with_context(|| {
            format!(
                "{name} not found ({fixed} or on PATH): the backup bundle's browser test needs \
                 headless Chromium and chromedriver; run `cargo xtask setup` (Debian packages \
                 `chromium` and `chromium-driver`)"
            )
        })
}

/// Builds the `cuedeck` CLI (quick when it is up to date) and returns its path, as
/// cargo reports it (so CARGO_TARGET_DIR is honoured).
fn cuedeck_binary() -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "build",
            "-p",
            "cuedeck-core",
            "--bin",
            "cuedeck",
            "--message-format=json",
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build for the cuedeck CLI")?;
    ensure!(out.status.success(), "building the cuedeck CLI failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "cuedeck")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .context("cargo named no cuedeck executable")
}

fn cuedeck(bin: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(
        out.status.success(),
        "cuedeck {} failed ({}):\n{stdout}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(stdout)
}

/// chromedriver on a free port; killed (and reaped) when dropped, whatever happened.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(program: &Path, log: &Path) -> Result<Driver> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let mut driver = Driver { child, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = driver.child.try_wait()? {
                bail!(
                    "chromedriver exited at start ({status}); see {}",
                    log.display()
                );
            }
            ensure!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within 15 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// chromedriver's browser log of `kind` for a session (the legacy endpoint; the
    /// W3C protocol has none, and fantoccini does not speak it).
    fn log(&self, session: &str, kind: &str) -> Result<Vec<Value>> {
        let body = json!({ "type": kind }).to_string();
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(COMMAND_TIMEOUT))?;
        write!(
            s,
            "POST /session/{session}/se/log HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        let body = read_http_body(&mut s)?;
        let v: Value = serde_json::from_slice(&body).context("the log's JSON")?;
        v["value"]
            .as_array()
            .cloned()
            .with_context(|| format!("no log entries in {v}"))
    }
}

/// The body of one HTTP/1.1 response (by Content-Length, or chunked): chromedriver
/// keeps the connection open, so reading to its end would wait.
fn read_http_body(s: &mut TcpStream) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        ensure!(
            s.read(&mut byte)? == 1,
            "the connection closed in the headers"
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let header = |name: &str| {
        head.lines()
            .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
    };
    if let Some(len) = header("content-length:") {
        let mut body = vec![0u8; len.parse().context("a Content-Length")?];
        s.read_exact(&mut body)?;
        return Ok(body);
    }
    ensure!(
        header("transfer-encoding:").is_some_and(|v| v.contains("chunked")),
        "neither Content-Length nor chunked: {head}"
    );
    let mut body = Vec::new();
    loop {
        let mut line = Vec::new();
        while !line.ends_with(b"\r\n") {
            ensure!(s.read(&mut byte)? == 1, "the connection closed in a chunk");
            line.push(byte[0]);
        }
        let size = usize::from_str_radix(String::from_utf8_lossy(&line).trim(), 16)
            .context("a chunk size")?;
        let mut chunk = vec![0u8; size + 2];
        s.read_exact(&mut chunk)?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn js(c: &Client, script: &str) -> Result<Value> {
    within(script, COMMAND_TIMEOUT, c.execute(script, vec![])).await
}

/// Polls the JS expression until it is truthy; the last value.
async fn wait_for(c: &Client, what: &str, expr: &str, timeout: Duration) -> Result<Value> {
    let script = format!("try {{ return ({expr}); }} catch (e) {{ return null; }}");
    let start = Instant::now();
    loop {
        let v = js(c, &script).await?;
        if !(v.is_null() || v == json!(false) || v == json!(0) || v == json!("")) {
            return Ok(v);
        }
        if start.elapsed() > timeout {
            bail!("timed out after {timeout:?} waiting for {what} (`{expr}` was {v})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn press(c: &Client, key: char) -> Result<()> {
    let seq = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    within("pressing a key", COMMAND_TIMEOUT, c.perform_actions(seq)).await
}

fn number(v: &Value, what: &str) -> Result<f64> {
    v.as_f64()
        .with_context(|| format!("{what} is not a number: {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_plays_offline_in_a_real_browser() -> Result<()> {
    let chromedriver = tool(CHROMEDRIVER, "chromedriver")?;
    let chromium = tool(CHROMIUM, "chromium")?;
    let bin = cuedeck_binary()?;
    let (dir, tour) = tour_copy("bundle")?;
    let result = run(&chromedriver, &chromium, &bin, &dir, &tour).await;
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("left for a look: {}", dir.display());
    }
    result
}

async fn run(
    chromedriver: &Path,
    chromium: &Path,
    bin: &Path,
    dir: &Path,
    tour: &Path,
) -> Result<()> {
    let tour_arg = tour.display().to_string();
    cuedeck(bin, &["rehearse", &tour_arg])?;
    let html = dir.join("tour-backup.html");
    let said = cuedeck(
        bin,
        &[
            "export",
            &tour_arg,
            "--notes",
            "-o",
            &html.display().to_string(),
        ],
    )?;
    eprintln!("{said}");

    let profile = dir.join("chromium-profile");
    std::fs::create_dir_all(&profile)?;
    let driver = Driver::start(chromedriver, &dir.join("chromedriver.log"))?;
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                format!("--window-size={WIDTH},{HEIGHT}"),
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    caps.insert(
        "goog:loggingPrefs".into(),
        json!({ "performance": "ALL", "browser": "ALL" }),
    );
    let client = within(
        "starting a Chromium session",
        Duration::from_secs(60),
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url()),
    )
    .await?;
    let result = in_browser(&client, &driver, &html).await;
    if result.is_err() {
        if let Ok(png) = client.screenshot().await {
            let p = dir.join("bundle-failure.png");
            let _ = std::fs::write(&p, png);
            eprintln!("failure screenshot: {}", p.display());
        }
    }
    // Always: the session's end quits Chromium; then the driver is killed (Drop).
    let closed = within("closing the session", COMMAND_TIMEOUT, client.close()).await;
    drop(driver);
    result?;
    closed
}

async fn in_browser(c: &Client, driver: &Driver, html: &Path) -> Result<()> {
    let url = format!("file://{}", std::path::absolute(html)?.display());
    // Reading the log empties it: what the blank start page loaded is left out.
    let session = c.session_id().await?.context("a session id")?;
    driver.log(&session, "performance")?;
    within("opening the bundle", COMMAND_TIMEOUT, c.goto(&url)).await?;
    // The viewport (what the screenshot shows) is WIDTH x HEIGHT: the window is
    // made larger by what the browser keeps around the page.
    let frame = js(
        c,
        "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]",
    )
    .await?;
    let extra = |i: usize| frame[i].as_u64().unwrap_or(0) as u32;
    within(
        "sizing the window",
        COMMAND_TIMEOUT,
        c.set_window_size(WIDTH + extra(0), HEIGHT + extra(1)),
    )
    .await?;
    wait_for(
        c,
        "the bundle's script to start",
        "window.__cuedeckBundle && window.__cuedeckBundle.ready",
        Duration::from_secs(15),
    )
    .await?;
    let violations = js(c, "return window.__cuedeckBundle.violations").await?;
    ensure!(violations == json!([]), "CSP violations: {violations}");
    let steps = js(c, "return window.__cuedeckBundle.steps").await?;
    let steps = steps.as_array().context("the hook's steps")?.clone();
    ensure!(steps.len() >= 3, "the tour has at least 3 steps: {steps:?}");

    // Start playback as a presenter does: Space.
    press(c, ' ').await?;
    wait_for(
        c,
        "playback to start",
        "window.__cuedeckBundle.playing() && window.__cuedeckBundle.currentTime() > 0",
        Duration::from_secs(10),
    )
    .await?;

    // Click the third step: the player seeks to its start marker (and waits there).
    let third = &steps[2];
    let start = number(&third["start"], "the third step's start")?;
    let items = c.find_all(Locator::Css("#steps li.step")).await?;
    ensure!(items.len() == steps.len(), "one list item per step");
    items[2]
        .clone()
        .click()
        .await
        .context("clicking the third step")?;
    wait_for(
        c,
        "the third step to be current",
        "window.__cuedeckBundle.currentStep() === 2",
        Duration::from_secs(5),
    )
    .await?;
    let expr = format!("Math.abs(window.__cuedeckBundle.currentTime() - {start}) < 0.1");
    wait_for(
        c,
        "the player at the third step's start",
        &expr,
        Duration::from_secs(5),
    )
    .await
    .with_context(|| format!("the third step starts at {start} s"))?;
    let now = number(
        &js(c, "return window.__cuedeckBundle.currentTime()").await?,
        "time",
    )?;
    ensure!(
        (now - start).abs() < 0.1,
        "player at {now} s, the step starts at {start} s"
    );

    // Space plays the step, and the player stops at its end marker, not later.
    let end = number(&third["end"], "the third step's end")?;
    if end - start < 20.0 {
        press(c, ' ').await?;
        wait_for(
            c,
            "playback",
            "window.__cuedeckBundle.playing()",
            Duration::from_secs(5),
        )
        .await?;
        let expr = format!(
            "!window.__cuedeckBundle.playing() && Math.abs(window.__cuedeckBundle.currentTime() - {end}) < 0.1"
        );
        wait_for(
            c,
            "the player to pause at the third step's end marker",
            &expr,
            Duration::from_secs_f64(end - start + 10.0),
        )
        .await?;
    }

    // No network: no resource loaded, and the only request is the document itself.
    let resources = js(
        c,
        "return performance.getEntriesByType('resource').map(e => e.name)",
    )
    .await?;
    ensure!(
        resources == json!([]),
        "the page loaded resources: {resources}"
    );
    let log = driver.log(&session, "performance")?;
    // Every request the page made: those of its document's loader, or naming it as
    // their document (Chromium's own pages, the blank start page, are not the page's).
    let mut sent = Vec::new();
    for entry in &log {
        let Some(message) = entry["message"].as_str() else {
            continue;
        };
        let Ok(m) = serde_json::from_str::<Value>(message) else {
            continue;
        };
        if m["message"]["method"] == "Network.requestWillBeSent" {
            sent.push(m["message"]["params"].clone());
        }
    }
    let loader = sent
        .iter()
        .find(|p| p["request"]["url"] == url.as_str())
        .map(|p| p["loaderId"].clone())
        .with_context(|| format!("the performance log shows no request of {url}"))?;
    let requests: Vec<String> = sent
        .iter()
        .filter(|p| p["loaderId"] == loader || p["documentURL"] == url.as_str())
        .map(|p| p["request"]["url"].as_str().unwrap_or("?").to_string())
        .collect();
    // A data: URI (a poster) is bytes of the document, not a request that leaves it.
    let others: Vec<&String> = requests
        .iter()
        .filter(|u| **u != url && !u.starts_with("data:"))
        .collect();
    ensure!(
        others.is_empty(),
        "requests other than the document: {others:?}"
    );
    eprintln!("the page's requests: {requests:?}");
    let violations = js(c, "return window.__cuedeckBundle.violations").await?;
    ensure!(violations == json!([]), "CSP violations: {violations}");

    let png = within("taking a screenshot", COMMAND_TIMEOUT, c.screenshot()).await?;
    // Into the e2e artifacts, never the source tree (docs/screenshots/ keeps a copy
    // that was looked at).
    let shots = workspace_root().join("tests").join("e2e").join("artifacts");
    std::fs::create_dir_all(&shots)?;
    let path = shots.join("backup-bundle.png");
    std::fs::write(&path, png)?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}
