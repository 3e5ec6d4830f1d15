//! The end-to-end stage: Xvfb + tauri-driver (+ WebKitWebDriver) + the e2e test crate.
//!
//! Xvfb picks its own free display (`-displayfd`), tauri-driver is started once on port 4444
//! with WebKitWebDriver on 4445, and both are stopped with everything they started, on
//! success, failure or Ctrl-C (see `process::Background`).

use crate::bundle::Profile;
use crate::process::{self, Background};
use crate::setup::{self, RealProbe};
use crate::workspace::Workspace;
use anyhow::{bail, Context, Result};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub const DRIVER_PORT: u16 = 4444;
pub const NATIVE_PORT: u16 = 4445;
pub const APP_PACKAGE: &str = "cuedeck-app";
pub const E2E_PACKAGE: &str = "cuedeck-e2e";
pub const CLI_PACKAGE: &str = "cuedeck-core";
/// Xvfb's screen: room for a 1920x1080 window.
pub const XVFB_SCREEN: &str = "1920x1080x24";

/// Names of the processes the e2e stage may start (as /proc shows them, 15 chars at most).
const OURS: &[&str] = &[
    "Xvfb",
    "tauri-driver",
    "WebKitWebDriver",
    "cuedeck-app",
    // `cuedeck demo-service`, started by runbooks the tests run.
    "cuedeck",
    "WebKitWebProces",
    "WebKitNetworkPr",
];

pub fn artifacts_dir(ws: &Workspace) -> PathBuf {
    ws.root.join("tests").join("e2e").join("artifacts")
}

/// Builds the app so that it serves the built UI (not Vite's dev server: the app's
/// default feature `custom-protocol`), and the `cuedeck` CLI beside it, which the
/// app's terminals find on PATH (runbooks call `cuedeck demo-service`).
pub fn build_app(ws: &Workspace, profile: Profile) -> Result<()> {
    let mut cmd = ws.cargo();
    cmd.args(["build", "-p", APP_PACKAGE, "-p", CLI_PACKAGE, "--bins"]);
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    println!("==> {}", process::describe(&cmd));
    process::run(&mut cmd).context("building the app")
}

/// Starts Xvfb on a display it chooses itself and returns it with the display name (":99").
fn start_xvfb(artifacts: &Path) -> Result<(Background, String)> {
    use std::io::Read;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;

    let xvfb = process::which("Xvfb").context(
        "Xvfb not found on PATH (Debian package `xvfb`; `cargo xtask setup` installs it)",
    )?;
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fds we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        bail!("pipe2 failed: {}", std::io::Error::last_os_error());
    }
    // SAFETY: both fds were just created and are owned by nobody else.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let wfd = write_end.as_raw_fd();
    let mut cmd = Command::new(xvfb);
    cmd.arg("-displayfd").arg(wfd.to_string()).args([
        "-screen",
        "0",
        XVFB_SCREEN,
        "-nolisten",
        "tcp",
        "-noreset",
    ]);
    // SAFETY: fcntl is async-signal-safe; it lets the child inherit the pipe's write end.
    unsafe {
        cmd.pre_exec(move || {
            if libc::fcntl(wfd, libc::F_SETFD, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut bg = Background::spawn("Xvfb", &mut cmd, &artifacts.join("xvfb.log"))?;
    drop(write_end);
    // Xvfb writes "N\n" once it accepts connections; EOF means it died.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut f = std::fs::File::from(read_end);
        let mut s = String::new();
        let mut buf = [0u8; 16];
        while let Ok(n) = f.read(&mut buf) {
            if n == 0 {
                break;
            }
            s.push_str(&String::from_utf8_lossy(&buf[..n]));
            if s.contains('\n') {
                break;
            }
        }
        let _ = tx.send(s);
    });
    let text = rx
        .recv_timeout(Duration::from_secs(30))
        .context("Xvfb did not report a display within 30 s")?;
    let n: u32 = match text.trim().parse() {
        Ok(n) => n,
        Err(_) => {
            bg.check_alive()?;
            bail!("Xvfb reported no display (got {text:?})");
        }
    };
    Ok((bg, format!(":{n}")))
}

fn start_tauri_driver(
    artifacts: &Path,
    display: &str,
    compositing: Compositing,
) -> Result<Background> {
    let driver = setup::find_tauri_driver(&RealProbe).context(
        "tauri-driver not found on PATH or in ~/.cargo/bin (`cargo install tauri-driver --locked`; \
         `cargo xtask setup` does it)",
    )?;
    let native = process::which("WebKitWebDriver").context(
        "WebKitWebDriver not found on PATH (Debian package `webkit2gtk-driver`; `cargo xtask setup` \
         installs it)",
    )?;
    for port in [DRIVER_PORT, NATIVE_PORT] {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        if process::port_in_use(addr) {
            bail!(
                "port {port} is already in use: another tauri-driver or WebDriver is running \
                 (stop it, e.g. find it with `ss -ltnp 'sport = :{port}'`)"
            );
        }
    }
    let mut cmd = Command::new(&driver);
    cmd.args(["--port", &DRIVER_PORT.to_string()])
        .args(["--native-port", &NATIVE_PORT.to_string()])
        .arg("--native-driver")
        .arg(&native);
    display_env(&mut cmd, display, compositing);
    let mut bg = Background::spawn(
        "tauri-driver",
        &mut cmd,
        &artifacts.join("tauri-driver.log"),
    )?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, DRIVER_PORT));
    let took = process::wait_for_port(addr, Duration::from_secs(30), || bg.check_alive())
        .context("waiting for tauri-driver to listen")?;
    println!(
        "e2e: tauri-driver listening on {addr} after {} ms",
        took.as_millis()
    );
    Ok(bg)
}

