//! The `cuedeck` command line: `check` lints a runbook and prints its outline;
//! `rehearse` runs it headless in real terminals; `demo-service` serves the service
//! our own runbooks demo.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cuedeck_core::cli;

#[derive(Parser)]
#[command(
    name = "cuedeck",
    version,
    about = "Present live technical demos from Markdown runbooks"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a runbook's outline and lint findings (exit 0 clean, 1 on errors, 2 unreadable).
    Check(cli::check::CheckArgs),
    /// Run every runnable step in real terminals and report (exit 1 if any failed).
    Rehearse(cli::rehearse::RehearseArgs),
    /// Serve the built-in demo service (health, work, Prometheus and JSON metrics, faults).
    DemoService(cli::demo_service::DemoServiceArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CUEDECK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match args.command {
        Command::Check(a) => cli::check::run(&a),
        Command::Rehearse(a) => cli::rehearse::run(&a),
        Command::DemoService(a) => cli::demo_service::run(&a),
    }
}
