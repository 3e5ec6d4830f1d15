//! The window benchmark: the real release app in Xvfb, driven through tauri-driver (both
//! started by `cargo xtask bench`), measured from outside through /proc (every app
//! process: the app and its WebKit processes) and inside the page (times of frames).
//!
//! It prints one table: `seq 1 3000000` until fully shown, against alacritty on the same
//! display and a bare PTY; idle CPU; PSS idle and at a `yes` flood's peak; keystroke to
//! echo; cold start. Each line says its goal and by how much it is met or missed.

mod runbooks;
mod services;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use cuedeck_e2e::procs;
use cuedeck_e2e::{
    check_seq_tail, light_is, status_is, time_until_shown_js, trust, App, Env, UI_TIMEOUT,
};
use fantoccini::key::Key;

const SEQ_LAST: u32 = 3_000_000;
/// The view's scrollback (VIEW_SCROLLBACK): the lines of seq it must keep.
const KEPT: usize = 5000;
const SEQ_RUNS: usize = 3;
const START_RUNS: usize = 5;
/// The presenter window's size in every run.
const WINDOW: (u32, u32) = (1280, 720);
/// Longer than the cursor's blink after the last activity (BLINK_FOR_MS, 5 s).
const SETTLE: Duration = Duration::from_secs(8);
const IDLE_FOR: Duration = Duration::from_secs(30);
const BASELINE_FOR: Duration = Duration::from_secs(15);
const FLOOD_SECONDS: u64 = 60;
const ECHO_KEYS: usize = 200;
/// How long a closed app's processes may take to end before they count as left over.
const LEFT_OVER_GRACE: Duration = Duration::from_secs(3);
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

const ENV_DRIVER_PID: &str = "CUEDECK_BENCH_DRIVER_PID";
const ENV_DISPLAY: &str = "CUEDECK_BENCH_DISPLAY";
const ENV_OUT: &str = "CUEDECK_BENCH_OUT";

/// One line of the table.
struct Row {
    what: String,
    measured: String,
    goal: String,
    verdict: String,
}

impl Row {
    fn new(what: impl Into<String>, measured: impl Into<String>) -> Row {
        Row {
            what: what.into(),
            measured: measured.into(),
            goal: String::new(),
            verdict: String::new(),
        }
    }

    /// The goal `value <= limit` (lower is better), and by how much it holds or not.
    fn at_most(mut self, value: f64, limit: f64, goal: impl Into<String>) -> Row {
        self.goal = goal.into();
        self.verdict = if value <= limit {
            "met".into()
        } else {
            format!("missed: {:.1}x the goal", value / limit)
        };
        self
    }

    fn holds(mut self, ok: bool, goal: impl Into<String>) -> Row {
        self.goal = goal.into();
        self.verdict = if ok { "met" } else { "NOT MET" }.into();
        self
    }
}

struct Bench {
    env: Env,
    driver: u32,
    dir: PathBuf,
    rows: Vec<Row>,
    /// What the page reported of its terminals (renderer, grid).
    renderer: String,
    grid: (u64, u64),
    /// The idle baseline, measured in the seq runs, shown under the idle line.
    baseline: Option<Row>,
    /// App sessions closed, and WebKit processes that outlived theirs (killed, so they
    /// take no CPU from the runs after).
    sessions: u32,
    left_over: Vec<String>,
}

