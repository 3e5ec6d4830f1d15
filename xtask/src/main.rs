//! `cargo xtask`: Cuedeck's one entry point for set-up, build, test and bench.
//! CI runs `cargo xtask test` (through .ci/run), exactly what a developer runs.

mod bench;
mod bundle;
mod e2e;
mod install;
mod process;
mod setup;
mod stages;
mod ui;
mod workspace;

use anyhow::{bail, Context, Result};
use setup::Purpose;
use stages::Stages;
use workspace::Workspace;

const USAGE: &str = "\
cargo xtask <command> [options]

commands:
  run [RUNBOOK]     set up, build the UI and the app, open RUNBOOK (default runbooks/tour.md)
  test              set up, then fmt, UI typecheck/tests/build, clippy, Rust tests, app build,
                    end-to-end tests under Xvfb; stops at the first failure
  e2e [FILTER]      set up, build the UI and the app, run only the end-to-end tests
  setup             install what is missing (system packages, npm packages, tauri-driver)
  bundle [--debug]  build the app and the CLI (release) and the Debian package (.deb)
  install-test      build the debug .deb, install it, use the installed CLI and app, remove it
  bench             the core benchmarks, then the window benchmark (release app in Xvfb,
                    compositing off and on; alacritty beside it when installed)
  bench core [ARGS..]  only cargo bench -p cuedeck-core [ARGS..]
  bench window      only the window benchmark

options:
  --no-setup        (run, test, e2e) skip the set-up stage
  --no-e2e          (test) skip the end-to-end stage (macOS, or no display tools)
  --debug           (bundle) pack the debug build instead of the release build
  --dry-run         (setup) print what would be installed, change nothing
  --for run|test    (setup) install only what `run` needs, or everything (default: test)
";

fn main() {
    if let Err(e) = process::install_signal_handler() {
        eprintln!("warning: {e:#}");
    }
    if let Err(e) = real_main() {
        eprintln!("\nxtask: error: {e:#}");
        std::process::exit(1);
    }
}

struct Args {
    command: String,
    positional: Vec<String>,
    no_setup: bool,
    no_e2e: bool,
    dry_run: bool,
    debug: bool,
    purpose: Purpose,
}

fn parse_args(raw: Vec<String>) -> Result<Args> {
    let mut it = raw.into_iter();
    let command = it.next().unwrap_or_else(|| "help".into());
    let mut args = Args {
        command,
        positional: Vec::new(),
        no_setup: false,
        no_e2e: false,
        dry_run: false,
        debug: false,
        purpose: Purpose::Test,
    };
    let passthrough = args.command == "bench";
    while let Some(a) = it.next() {
        match a.as_str() {
            "--no-setup" if !passthrough => args.no_setup = true,
            "--no-e2e" if !passthrough => args.no_e2e = true,
            "--dry-run" if !passthrough => args.dry_run = true,
            "--debug" if !passthrough => args.debug = true,
            "--for" if !passthrough => {
                args.purpose = match it.next().as_deref() {
                    Some("run") => Purpose::Run,
                    Some("test") => Purpose::Test,
                    other => bail!("--for takes `run` or `test`, not {other:?}"),
                }
            }
            "-h" | "--help" if !passthrough => args.command = "help".into(),
            s if s.starts_with("--") && !passthrough => bail!("unknown option {s}\n\n{USAGE}"),
            _ => args.positional.push(a),
        }
    }
    Ok(args)
}