/// The config folder the app and the tests use in this stage: trust decisions, recent
/// runbooks and window placements land there, never in the user's own
/// `~/.config/cuedeck`.
fn config_dir() -> PathBuf {
    std::env::temp_dir().join(format!("cuedeck-e2e-config-{}", std::process::id()))
}

/// The data folder of this stage (the tour's working copy), not `~/.local/share/cuedeck`.
fn data_dir() -> PathBuf {
    std::env::temp_dir().join(format!("cuedeck-e2e-data-{}", std::process::id()))
}

/// What the app (started by WebKitWebDriver, started by tauri-driver) needs to show a
/// window, and its config folder.
fn display_env(cmd: &mut Command, display: &str, compositing: Compositing) {
    cmd.env("CUEDECK_CONFIG_DIR", config_dir())
        .env("CUEDECK_DATA_DIR", data_dir())
        .env("DISPLAY", display)
        .env("GDK_BACKEND", "x11")
        .env_remove("WAYLAND_DISPLAY");
    match compositing {
        // Blank window under Xvfb otherwise (tauri #15936).
        Compositing::Off => cmd.env("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        Compositing::On => cmd.env_remove("WEBKIT_DISABLE_COMPOSITING_MODE"),
    };
}

/// Whether WebKit composites (GPU-style layers, drawn by software GL under Xvfb). The
/// tests run with it off: under Xvfb the window stays blank otherwise (tauri #15936).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compositing {
    Off,
    On,
}

/// Xvfb and tauri-driver (which starts WebKitWebDriver, which starts the app), up
/// together; [`Stage::stop`] stops them with everything they started.
pub struct Stage {
    xvfb: Background,
    driver: Background,
    pub display: String,
    compositing: Compositing,
}

impl Stage {
    pub fn start(artifacts: &Path, compositing: Compositing) -> Result<Stage> {
        let (xvfb, display) = start_xvfb(artifacts)?;
        println!("e2e: Xvfb on display {display} (pid {})", xvfb.pid());
        let driver = start_tauri_driver(artifacts, &display, compositing)?;
        Ok(Stage {
            xvfb,
            driver,
            display,
            compositing,
        })
    }

    pub fn driver_pid(&self) -> u32 {
        self.driver.pid()
    }

