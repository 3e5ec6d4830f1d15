//! `cuedeck-app [RUNBOOK]`: the Cuedeck window, optionally opening RUNBOOK.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;
use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: cuedeck-app [RUNBOOK]\n\nOpens the Cuedeck window, showing RUNBOOK (a Markdown file) if given.\nLogs go to stderr; set RUST_LOG (e.g. RUST_LOG=debug) for more.";

enum Cli {
    Run(Option<PathBuf>),
    Exit(&'static str, ExitCode),
}

fn parse_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Cli {
    let mut runbook = None;
    for arg in args {
        match arg.to_str() {
            Some("-h" | "--help") => return Cli::Exit(USAGE, ExitCode::SUCCESS),
            Some("-V" | "--version") => {
                return Cli::Exit(
                    concat!("cuedeck-app ", env!("CARGO_PKG_VERSION")),
                    ExitCode::SUCCESS,
                )
            }
            Some(s) if s.starts_with('-') && s != "-" => {
                return Cli::Exit(USAGE, ExitCode::from(2))
            }
            _ if runbook.is_some() => return Cli::Exit(USAGE, ExitCode::from(2)),
            _ => runbook = Some(PathBuf::from(arg)),
        }
    }
    Cli::Run(runbook)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match parse_args(std::env::args_os().skip(1)) {
        Cli::Exit(text, code) => {
            if code == ExitCode::SUCCESS {
                println!("{text}");
            } else {
                eprintln!("{text}");
            }
            code
        }
        Cli::Run(runbook) => match cuedeck_app::run(runbook) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("{e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