fn real_main() -> Result<()> {
    let args = parse_args(std::env::args().skip(1).collect())?;
    match args.command.as_str() {
        "help" => {
            print!("{USAGE}");
            Ok(())
        }
        "setup" => {
            let ws = Workspace::load()?;
            setup::setup(&ws.ui_dir(), args.purpose, args.dry_run)
        }
        "run" => run(&args),
        "test" => test(&args),
        "e2e" => e2e_only(&args),
        "bundle" => bundle_only(&args),
        "install-test" => install_only(&args),
        "bench" => bench(&args),
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

fn run(args: &Args) -> Result<()> {
    let ws = Workspace::load()?;
    if args.positional.len() > 1 {
        bail!("`run` takes at most one runbook, got {:?}", args.positional);
    }
    if !args.no_setup {
        setup::setup(&ws.ui_dir(), Purpose::Run, false)?;
    }
    let runbook = match args.positional.first() {
        Some(p) => std::path::absolute(p).with_context(|| format!("resolving {p}"))?,
        None => ws.root.join("runbooks").join("tour.md"),
    };
    if !runbook.exists() {
        bail!("runbook {} not found", runbook.display());
    }
    ui::npm(&ws.ui_dir(), "build")?;
    e2e::build_app(&ws, bundle::Profile::Debug)?;
    let app = ws.binary(e2e::APP_PACKAGE)?;
    let mut cmd = std::process::Command::new(&app);
    cmd.arg(&runbook);
    println!("==> {}", process::describe(&cmd));
    process::run(&mut cmd).context("the app exited with an error")
}

fn test(args: &Args) -> Result<()> {
    let ws = Workspace::load()?;
    let ui_dir = ws.ui_dir();
    let mut st = Stages::default();
    let nextest = process::which("cargo-nextest").is_some();
    let result = (|| -> Result<()> {
        if args.no_setup {
            st.skip("setup", "--no-setup");
        } else {
            st.stage("setup", || setup::setup(&ui_dir, Purpose::Test, false))?;
        }
        st.stage("rustfmt", || {
            let mut c = ws.cargo();
            c.args(["fmt", "--all", "--check"]);
            println!("==> {}", process::describe(&c));
            process::run(&mut c).context("code is not formatted: run `cargo fmt --all`")
        })?;
        st.stage("ui typecheck", || ui::npm(&ui_dir, "typecheck"))?;
        st.stage("ui tests", || ui::npm(&ui_dir, "test"))?;
        // Before clippy and the app build: the app embeds ui/dist.
        st.stage("ui build", || ui::npm(&ui_dir, "build"))?;
        st.stage("clippy", || {
            let mut c = ws.cargo();
            c.args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]);
            println!("==> {}", process::describe(&c));
            process::run(&mut c).context("clippy found problems")
        })?;
        st.stage("rust tests", || {
            let mut c = ws.cargo();
            if nextest {
                c.args([
                    "nextest",
                    "run",
                    "--workspace",
                    "--exclude",
                    e2e::E2E_PACKAGE,
                ]);
            } else {
                c.args(["test", "--workspace", "--exclude", e2e::E2E_PACKAGE]);
            }
            println!("==> {}", process::describe(&c));
            process::run(&mut c).context("Rust tests failed")
        })?;
        if args.no_e2e {
            st.skip("app build", "--no-e2e");
            st.skip("e2e", "--no-e2e");
            st.skip("install", "--no-e2e");
        } else {
            st.stage("app build", || e2e::build_app(&ws, bundle::Profile::Debug))?;
            st.stage("e2e", || e2e::run(&ws, e2e::Selection::Built(None)))?;
            st.stage("install", || install::install_test(&ws))?;
        }
        Ok(())
    })();
    st.print_summary(&[
        "setup",
        "rustfmt",
        "ui typecheck",
        "ui tests",
        "ui build",
        "clippy",
        "rust tests",
        "app build",
        "e2e",
        "install",
    ]);
    result
}

fn e2e_only(args: &Args) -> Result<()> {
    set_up_build_ui_then(args, &["app build", "e2e"], |ws, st| {
        st.stage("app build", || e2e::build_app(ws, bundle::Profile::Debug))?;
        st.stage("e2e", || {
            let filter = args.positional.first().map(String::as_str);
            e2e::run(ws, e2e::Selection::Built(filter))
        })
    })
}

/// The set-up (unless `--no-setup`) and the UI build, then `stages` (named `names`),
/// then the summary table: what `e2e` and `install-test` share.
fn set_up_build_ui_then(
    args: &Args,
    names: &[&str],
    stages: impl FnOnce(&Workspace, &mut Stages) -> Result<()>,
) -> Result<()> {
    let ws = Workspace::load()?;
    let ui_dir = ws.ui_dir();
    let mut st = Stages::default();
    let result = (|| -> Result<()> {
        if !args.no_setup {
            st.stage("setup", || setup::setup(&ui_dir, Purpose::Test, false))?;
        }
        st.stage("ui build", || ui::npm(&ui_dir, "build"))?;
        stages(&ws, &mut st)
    })();
    let mut all = vec!["setup", "ui build"];
    all.extend_from_slice(names);
    st.print_summary(&all);
    result
}

/// `cargo xtask bundle [--debug]`: the UI, the binaries and the `.deb`.
fn bundle_only(args: &Args) -> Result<()> {
    let ws = Workspace::load()?;
    if !args.no_setup {
        setup::setup(&ws.ui_dir(), Purpose::Run, false)?;
    }
    ui::npm(&ws.ui_dir(), "build")?;
    let profile = if args.debug {
        bundle::Profile::Debug
    } else {
        bundle::Profile::Release
    };
    bundle::bundle(&ws, profile)?;
    Ok(())
}

/// `cargo xtask install-test`: the install stage of `cargo xtask test` alone.
fn install_only(args: &Args) -> Result<()> {
    set_up_build_ui_then(args, &["install"], |ws, st| {
        st.stage("install", || install::install_test(ws))
    })
}

fn bench(args: &Args) -> Result<()> {
    let ws = Workspace::load()?;
    bench::bench(&ws, bench::Benches::from_args(&args.positional))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Args {
        parse_args(s.split_whitespace().map(String::from).collect()).unwrap()
    }

    #[test]
    fn args() {
        let a = parse("run --no-setup my.md");
        assert_eq!((a.command.as_str(), a.no_setup), ("run", true));
        assert_eq!(a.positional, vec!["my.md"]);
        let a = parse("setup --dry-run --for run");
        assert!(a.dry_run && a.purpose == Purpose::Run);
        // bench passes everything through to cargo bench.
        let a = parse("bench -- --save-baseline x");
        assert_eq!(a.positional, vec!["--", "--save-baseline", "x"]);
        assert!(parse_args(vec!["test".into(), "--bogus".into()]).is_err());
        assert_eq!(parse("").command, "help");
    }
}
