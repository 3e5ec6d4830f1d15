//! `cargo xtask bench`: the core library's benchmarks (criterion and the custom
//! harnesses' tables), then the window benchmark (`tests/e2e/benches/window`) against
//! the release app in Xvfb, once with WebKit compositing off (the DOM renderer) and once
//! with it on (WebGL, on software GL here).

use crate::bundle::Profile;
use crate::e2e::{self, Compositing, Stage, APP_PACKAGE, E2E_PACKAGE};
use crate::process;
use crate::setup::{self, Purpose};
use crate::ui;
use crate::workspace::Workspace;
use anyhow::{Context, Result};
use std::path::PathBuf;

const RUN_WINDOW_BENCH: &[&str] = &[
    "bench",
    "--profile",
    "release",
    "-p",
    E2E_PACKAGE,
    "--bench",
    "window",
];

/// What `cargo xtask bench [ARGS..]` runs.
#[derive(Debug, PartialEq)]
pub enum Benches<'a> {
    /// `bench core [ARGS..]`, or `bench ARGS..` with other first words: only cargo bench
    /// of the core library, with ARGS passed through.
    Core(&'a [String]),
    /// `bench window`: only the window benchmark.
    Window,
    /// `bench`: both.
    All,
}

impl<'a> Benches<'a> {
    pub fn from_args(args: &'a [String]) -> Benches<'a> {
        match args.first().map(String::as_str) {
            None => Benches::All,
            Some("window") => Benches::Window,
            Some("core") => Benches::Core(&args[1..]),
            Some(_) => Benches::Core(args),
        }
    }
}

pub fn bench(ws: &Workspace, which: Benches) -> Result<()> {
    match which {
        Benches::Core(args) => core(ws, args),
        Benches::Window => window(ws),
        Benches::All => {
            core(ws, &[])?;
            window(ws)
        }
    }
}

fn core(ws: &Workspace, args: &[String]) -> Result<()> {
    let mut c = ws.cargo();
    c.args(["bench", "-p", "cuedeck-core"]).args(args);
    println!("==> {}", process::describe(&c));
    process::run(&mut c).context("benchmarks failed")?;
    let criterion: PathBuf = ws.target_dir()?.join("criterion");
    println!("\nbench: tables above are the custom harnesses' output");
    if criterion.exists() {
        println!(
            "bench: criterion results and HTML reports in {} (open report/index.html)",
            criterion.display()
        );
    }
    Ok(())
}

/// The window benchmark in both compositing modes; both tables again at the end.
fn window(ws: &Workspace) -> Result<()> {
    if !cfg!(target_os = "linux") {
        anyhow::bail!("the window benchmark needs Linux (Xvfb, tauri-driver, /proc)");
    }
    setup::setup(&ws.ui_dir(), Purpose::Bench, false)?;
    ui::npm(&ws.ui_dir(), "build")?;
    e2e::build_app(ws, Profile::Release)?;
    let app = ws.target_dir()?.join("release").join(APP_PACKAGE);
    let mut build = ws.cargo();
    // The release profile, not bench's own: the app's release build is reused.
    build.args(RUN_WINDOW_BENCH).arg("--no-run");
    println!("==> {}", process::describe(&build));
    process::run(&mut build).context("building the window benchmark")?;

    let out_dir = ws.target_dir()?.join("window-bench");
    let mut tables = Vec::new();
    for (label, compositing) in [
        ("compositing-off", Compositing::Off),
        ("compositing-on", Compositing::On),
    ] {
        let artifacts = out_dir.join(label);
        std::fs::create_dir_all(&artifacts)
            .with_context(|| format!("creating {}", artifacts.display()))?;
        let table = artifacts.join("table.txt");
        let stage = Stage::start(&artifacts, compositing)?;
        let mut cmd = ws.cargo();
        cmd.args(RUN_WINDOW_BENCH);
        stage.client_env(&mut cmd, &app, &artifacts);
        cmd.env("CUEDECK_BENCH_DRIVER_PID", stage.driver_pid().to_string())
            .env(
                "CUEDECK_BENCH_DISPLAY",
                format!("display {} {}", stage.display, e2e::XVFB_SCREEN),
            )
            .env("CUEDECK_BENCH_OUT", &table);
        let result = process::run(&mut cmd).context("the window benchmark failed");
        let stopped = stage.stop();
        result?;
        stopped?;
        tables.push(std::fs::read_to_string(&table).unwrap_or_default());
    }
    println!("\n{}", tables.join("\n"));
    println!(
        "bench: the window benchmark's tables are in {}",
        out_dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_benches() {
        let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(Benches::from_args(&[]), Benches::All);
        assert_eq!(Benches::from_args(&args("window")), Benches::Window);
        let core = args("core -- --save-baseline x");
        assert_eq!(Benches::from_args(&core), Benches::Core(&core[1..]));
        let plain = args("-- --save-baseline x");
        assert_eq!(Benches::from_args(&plain), Benches::Core(&plain));
    }
}