    /// What a client of the driver (the e2e tests, the window benchmark) is told: the
    /// app, the driver's address, where artifacts go, and the display and folders the
    /// app gets.
    pub fn client_env(&self, cmd: &mut Command, app: &Path, artifacts: &Path) {
        display_env(cmd, &self.display, self.compositing);
        cmd.env("CUEDECK_E2E_APP", app)
            .env(
                "CUEDECK_E2E_WEBDRIVER",
                format!("http://127.0.0.1:{DRIVER_PORT}"),
            )
            .env("CUEDECK_E2E_ARTIFACTS", artifacts);
        println!(
            "==> CUEDECK_E2E_APP={} CUEDECK_E2E_WEBDRIVER=http://127.0.0.1:{DRIVER_PORT} \
             CUEDECK_E2E_ARTIFACTS={} DISPLAY={} {}",
            app.display(),
            artifacts.display(),
            self.display,
            process::describe(cmd)
        );
    }

    /// Stops the driver and Xvfb, removes the stage's folders, and fails if any process
    /// of ours is left.
    pub fn stop(mut self) -> Result<()> {
        let stopped_driver = self.driver.stop();
        let stopped_xvfb = self.xvfb.stop();
        let _ = std::fs::remove_dir_all(config_dir());
        let _ = std::fs::remove_dir_all(data_dir());
        println!(
            "e2e: stopped {}",
            stopped_driver
                .iter()
                .chain(&stopped_xvfb)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        );
        let left = process::leftover(OURS);
        if !left.is_empty() {
            bail!(
                "processes left behind after the e2e stage: {}",
                left.join(", ")
            );
        }
        Ok(())
    }
}

/// Which end-to-end tests run, against which app.
pub enum Selection<'a> {
    /// The tests of the built app, or those whose name contains the filter.
    Built(Option<&'a str>),
    /// The installed app's test (`tests/install.rs`, ignored otherwise) against this binary.
    Installed(PathBuf),
}

/// Runs the e2e test crate against the app the selection names.
pub fn run(ws: &Workspace, selection: Selection) -> Result<()> {
    if !cfg!(target_os = "linux") {
        bail!(
            "the end-to-end tests need Linux (tauri-driver does not support macOS): \
             use `cargo xtask test --no-e2e` here"
        );
    }
    let app = match &selection {
        Selection::Built(_) => ws.binary(APP_PACKAGE)?,
        Selection::Installed(app) => app.clone(),
    };
    if !app.exists() {
        bail!(
            "{} not found: the app build stage did not produce it",
            app.display()
        );
    }
    let artifacts = artifacts_dir(ws);
    std::fs::create_dir_all(&artifacts)
        .with_context(|| format!("creating {}", artifacts.display()))?;

    // Compile first, so the driver is not started while cargo builds.
    let mut build = ws.cargo();
    build.args(["test", "-p", E2E_PACKAGE, "--no-run"]);
    println!("==> {}", process::describe(&build));
    process::run(&mut build).context("building the e2e tests")?;

    let stage = Stage::start(&artifacts, Compositing::Off)?;

    let mut cmd = ws.cargo();
    cmd.args(["test", "-p", E2E_PACKAGE]);
    match selection {
        Selection::Built(filter) => {
            cmd.arg("--");
            cmd.args(filter);
        }
        Selection::Installed(_) => {
            cmd.args(["--test", "install", "--", "--ignored"]);
        }
    }
    cmd.arg("--test-threads=1");
    stage.client_env(&mut cmd, &app, &artifacts);
    let result = process::run(&mut cmd).context("end-to-end tests failed");
    let stopped = stage.stop();
    if result.is_err() {
        eprintln!(
            "e2e: logs and screenshots in {} (tauri-driver.log, xvfb.log, *.png)",
            artifacts.display()
        );
    }
    result?;
    stopped?;
    println!(
        "e2e: artifacts (screenshots, logs) in {}",
        artifacts.display()
    );
    Ok(())
}
