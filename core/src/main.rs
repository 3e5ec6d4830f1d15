//! The `cuedeck` command line: `check` lints a runbook and prints its outline;
//! `rehearse` runs it headless in real terminals and records it; `rehearsals` lists
//! the recordings; `play` plays one back (or checks it); `snapshot` renders a
//! terminal's screen from a recording (SVG/PNG); `export` writes the backup bundle;
//! `demo-service` serves the service our own runbooks demo.

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
    /// Run every runnable step in real terminals, record it, and report (exit 1 if any failed).
    Rehearse(cli::rehearse::RehearseArgs),
    /// List a runbook's rehearsals, and which recording each step would play (stale ones flagged).
    Rehearsals(cli::rehearsals::RehearsalsArgs),
    /// Play a rehearsal (or one step of it) into this terminal; --check verifies it.
    Play(cli::play::PlayArgs),
    /// Render a terminal's screen at a step's end (or a time) from a rehearsal, as SVG or PNG.
    Snapshot(cli::snapshot::SnapshotArgs),
    /// Write a rehearsal as one self-contained HTML file (or a folder) that plays offline.
    Export(cli::export::ExportArgs),
    /// Serve the built-in demo service (health, work, Prometheus and JSON metrics, faults).
    DemoService(cli::demo_service::DemoServiceArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CUEDECK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        // Log lines can quote output: masked with the runbook's patterns once a
        // command has read it.
        .with_writer(|| cuedeck_core::record::redact::RedactedStderr)
        .init();
    let args = Args::parse();
    match args.command {
        Command::Check(a) => cli::check::run(&a),
        Command::Rehearse(a) => cli::rehearse::run(&a),
        Command::Rehearsals(a) => cli::rehearsals::run(&a),
        Command::Play(a) => cli::play::run(&a),
        Command::Snapshot(a) => cli::snapshot::run(&a),
        Command::Export(a) => cli::export::run(&a),
        Command::DemoService(a) => cli::demo_service::run(&a),
    }
}
