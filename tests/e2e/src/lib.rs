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

pub mod procs;

use anyhow::{bail, ensure, Context, Result};
use fantoccini::actions::{InputSource, KeyAction, KeyActions, MouseActions, PointerAction};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
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
/// The longest any one WebDriver command may take before the test fails instead of hanging.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Awaits `fut`, failing with `what` when it takes longer than `limit`.
pub async fn within<T, E>(
    what: &str,
    limit: Duration,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let trace = std::env::var_os("CUEDECK_E2E_TRACE").is_some();
    if trace {
        eprintln!("-> {what}");
    }
    let r = tokio::time::timeout(limit, fut).await;
    if trace {
        eprintln!(
            "<- {what}: {}",
            if r.is_ok() { "answered" } else { "timed out" }
        );
    }
    match r {
        Ok(r) => r.with_context(|| what.to_owned()),
        Err(_) => bail!("{what}: no answer from the WebDriver within {limit:?}"),
    }
}

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

/// `runbooks/tour.md` copied into a fresh folder of its own, so what the app writes
/// beside a runbook (rehearsals) never lands in the source tree. Returns the folder
/// (remove it when done) and the copy.
pub fn tour_copy(test: &str) -> Result<(PathBuf, PathBuf)> {
    scratch_copy(
        test,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../runbooks/tour.md"),
    )
}

/// A fixture of tests/fixtures/ copied into a fresh folder, as [`tour_copy`].
pub fn fixture_copy(test: &str, name: &str) -> Result<(PathBuf, PathBuf)> {
    scratch_copy(test, &fixture(name))
}

