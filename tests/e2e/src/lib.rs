//! Helpers for end-to-end tests of the real Cuedeck window.
//!
//! `cargo xtask test` (or `cargo xtask e2e`) builds the app, starts Xvfb and tauri-driver,
//! and runs these tests serially with:
//!
//! - `CUEDECK_E2E_APP`: path of the app binary (built with the UI embedded),
//! - `CUEDECK_E2E_WEBDRIVER`: tauri-driver's URL (`http://127.0.0.1:4444`),
//! - `CUEDECK_E2E_ARTIFACTS`: where screenshots go (`tests/e2e/artifacts/`).
//!
//! Without them a test prints why it is skipped (straight to stderr, so the message shows
//! even when libtest captures output) and returns: a plain `cargo test --workspace` stays
//! green on a machine without a display.
//!
//! Every wait polls the DOM with a deadline; there are no fixed sleeps.

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const ENV_APP: &str = "CUEDECK_E2E_APP";
pub const ENV_WEBDRIVER: &str = "CUEDECK_E2E_WEBDRIVER";
pub const ENV_ARTIFACTS: &str = "CUEDECK_E2E_ARTIFACTS";

/// How long the app may take to start and render a runbook (a debug build under Xvfb).
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a UI reaction (a key press) may take to show.
pub const UI_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the harness says things are.
#[derive(Debug, Clone)]
pub struct Env {
    pub app: PathBuf,
    pub webdriver: String,
    pub artifacts: PathBuf,
}

impl Env {
    /// The environment set by xtask, or `None` (and a SKIPPED line on stderr) without it.
    pub fn or_skip(test: &str) -> Option<Env> {
        let var = |k| std::env::var_os(k).filter(|v| !v.is_empty());
        match (var(ENV_APP), var(ENV_WEBDRIVER), var(ENV_ARTIFACTS)) {
            (Some(app), Some(wd), Some(art)) => Some(Env {
                app: app.into(),
                webdriver: wd.to_string_lossy().into_owned(),
                artifacts: art.into(),
            }),
            _ => {
                // Not eprintln!: libtest captures that for passing tests.
                let msg = format!(
                    "SKIPPED e2e test `{test}`: {ENV_APP}, {ENV_WEBDRIVER} and {ENV_ARTIFACTS} \
                     are not set. The end-to-end tests need the built app, Xvfb and \
                     tauri-driver: run `cargo xtask test` (or `cargo xtask e2e`).\n"
                );
                // One write, so parallel tests don't interleave their lines.
                let _ = std::io::stderr().write_all(msg.as_bytes());
                None
            }
        }
    }
}

/// A fixture runbook from tests/fixtures/.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures")
        .join(name)
}

/// One WebDriver session on one app window.
pub struct App {
    client: Client,
    pub env: Env,
    pub name: String,
}

/// Starts the app on `runbook` through tauri-driver, runs `body`, and always closes the
/// session (screenshot `NAME-failure.png` first when `body` fails).
pub async fn with_app(
    env: &Env,
    name: &str,
    runbook: &Path,
    body: impl AsyncFnOnce(&App) -> Result<()>,
) -> Result<()> {
    let app = App::launch(env, name, runbook).await?;
    let result = body(&app).await;
    if result.is_err() {
        match app.screenshot(&format!("{name}-failure")).await {
            Ok(p) => eprintln!("failure screenshot: {}", p.display()),
            Err(e) => eprintln!("could not take a failure screenshot: {e:#}"),
        }
        if let Ok(text) = app
            .js("return document.body ? document.body.innerText : '<no body>'")
            .await
        {
            let t = text.as_str().unwrap_or_default();
            eprintln!("window text at failure:\n{}", &t[..t.len().min(3000)]);
        }
    }
    let closed = app.close().await;
    result?;
    closed
}