fn main() -> ExitCode {
    let Some(env) = Env::or_skip("window benchmark") else {
        return ExitCode::SUCCESS;
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("window bench: no tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(env)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("window bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(env: Env) -> Result<()> {
    let driver: u32 = std::env::var(ENV_DRIVER_PID)
        .ok()
        .and_then(|v| v.parse().ok())
        .with_context(|| {
            format!("{ENV_DRIVER_PID} (tauri-driver's pid) is not set: run `cargo xtask bench`")
        })?;
    let dir = std::env::temp_dir().join(format!("cuedeck-window-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut bench = Bench {
        env,
        driver,
        dir: dir.clone(),
        rows: Vec::new(),
        renderer: "?".into(),
        grid: (0, 0),
        baseline: None,
        sessions: 0,
        left_over: Vec::new(),
    };
    let result = bench.all().await;
    let _ = std::fs::remove_dir_all(&dir);
    let table = bench.table();
    println!("{table}");
    if let Ok(out) = std::env::var(ENV_OUT) {
        std::fs::write(&out, &table).with_context(|| format!("writing {out}"))?;
    }
    result
}

impl Bench {
    /// Ends the app's WebDriver session, then waits for its processes to end. WebKit
    /// processes that outlive the app (seen under WebKitWebDriver: web processes going
    /// on at 18 % of a core each after their app was gone) are killed and counted, so
    /// the runs after them are not measured on a busier machine.
    async fn close(&mut self, app: App) -> Result<()> {
        let pids: Vec<(u32, String)> = procs::find_app(self.driver)
            .map(|pid| {
                procs::app_processes(pid)
                    .into_iter()
                    .map(|p| (p.pid, p.comm))
                    .collect()
            })
            .unwrap_or_default();
        app.close().await?;
        self.sessions += 1;
        let only: Vec<u32> = pids.iter().map(|(pid, _)| *pid).collect();
        let left = procs::kill_left_over(&only, LEFT_OVER_GRACE);
        for (pid, comm) in pids.iter().filter(|(pid, _)| left.contains(pid)) {
            eprintln!("window bench: {comm} ({pid}) outlived its app; killed");
            self.left_over.push(comm.clone());
        }
        Ok(())
    }

    async fn all(&mut self) -> Result<()> {
        self.seq().await?;
        self.idle_echo_and_flood().await?;
        self.cold_start().await
    }

    /// Starts the app on `runbook`, trusted, with the window at its benchmark size.
    async fn launch(&self, name: &str, runbook: &Path) -> Result<App> {
        trust(runbook)?;
        let app = App::launch(&self.env, name, runbook).await?;
        app.client()
            .set_window_size(WINDOW.0, WINDOW.1)
            .await
            .context("sizing the window")?;
        app.wait_ready().await?;
        Ok(app)
    }

    /// `seq 1 3000000`: from the key to the frame that shows its last line and the
    /// prompt, timed in the page; then the kept scrollback is checked line by line.
    async fn seq(&mut self) -> Result<()> {
        let runbook = runbooks::seq(&self.dir, SEQ_LAST)?;
        let mut shown = Vec::new();
        let mut resyncs = Vec::new();
        let mut all_equal = true;
        for run in 0..SEQ_RUNS {
            let app = self.launch("bench-seq", &runbook).await?;
            let mut outcome = self.one_seq(&app).await;
            if run == 0 && outcome.is_ok() {
                if let Err(e) = self.idle_baseline(&app).await {
                    outcome = Err(e);
                }
            }
            self.close(app).await?;
            let (ms, resynced, equal) = outcome.with_context(|| format!("seq run {}", run + 1))?;
            eprintln!(
                "seq run {}: {ms:.0} ms, {resynced} resyncs, tail equal: {equal}",
                run + 1
            );
            shown.push(ms);
            resyncs.push(resynced);
            all_equal &= equal;
        }
        let ours = median(&shown);
        self.rows.push(Row::new(
            format!("seq 1 {SEQ_LAST}: key to fully shown (median of {SEQ_RUNS})"),
            format!(
                "{:.2} s  (runs {}; resyncs {:?})",
                ours / 1000.0,
                seconds(&shown),
                resyncs
            ),
        ));
        self.rows.push(
            Row::new(
                format!("  the view's last {KEPT} lines are seq's"),
                if all_equal { "yes" } else { "no" },
            )
            .holds(all_equal, "every run"),
        );
        let (cols, rows) = self.grid;
        match baseline_alacritty(&self.dir, cols, rows)? {
            Some(times) => {
                let theirs = median(&times);
                self.rows.push(Row::new(
                    format!("  alacritty, same display, {cols}x{rows} (median of {SEQ_RUNS})"),
                    format!("{:.2} s  (runs {})", theirs / 1000.0, seconds(&times)),
                ));
                let ratio = ours / theirs;
                self.rows.push(
                    Row::new("  ratio to alacritty", format!("{ratio:.2}x"))
                        .at_most(ratio, 0.5, "<= 0.5x"),
                );
            }
            None => self.rows.push(Row::new(
                "  alacritty, same display",
                "not installed (apt install alacritty): no ratio",
            )),
        }
        let floor = baseline_bare_pty()?;
        self.rows.push(Row::new(
            "  seq into a bare PTY read by `script` (the floor)",
            format!(
                "{:.2} s  (runs {})",
                median(&floor) / 1000.0,
                seconds(&floor)
            ),
        ));
        Ok(())
    }

    /// One timed run: (ms to fully shown, resyncs, tail equal).
    async fn one_seq(&mut self, app: &App) -> Result<(f64, u64, bool)> {
        // The warm-up step starts the shell, so the timed run starts at its prompt.
        app.press(Key::Enter).await?;
        app.wait_for(
            "the warm-up step",
            &status_is("warm-up-1", &["ok"]),
            RUN_TIMEOUT,
        )
        .await?;
        app.next_step().await?;
        app.js(&time_until_shown_js("main", SEQ_LAST)).await?;
        app.press(Key::Enter).await?;
        let ms = app
            .wait_for(
                "seq's last line and the prompt, shown",
                "window.__shownMs",
                RUN_TIMEOUT,
            )
            .await?
            .as_f64()
            .unwrap_or(f64::NAN);
        app.wait_for(
            "seq to end ok",
            &status_is("count-far-1", &["ok"]),
            UI_TIMEOUT,
        )
        .await?;
        let facts = app
            .js(
                "const t = window.__cuedeckTerminals; const x = t.xterm('main'); \
                 return [t.read('main'), t.resyncs('main'), t.renderer('main'), x.cols, x.rows];",
            )
            .await?;
        let text = facts[0].as_str().unwrap_or_default();
        let equal = match check_seq_tail(text, SEQ_LAST, KEPT) {
            Ok(()) => true,
            Err(e) => {
                eprintln!("seq: {e:#}");
                false
            }
        };
        self.renderer = facts[2].as_str().unwrap_or("?").to_owned();
        self.grid = (
            facts[3].as_u64().unwrap_or(0),
            facts[4].as_u64().unwrap_or(0),
        );
        Ok((ms, facts[1].as_u64().unwrap_or(0), equal))
    }

    /// The baseline of the idle figures: the same app with one terminal, after seq, and
    /// nothing polled or charted.
    async fn idle_baseline(&mut self, app: &App) -> Result<()> {
        let pid = procs::find_app(self.driver)?;
        let used = idle_cpu(app, pid, BASELINE_FOR).await?;
        self.baseline = Some(Row::new(
            format!(
                "  baseline: one terminal, nothing polled, {} s",
                BASELINE_FOR.as_secs()
            ),
            core_share(&used, 2),
        ));
        Ok(())
    }

    /// Idle with three terminals, five probes at 1 Hz and the charts; then keystroke to
    /// echo; then the memory at the peak of a `yes` flood.
    async fn idle_echo_and_flood(&mut self) -> Result<()> {
        let services = services::Services::start()?;
        let runbook = runbooks::idle(&self.dir, services.port, FLOOD_SECONDS)?;
        let app = self.launch("bench-idle", &runbook).await?;
        let result = self.on_idle_app(&app).await;
        self.close(app).await?;
        ensure!(
            services.answered.load(std::sync::atomic::Ordering::Relaxed) > 0,
            "the probes never reached the benchmark's services"
        );
        result
    }

    async fn on_idle_app(&mut self, app: &App) -> Result<()> {
        let pid = procs::find_app(self.driver)?;
        let bare = procs::pss(pid);
        for (step, block) in [
            ("t1", "first-terminal-1"),
            ("t2", "second-terminal-1"),
            ("t3", "third-terminal-1"),
        ] {
            app.press(Key::Enter).await?;
            app.wait_for(
                &format!("the step in {step}"),
                &status_is(block, &["ok"]),
                RUN_TIMEOUT,
            )
            .await?;
            app.next_step().await?;
        }
        for service in ["gateway", "orders", "payments", "search"] {
            app.wait_for(
                &format!("{service} up"),
                &light_is(service, "up"),
                RUN_TIMEOUT,
            )
            .await?;
        }
        app.wait_for(
            "the charts to draw",
            "document.querySelectorAll('#charts canvas, .chart canvas').length > 0",
            RUN_TIMEOUT,
        )
        .await?;
        let idle = idle_cpu(app, pid, IDLE_FOR).await?;
        let total = idle.values().sum::<f64>();
        let limit = if compositing() { 2.0 } else { 1.0 };
        self.rows.push(
            Row::new(
                format!(
                    "idle CPU, all app processes, {} s (3 terminals, 5 probes at 1 Hz, charts)",
                    IDLE_FOR.as_secs()
                ),
                core_share(&idle, 2),
            )
            .at_most(total, limit, format!("< {limit:.0} %")),
        );
        if let Some(baseline) = self.baseline.take() {
            self.rows.push(baseline);
        }
        let rest = procs::pss(pid);
        let rest_mb = mb(rest.values().sum());
        self.rows.push(
            Row::new("PSS idle, all app processes", megabytes(&rest))
                .at_most(rest_mb, 200.0, "< 200 MB"),
        );
        self.rows.push(Row::new(
            "  before the first terminal, probes just started",
            megabytes(&bare),
        ));
        self.echo(app).await?;
        self.flood(app, pid).await
    }

    /// Keystroke to echo, in the page, over `ECHO_KEYS` keys typed one at a time at the
    /// prompt of t3: from the keydown's timestamp to the write that moved the cursor
    /// (the echo has reached the view) and to the frame that drew it (xterm's onRender).
    async fn echo(&mut self, app: &App) -> Result<()> {
        app.js(
            "const x = window.__cuedeckTerminals.xterm('t3'); x.focus(); \
             const at = () => { const b = x.buffer.active; return (b.baseY + b.cursorY) * 10000 + b.cursorX; }; \
             const e = window.__benchEcho = { arrived: [], drawn: [], pending: null }; \
             x.textarea.addEventListener('keydown', (k) => { \
               if (k.key.length === 1 && !k.ctrlKey) e.pending = { t: k.timeStamp, at: at(), arrived: null }; }, true); \
             x.onWriteParsed(() => { const p = e.pending; \
               if (p && p.arrived === null && at() !== p.at) p.arrived = performance.now(); }); \
             x.onRender(() => { const p = e.pending; \
               if (p && at() !== p.at) { const now = performance.now(); \
                 e.arrived.push((p.arrived ?? now) - p.t); e.drawn.push(now - p.t); e.pending = null; } });",
        )
        .await?;
        let letters: Vec<char> = ('a'..='z').collect();
        for i in 0..ECHO_KEYS {
            app.press_char(letters[i % letters.len()]).await?;
            app.wait_for(
                "the key's echo",
                &format!("window.__benchEcho.drawn.length > {i}"),
                UI_TIMEOUT,
            )
            .await?;
        }
        // Read before Ctrl+U, whose line redraw is drawn at once too.
        let at_once = app
            .js("return window.__cuedeckTerminals.echoesDrawnAtOnce('t3')")
            .await?
            .as_u64()
            .unwrap_or(0);
        app.ctrl('u').await?;
        let read = |v: &serde_json::Value| -> Vec<f64> {
            let mut ms: Vec<f64> = v
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
                .unwrap_or_default();
            ms.sort_by(f64::total_cmp);
            ms
        };
        let drawn = read(&app.js("return window.__benchEcho.drawn").await?);
        let arrived = read(&app.js("return window.__benchEcho.arrived").await?);
        ensure!(
            drawn.len() == ECHO_KEYS,
            "{} echoes timed of {ECHO_KEYS} keys",
            drawn.len()
        );
        let p99 = percentile(&drawn, 99.0);
        self.rows.push(
            Row::new(
                format!("keystroke to echo drawn, in the page ({ECHO_KEYS} keys)"),
                format!(
                    "p50 {:.1} ms, p99 {p99:.1} ms, max {:.1} ms",
                    percentile(&drawn, 50.0),
                    drawn[drawn.len() - 1]
                ),
            )
            .at_most(p99, 8.0, "p99 < 8 ms"),
        );
        self.rows.push(Row::new(
            "  of which to the echo written into the view",
            format!(
                "p50 {:.1} ms, p99 {:.1} ms; {at_once} of {ECHO_KEYS} echoes drawn at once, \
                 not on the next frame",
                percentile(&arrived, 50.0),
                percentile(&arrived, 99.0)
            ),
        ));
        Ok(())
    }

    /// `yes` for a minute in t1: PSS sampled every 250 ms, its peak kept.
    async fn flood(&mut self, app: &App, pid: u32) -> Result<()> {
        blur(app).await?;
        app.press(Key::Enter).await?;
        app.wait_for(
            "the flood to start",
            &status_is("flood-1", &["running"]),
            UI_TIMEOUT,
        )
        .await?;
        let started = Instant::now();
        let before = procs::cpu_ticks(pid);
        let mut peak: HashMap<&'static str, u64> = HashMap::new();
        while started.elapsed() < Duration::from_secs(FLOOD_SECONDS + 30) {
            let now = procs::pss(pid);
            if now.values().sum::<u64>() > peak.values().sum::<u64>() {
                peak = now;
            }
            let running = app
                .js(&format!("return {}", status_is("flood-1", &["running"])))
                .await?;
            if running != serde_json::Value::Bool(true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let took = started.elapsed();
        let cpu = cpu_percent(&before, &procs::cpu_ticks(pid), took);
        let peak_mb = mb(peak.values().sum());
        self.rows.push(
            Row::new(
                format!("PSS at the peak of a {FLOOD_SECONDS} s `yes` flood"),
                megabytes(&peak),
            )
            .at_most(peak_mb, 300.0, "< 300 MB"),
        );
        self.rows.push(Row::new(
            "  CPU during the flood, all app processes",
            core_share(&cpu, 0),
        ));
        let resyncs = app
            .js("return window.__cuedeckTerminals.resyncs('t1')")
            .await?;
        self.rows.push(Row::new(
            "  resyncs of the view during the flood",
            format!("{resyncs} in {:.0} s", took.as_secs_f64()),
        ));
        let after = procs::pss(pid);
        self.rows
            .push(Row::new("  PSS after the flood", megabytes(&after)));
        Ok(())
    }

    /// From the app's process start to the frame that first shows the runbook; the
    /// first run, then the median of the rest.
    async fn cold_start(&mut self) -> Result<()> {
        let runbook = runbooks::seq(&self.dir, 1)?;
        trust(&runbook)?;
        let mut total = Vec::new();
        let mut to_page = Vec::new();
        let mut scripts_loaded = Vec::new();
        for _ in 0..START_RUNS {
            let app = App::launch(&self.env, "bench-start", &runbook).await?;
            let timed = async {
                let v = app
                    .wait_for(
                        "the runbook's first frame",
                        "document.body && document.body.dataset.shownAt ? \
                         [Number(document.body.dataset.shownAt), performance.timeOrigin, \
                          performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd ?? 0] : null",
                        RUN_TIMEOUT,
                    )
                    .await?;
                let pid = procs::find_app(self.driver)?;
                let started = procs::started_at_epoch_ms(pid)?;
                let (shown, origin) = (v[0].as_f64().unwrap_or(f64::NAN), v[1].as_f64().unwrap_or(f64::NAN));
                let loaded = v[2].as_f64().unwrap_or(f64::NAN);
                Ok::<_, anyhow::Error>((shown - started, origin - started, loaded))
            }
            .await;
            self.close(app).await?;
            let (t, p, l) = timed?;
            total.push(t);
            to_page.push(p);
            scripts_loaded.push(l);
        }
        let first = total[0];
        let warm = median(&total[1..]);
        self.rows.push(
            Row::new(
                "cold start: process start to the runbook's first frame",
                format!(
                    "{first:.0} ms first, {warm:.0} ms median of the next {} (the page starts loading at \
                     {:.0} ms, its scripts are loaded {:.0} ms later)",
                    START_RUNS - 1,
                    median(&to_page[1..]),
                    median(&scripts_loaded[1..])
                ),
            )
            .at_most(warm, 500.0, "< 500 ms"),
        );
        Ok(())
    }

    fn table(&self) -> String {
        let compositing = if compositing() { "on" } else { "off" };
        let mut out = format!(
            "\nwindow benchmark: release app, {} (Xvfb, no GPU), window {}x{}, WebKit compositing {compositing}, \
             terminal renderer {}\nmachine: {}\n\n",
            std::env::var(ENV_DISPLAY).unwrap_or_else(|_| "display ?".into()),
            WINDOW.0,
            WINDOW.1,
            self.renderer,
            procs::machine(),
        );
        let width = |f: fn(&Row) -> &str| {
            self.rows
                .iter()
                .map(|r| f(r).chars().count())
                .max()
                .unwrap_or(0)
        };
        let (w0, w1, w2) = (
            width(|r| &r.what),
            width(|r| &r.measured),
            width(|r| &r.goal),
        );
        let mut kinds = self.left_over.clone();
        kinds.sort();
        kinds.dedup();
        out.push_str(&format!(
            "{} app sessions; of the WebKit processes under the app before each close, left after it (killed): {}\n\n",
            self.sessions,
            if self.left_over.is_empty() {
                "none".to_owned()
            } else {
                format!("{} ({})", self.left_over.len(), kinds.join(", "))
            }
        ));
        for r in &self.rows {
            out.push_str(&format!(
                "{:w0$}  {:w1$}  {:w2$}  {}\n",
                r.what, r.measured, r.goal, r.verdict
            ));
        }
        out
    }
}

/// Whether WebKit composites in this run (xtask sets WEBKIT_DISABLE_COMPOSITING_MODE
/// for the run with it off).
fn compositing() -> bool {
    std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
}

/// Takes the focus from every element, so no cursor blinks and keys go to the show.
async fn blur(app: &App) -> Result<()> {
    app.js("document.activeElement && document.activeElement.blur()")
        .await
        .map(drop)
}

/// What the app's processes use at rest over `over`, per part: nothing focused (no
/// cursor blinks), after a settle longer than the blink that follows activity.
async fn idle_cpu(app: &App, pid: u32, over: Duration) -> Result<HashMap<&'static str, f64>> {
    blur(app).await?;
    tokio::time::sleep(SETTLE).await;
    let before = procs::cpu_ticks(pid);
    tokio::time::sleep(over).await;
    Ok(cpu_percent(&before, &procs::cpu_ticks(pid), over))
}

/// alacritty running `seq` in a window of the view's grid, timed in its own shell
/// (from just before seq to just after it: alacritty's parse and draw set the pace).
/// `None` when alacritty is not installed.
fn baseline_alacritty(dir: &Path, cols: u64, rows: u64) -> Result<Option<Vec<f64>>> {
    let alacritty = Path::new("/usr/bin/alacritty");
    if !procs::executable(alacritty) {
        return Ok(None);
    }
    let config = dir.join("alacritty.yml");
    std::fs::write(&config, "# defaults\n").context("writing alacritty's config")?;
    let mut times = Vec::new();
    for run in 0..SEQ_RUNS {
        let out = dir.join(format!("alacritty-{run}.ns"));
        let script = format!(
            "t0=$(date +%s%N); seq 1 {SEQ_LAST}; t1=$(date +%s%N); echo $((t1 - t0)) > '{}'",
            out.display()
        );
        let mut child = Command::new(alacritty)
            .arg("--config-file")
            .arg(&config)
            .args(["-o", &format!("window.dimensions.columns={cols}")])
            .args(["-o", &format!("window.dimensions.lines={rows}")])
            .args(["-e", "sh", "-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting alacritty")?;
        let started = Instant::now();
        while child.try_wait()?.is_none() {
            if started.elapsed() > RUN_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                bail!("alacritty did not finish seq within {RUN_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let ns: f64 = std::fs::read_to_string(&out)
            .with_context(|| format!("alacritty's timing {}", out.display()))?
            .trim()
            .parse()
            .context("alacritty's timing is not a number")?;
        times.push(ns / 1e6);
    }
    Ok(Some(times))
}

/// `seq` into a PTY that `script` copies to /dev/null: what reading a PTY costs at all.
fn baseline_bare_pty() -> Result<Vec<f64>> {
    let mut times = Vec::new();
    for _ in 0..SEQ_RUNS {
        let started = Instant::now();
        let status = Command::new("script")
            .args(["-qfec", &format!("seq 1 {SEQ_LAST}"), "/dev/null"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("running `script` (util-linux)")?;
        ensure!(status.success(), "`script -c seq` failed: {status}");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(times)
}

fn cpu_percent(
    before: &HashMap<&'static str, u64>,
    after: &HashMap<&'static str, u64>,
    over: Duration,
) -> HashMap<&'static str, f64> {
    after
        .iter()
        .map(|(part, t)| {
            let used = t.saturating_sub(before.get(part).copied().unwrap_or(0));
            (
                *part,
                used as f64 / procs::ticks_per_second() / over.as_secs_f64() * 100.0,
            )
        })
        .collect()
}

/// "app 0.9, web 1.3, network 0.0" in a fixed order.
fn by_part<T>(values: &HashMap<&'static str, T>, show: impl Fn(&T) -> String) -> String {
    ["app", "web", "network", "webkit other"]
        .iter()
        .filter_map(|p| values.get(p).map(|v| format!("{p} {}", show(v))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "2.77 % of a core  (app 1.13, web 1.63, network 0.00)", to `digits` decimals.
fn core_share(percent: &HashMap<&'static str, f64>, digits: usize) -> String {
    format!(
        "{:.digits$} % of a core  ({})",
        percent.values().sum::<f64>(),
        by_part(percent, |v| format!("{v:.digits$}"))
    )
}

/// "274 MB  (app 106, web 139, network 29)" from PSS in KiB.
fn megabytes(pss: &HashMap<&'static str, u64>) -> String {
    format!(
        "{:.0} MB  ({})",
        mb(pss.values().sum()),
        by_part(pss, |v| format!("{:.0}", mb(*v)))
    )
}

fn mb(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn seconds(ms: &[f64]) -> String {
    ms.iter()
        .map(|m| format!("{:.2}", m / 1000.0))
        .collect::<Vec<_>>()
        .join(", ")
}
