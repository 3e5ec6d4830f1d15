//! The `cuedeck` command line: `cuedeck check RUNBOOK` lints a runbook and prints its outline.

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
    }
}