impl App {
    pub async fn launch(env: &Env, name: &str, runbook: &Path) -> Result<App> {
        let mut caps = serde_json::Map::new();
        // Not `browserName: wry`: tauri-driver rejects it (tauri #10670).
        caps.insert(
            "tauri:options".into(),
            json!({
                "application": env.app,
                "args": [runbook],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&env.webdriver)
            .await
            .with_context(|| {
                format!(
                    "starting a WebDriver session at {} for {} {}",
                    env.webdriver,
                    env.app.display(),
                    runbook.display()
                )
            })?;
        Ok(App {
            client,
            env: env.clone(),
            name: name.to_owned(),
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs a script in the window (`return ...` gives a value).
    pub async fn js(&self, script: &str) -> Result<Value> {
        self.client
            .execute(script, vec![])
            .await
            .with_context(|| format!("running script: {script}"))
    }

    /// Polls `condition` (a JS expression) until it is truthy, or fails after `timeout`
    /// naming `what` and the window's text. Returns the last value.
    pub async fn wait_for(&self, what: &str, condition: &str, timeout: Duration) -> Result<Value> {
        let script = format!("try {{ return ({condition}); }} catch (e) {{ return null; }}");
        let start = Instant::now();
        loop {
            let v = self.js(&script).await?;
            if truthy(&v) {
                return Ok(v);
            }
            if start.elapsed() > timeout {
                let text = self
                    .js("return document.body ? document.body.innerText.slice(0, 2000) : '<no body>'")
                    .await
                    .unwrap_or(Value::Null);
                bail!(
                    "timed out after {timeout:?} waiting for {what} (`{condition}` was {v}); \
                     window text: {}",
                    text.as_str().unwrap_or("?")
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the app says it has rendered (`document.body.dataset.ready === "true"`).
    pub async fn wait_ready(&self) -> Result<()> {
        self.wait_for(
            "the app to render (body[data-ready=true])",
            "document.body && document.body.dataset.ready === 'true'",
            READY_TIMEOUT,
        )
        .await
        .map(drop)
    }

    /// Presses and releases one key, sent to the focused element as a user would type it.
    pub async fn press(&self, key: Key) -> Result<()> {
        let c: char = key.into();
        let seq = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
        self.client
            .perform_actions(seq)
            .await
            .with_context(|| format!("pressing {key:?}"))
    }

    /// `innerText` of the first element matching `css`, trimmed ("" when none).
    pub async fn text(&self, css: &str) -> Result<String> {
        let v = self
            .js(&format!(
                "const e = document.querySelector({}); return e ? e.innerText.trim() : '';",
                json!(css)
            ))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// Whether the element matching `css` exists and is visible.
    pub async fn visible(&self, css: &str) -> Result<bool> {
        Ok(truthy(
            &self.js(&format!("return {};", visible_js(css))).await?,
        ))
    }

    /// Saves a PNG screenshot of the window to the artifacts directory.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        if !png.starts_with(b"\x89PNG") {
            return Err(anyhow!("the driver's screenshot is not a PNG"));
        }
        std::fs::create_dir_all(&self.env.artifacts)?;
        let path = self.env.artifacts.join(format!("{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Ends the session (tauri-driver then stops the app).
    pub async fn close(self) -> Result<()> {
        self.client
            .close()
            .await
            .with_context(|| format!("closing the WebDriver session of `{}`", self.name))
    }
}

/// A JS expression: the element matching `css` exists and is rendered visibly.
pub fn visible_js(css: &str) -> String {
    format!(
        "(() => {{ const e = document.querySelector({}); if (!e || e.hidden) return false; \
         const s = getComputedStyle(e); const r = e.getBoundingClientRect(); \
         return s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0; }})()",
        json!(css)
    )
}

/// JavaScript's truthiness for a JSON value.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truthiness_matches_javascript() {
        assert!(!truthy(&json!(null)));
        assert!(!truthy(&json!(0)));
        assert!(!truthy(&json!("")));
        assert!(truthy(&json!("x")));
        assert!(truthy(&json!({})));
        assert!(truthy(&json!(2)));
    }

    #[test]
    fn fixtures_are_in_tests_fixtures() {
        assert!(fixture("e2e-basic.md").exists());
    }
}