fn scratch_copy(test: &str, source: &Path) -> Result<(PathBuf, PathBuf)> {
    let dir = std::env::temp_dir().join(format!("cuedeck-e2e-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = source.file_name().context("a runbook file")?;
    let copy = dir.join(name);
    std::fs::copy(source, &copy).with_context(|| format!("copying {}", source.display()))?;
    Ok((dir, copy))
}

/// A JS expression: the id of the step the presenter's window shows, or `null`.
pub const CURRENT_STEP: &str =
    "(document.querySelector('#steps li.step[aria-current]') || {dataset: {}}).dataset.stepId || null";

/// One WebDriver session on one app window.
pub struct App {
    client: Client,
    pub env: Env,
    pub name: String,
}

/// Records that the presenter trusts `runbook` as it is now, in the stage's config
/// folder (`CUEDECK_CONFIG_DIR`, set by xtask so no test writes the user's config),
/// as accepting its trust sheet in the window does.
pub fn trust(runbook: &Path) -> Result<()> {
    let dir = stage_folder("CUEDECK_CONFIG_DIR")?;
    let rb = cuedeck_core::runbook::load(runbook)
        .with_context(|| format!("loading {}", runbook.display()))?;
    cuedeck_core::trust::TrustStore::at(&dir)
        .trust(runbook, &cuedeck_core::trust::sheet::digest(&rb))
        .context("recording the trust")
}

/// Starts the app on `runbook` (trusted, see [`trust`]) through tauri-driver, runs
/// `body`, and always closes the session (screenshot `NAME-failure.png` first when
/// `body` fails).
pub async fn with_app(
    env: &Env,
    name: &str,
    runbook: &Path,
    body: impl AsyncFnOnce(&App) -> Result<()>,
) -> Result<()> {
    // A runbook that does not load (the tests of the error page) has nothing to trust.
    if cuedeck_core::runbook::load(runbook).is_ok() {
        trust(runbook)?;
    }
    with_untrusted_app(env, name, runbook, body).await
}

/// [`with_app`] on a runbook the presenter has not trusted yet.
pub async fn with_untrusted_app(
    env: &Env,
    name: &str,
    runbook: &Path,
    body: impl AsyncFnOnce(&App) -> Result<()>,
) -> Result<()> {
    let app = App::launch(env, name, runbook).await?;
    run_and_close(app, name, body).await
}

/// Starts the app with no runbook (its start page), runs `body`, and closes it as
/// [`with_app`] does.
pub async fn with_start_page(
    env: &Env,
    name: &str,
    body: impl AsyncFnOnce(&App) -> Result<()>,
) -> Result<()> {
    let app = App::launch_with_args(env, name, &[]).await?;
    run_and_close(app, name, body).await
}

async fn run_and_close(
    app: App,
    name: &str,
    body: impl AsyncFnOnce(&App) -> Result<()>,
) -> Result<()> {
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
        Self::launch_with_args(env, name, &[runbook]).await
    }

    /// Starts the app with these command-line arguments (none: the start page).
    pub async fn launch_with_args(env: &Env, name: &str, args: &[&Path]) -> Result<App> {
        let mut caps = serde_json::Map::new();
        // Not `browserName: wry`: tauri-driver rejects it (tauri #10670).
        caps.insert(
            "tauri:options".into(),
            json!({
                "application": env.app,
                "args": args,
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let shown: Vec<String> = args.iter().map(|a| a.display().to_string()).collect();
        let what = format!(
            "starting a WebDriver session at {} for {} {}",
            env.webdriver,
            env.app.display(),
            shown.join(" ")
        );
        let client = within(
            &what,
            READY_TIMEOUT,
            ClientBuilder::new(connector)
                .capabilities(caps)
                .connect(&env.webdriver),
        )
        .await?;
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
        within(
            &format!("running script: {script}"),
            COMMAND_TIMEOUT,
            self.client.execute(script, vec![]),
        )
        .await
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
        self.press_char(key.into()).await
    }

    /// Presses and releases the key of character `c` (`'p'`), as [`App::press`] does.
    pub async fn press_char(&self, c: char) -> Result<()> {
        let seq = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
        within(
            &format!("pressing {c:?}"),
            COMMAND_TIMEOUT,
            self.client.perform_actions(seq),
        )
        .await
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) -> Result<()> {
        self.client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("finding {css}"))?
            .click()
            .await
            .with_context(|| format!("clicking {css}"))
    }

    /// Moves the mouse over the element matching `css` (a hover, as a pointer does).
    pub async fn hover(&self, css: &str) -> Result<()> {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("finding {css}"))?;
        let seq = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element,
            duration: None,
            x: 0.0,
            y: 0.0,
        });
        within(
            &format!("hovering {css}"),
            COMMAND_TIMEOUT,
            self.client.perform_actions(seq),
        )
        .await
    }

    /// Replaces the text of the field matching `css` by typing `text` into it, key by
    /// key, as the presenter does.
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("finding {css}"))?;
        field
            .clear()
            .await
            .with_context(|| format!("clearing {css}"))?;
        field
            .send_keys(text)
            .await
            .with_context(|| format!("typing into {css}"))
    }

    /// The id of the step the window shows (`null` in JS when none).
    pub async fn current_step(&self) -> Result<Option<String>> {
        Ok(self
            .js(&format!("return {CURRENT_STEP};"))
            .await?
            .as_str()
            .map(str::to_owned))
    }

    /// Shows step `id` by pressing Down, as the presenter does.
    pub async fn go_to_step(&self, id: &str) -> Result<()> {
        for _ in 0..30 {
            if self.current_step().await?.as_deref() == Some(id) {
                return Ok(());
            }
            self.next_step().await?;
        }
        bail!("step {id} not reached")
    }

    /// Presses Down, as the presenter moves on, and waits for the next step's title;
    /// returns the title it left.
    pub async fn next_step(&self) -> Result<String> {
        let before = self.text("#step-title").await?;
        self.press(Key::Down).await?;
        self.wait_for(
            "the next step",
            &format!("document.getElementById('step-title').innerText !== {before:?}"),
            UI_TIMEOUT,
        )
        .await
        .with_context(|| format!("no step after {before:?}"))?;
        Ok(before)
    }

    /// Presses Ctrl+`c` as a user would (to the focused element).
    pub async fn ctrl(&self, c: char) -> Result<()> {
        self.chord(&[Key::Control], c).await
    }

    /// Presses `c` with the modifier keys `mods` held (Ctrl+Alt+=, Shift+T), as a user would.
    pub async fn chord(&self, mods: &[Key], c: char) -> Result<()> {
        let mut seq = KeyActions::new("keyboard".into());
        for &m in mods {
            seq = seq.then(KeyAction::Down { value: m.into() });
        }
        seq = seq
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
        for &m in mods.iter().rev() {
            seq = seq.then(KeyAction::Up { value: m.into() });
        }
        within(
            &format!("pressing {c:?} with {} modifier(s)", mods.len()),
            COMMAND_TIMEOUT,
            self.client.perform_actions(seq),
        )
        .await
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
    ///
    /// Taken from the X display with ImageMagick's `import` (WebKitWebDriver's own screenshot
    /// command never answered under Xvfb here); WebDriver's is the fallback without DISPLAY.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.env.artifacts)?;
        let path = self.env.artifacts.join(format!("{name}.png"));
        // A window that does not paint (hidden, or the page hung) is still grabbed as it is.
        if let Err(e) = self.painted().await {
            let _ = std::io::stderr().write_all(format!("screenshot {name}: {e:#}\n").as_bytes());
        }
        if let Some(display) = std::env::var_os("DISPLAY").filter(|d| !d.is_empty()) {
            let out = tokio::process::Command::new("import")
                .arg("-display")
                .arg(&display)
                .args(["-window", "root"])
                .arg(&path)
                .output();
            let out = tokio::time::timeout(COMMAND_TIMEOUT, out)
                .await
                .context("`import` (ImageMagick) took too long to take a screenshot")?
                .context("running `import` (ImageMagick; `cargo xtask setup` installs it)")?;
            ensure!(
                out.status.success(),
                "`import -window root` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            let png = within(
                "taking a screenshot",
                COMMAND_TIMEOUT,
                self.client.screenshot(),
            )
            .await?;
            std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        }
        let head = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        ensure!(
            head.starts_with(b"\x89PNG"),
            "{} is not a PNG",
            path.display()
        );
        Ok(path)
    }

    /// Waits until the page has painted what its DOM holds now (two animation frames),
    /// so a grab of the display shows it and not the frame before.
    pub async fn painted(&self) -> Result<()> {
        const TWO_FRAMES: &str = "const done = arguments[arguments.length - 1]; \
             requestAnimationFrame(() => requestAnimationFrame(() => done(true)));";
        within(
            "waiting for the page to paint",
            UI_TIMEOUT,
            self.client.execute_async(TWO_FRAMES, vec![]),
        )
        .await
        .map(drop)
    }

    /// Titles of the X display's windows (the native title bar text), via `xwininfo`.
    pub fn window_titles() -> Result<Vec<String>> {
        let out = std::process::Command::new("xwininfo")
            .args(["-root", "-tree"])
            .output()
            .context("running `xwininfo` (Debian package x11-utils)")?;
        ensure!(
            out.status.success(),
            "xwininfo failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Lines look like: `0x1400003 "E2E Basic Demo — Cuedeck": ("cuedeck-app" ...)`.
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let start = l.find(" \"")? + 2;
                let end = start + l[start..].find("\":")?;
                Some(l[start..end].to_owned())
            })
            .collect())
    }

    /// Waits until a native window is titled exactly `title`.
    pub async fn wait_for_window_title(&self, title: &str, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        loop {
            let titles = Self::window_titles()?;
            if titles.iter().any(|t| t == title) {
                return Ok(());
            }
            if start.elapsed() > timeout {
                bail!("no window titled {title:?} after {timeout:?}; windows: {titles:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The standard deviation of a screenshot's pixels (0 = one flat colour, a blank window).
    pub fn contrast(png: &Path) -> Result<f64> {
        let out = std::process::Command::new("identify")
            .args(["-format", "%[fx:standard_deviation]"])
            .arg(png)
            .output()
            .context("running `identify` (ImageMagick)")?;
        ensure!(out.status.success(), "identify failed on {}", png.display());
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .with_context(|| format!("identify's answer for {}", png.display()))
    }

    /// The handle of the window this session drives now.
    pub async fn window(&self) -> Result<fantoccini::wd::WindowHandle> {
        within(
            "reading the window handle",
            COMMAND_TIMEOUT,
            self.client.window(),
        )
        .await
    }

    /// Waits for a window other than `known` (a new one the app opened) and returns it.
    pub async fn wait_for_new_window(
        &self,
        known: &fantoccini::wd::WindowHandle,
        timeout: Duration,
    ) -> Result<fantoccini::wd::WindowHandle> {
        let start = Instant::now();
        loop {
            let handles = within("listing windows", COMMAND_TIMEOUT, self.client.windows()).await?;
            if let Some(h) = handles.into_iter().find(|h| h != known) {
                return Ok(h);
            }
            if start.elapsed() > timeout {
                bail!("no second window after {timeout:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Presses A in the presenter's window, then drives the audience window it opens,
    /// once it has rendered; returns the presenter's handle, to switch back to.
    pub async fn open_audience(&self) -> Result<fantoccini::wd::WindowHandle> {
        let presenter = self.window().await?;
        self.press_char('a').await?;
        let audience = self.wait_for_new_window(&presenter, READY_TIMEOUT).await?;
        self.switch_to(&audience).await?;
        self.wait_ready().await?;
        Ok(presenter)
    }

    /// Makes `handle`'s window the one the next commands drive.
    pub async fn switch_to(&self, handle: &fantoccini::wd::WindowHandle) -> Result<()> {
        within(
            "switching windows",
            COMMAND_TIMEOUT,
            self.client.switch_to_window(handle.clone()),
        )
        .await
    }

    /// Ends the session (tauri-driver then stops the app).
    pub async fn close(self) -> Result<()> {
        let what = format!("closing the WebDriver session of `{}`", self.name);
        within(&what, COMMAND_TIMEOUT, self.client.close()).await
    }
}

/// A JS expression: the health light of `service` shows `health` (up, down, ...).
pub fn light_is(service: &str, health: &str) -> String {
    format!(
        "(() => {{ const l = document.querySelector('#health .light[data-service=\"{service}\"]'); \
         return l !== null && l.dataset.health === '{health}'; }})()"
    )
}

/// A JS expression: the badge of block `block` is in one of `states`.
pub fn status_is(block: &str, states: &[&str]) -> String {
    let wanted: Vec<String> = states.iter().map(|s| format!("'{s}'")).collect();
    format!(
        "(() => {{ const s = document.querySelector('.cue-block[data-block=\"{block}\"] .status'); \
         return s !== null && [{}].includes(s.dataset.status); }})()",
        wanted.join(",")
    )
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

/// On the start page: clicks "Take the tour" and waits for the tour's steps. The tour
/// the app opens is its working copy in the data folder (`CUEDECK_DATA_DIR`, set by
/// xtask), which is returned.
pub async fn take_the_tour(app: &App) -> Result<PathBuf> {
    app.wait_for(
        "the start page's tour button",
        &visible_js("#start-tour"),
        READY_TIMEOUT,
    )
    .await?;
    app.click("#start-tour").await?;
    app.wait_for(
        "the tour's steps",
        "document.querySelectorAll('#steps li.step').length > 3 \
         && document.getElementById('runbook-title').innerText.includes('Cuedeck Tour')",
        READY_TIMEOUT,
    )
    .await?;
    let copy = stage_folder("CUEDECK_DATA_DIR")?
        .join("tour")
        .join("tour.md");
    anyhow::ensure!(
        copy.is_file(),
        "the tour's working copy {} was not made",
        copy.display()
    );
    Ok(copy)
}

/// A script that times, in the page and frame by frame from now, until terminal
/// `terminal` shows `last` on a line of its own with a prompt after it (the end of
/// `seq 1 LAST`): the milliseconds land in `window.__shownMs`, null until then. The
/// terminal may not exist yet. Each frame reads only the rows around the cursor:
/// reading the whole buffer every frame would slow the very thing timed.
pub fn time_until_shown_js(terminal: &str, last: u32) -> String {
    format!(
        "const near = (x) => {{ const b = x.buffer.active; const end = b.baseY + b.cursorY; \
           const rows = []; for (let y = Math.max(0, end - 3); y <= end; y++) \
             rows.push(b.getLine(y)?.translateToString(true) ?? ''); return rows.join('\\n'); }}; \
         const t0 = performance.now(); window.__shownMs = null; \
         const check = () => {{ const x = window.__cuedeckTerminals.xterm({terminal:?}); \
           if (x && /(^|\\n){last}\\n[^\\n]*\\S/.test(near(x))) \
             window.__shownMs = performance.now() - t0; \
           else requestAnimationFrame(check); }}; \
         requestAnimationFrame(check);"
    )
}

/// Checks that a terminal view's `text` ends with the output of `seq 1 LAST` (then the
/// prompt), and that the `kept` lines before its last one are seq's, in order: what a
/// view that drew every byte would hold in its scrollback.
pub fn check_seq_tail(text: &str, last: u32, kept: usize) -> Result<()> {
    let lines: Vec<&str> = text.lines().collect();
    let last_text = last.to_string();
    let Some(end) = lines.iter().rposition(|l| *l == last_text) else {
        bail!("the view does not show seq's last line {last}");
    };
    let tail = &lines[end.saturating_sub(kept - 1)..=end];
    let first: u32 = tail[0].parse().unwrap_or(0);
    let ok = first > 0
        && tail.len() == kept
        && tail
            .iter()
            .zip(first..=last)
            .all(|(line, n)| *line == n.to_string());
    ensure!(
        ok,
        "the {} lines before seq's last are not seq's last {kept} (from {first}): {:?}",
        tail.len(),
        tail.iter().take(5).collect::<Vec<_>>()
    );
    Ok(())
}

/// The app's preferences (recent runbooks, window places) in the stage's config folder.
pub fn prefs_store() -> Result<cuedeck_core::prefs::PrefsStore> {
    Ok(cuedeck_core::prefs::PrefsStore::at(&stage_folder(
        "CUEDECK_CONFIG_DIR",
    )?))
}

/// The folder `var` names: the e2e stage sets the app's config and data folders to its
/// own, so that no test reads or writes the user's trust decisions, preferences or data.
fn stage_folder(var: &str) -> Result<PathBuf> {
    std::env::var_os(var).map(PathBuf::from).with_context(|| {
        format!("{var} is not set: the e2e stage sets it, so that no test touches the user's own folder")
    })
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
    fn a_seq_tail_is_checked_line_by_line() {
        let text: String = (1..=300).map(|n| format!("{n}\n")).collect::<String>() + "$ ";
        assert!(check_seq_tail(&text, 300, 100).is_ok());
        assert!(check_seq_tail(&text, 300, 300).is_ok());
        assert!(
            check_seq_tail(&text, 300, 301).is_err(),
            "more lines than seq printed"
        );
        let gap = text.replace("\n250\n", "\n");
        assert!(check_seq_tail(&gap, 300, 100).is_err(), "a missing line");
        assert!(check_seq_tail(&text, 301, 10).is_err(), "no last line");
    }

    #[test]
    fn fixtures_are_in_tests_fixtures() {
        assert!(fixture("e2e-basic.md").exists());
    }
}
