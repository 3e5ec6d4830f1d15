//! `cuedeck export REHEARSAL|RUNBOOK [-o FILE.html] [--notes] [--dir DIR] [--step ID]`:
//! the backup bundle, one self-contained HTML file that plays the rehearsal offline
//! (or, with `--dir`, a folder: `index.html`, the casts and the snapshots). A runbook
//! exports its latest rehearsal. Exit 0 when written, 2 when it cannot be.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::capture::bundle::{self, Options};
use crate::record::redact::{redact_logs_with, Redactor};
use crate::record::store;

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// A rehearsal folder, or a runbook (exports its latest rehearsal).
    pub rehearsal: PathBuf,
    /// The HTML file to write (default: `<runbook>-<rehearsal>.html` here).
    #[arg(short, long, conflicts_with = "dir")]
    pub output: Option<PathBuf>,
    /// Write a folder instead: index.html, the casts and the snapshots.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Put the speaker notes and Q&A cards beside each step.
    #[arg(long)]
    pub notes: bool,
    /// Open the bundle at this step (its id or number).
    #[arg(long)]
    pub step: Option<String>,
}

pub fn run(args: &ExportArgs) -> ExitCode {
    match export(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn export(args: &ExportArgs) -> Result<(), bundle::BundleError> {
    let dir = store::rehearsal_dir(&args.rehearsal)?;
    let runbook = (!args.rehearsal.is_dir()).then_some(args.rehearsal.as_path());
    if let Some(book) = runbook.and_then(|p| crate::runbook::load(p).ok()) {
        redact_logs_with(Redactor::for_runbook(&book));
    }
    let opts = Options {
        notes: args.notes,
        step: args.step.clone(),
    };
    let b = bundle::build(&dir, runbook, &opts)?;
    if b.runbook.is_none() {
        eprintln!(
            "warning: the runbook of {} was not found: no budgets or notes, and only the \
             recorder's redaction (pass the runbook instead of the folder to apply its patterns)",
            dir.display()
        );
    }
    let written = match &args.dir {
        Some(out) => b.write_dir(out)?,
        None => {
            let path = args
                .output
                .clone()
                .unwrap_or_else(|| bundle::file_name(&dir).into());
            b.write_file(&path)?;
            path
        }
    };
    let size = std::fs::metadata(&written).map_or(b.html.len() as u64, |m| m.len());
    println!(
        "wrote {} ({} bytes, {}) from {}",
        written.display(),
        size,
        kb(size),
        dir.display()
    );
    println!(
        "casts: {} bytes ({}) in {} terminal{}; {} snapshot{}",
        b.casts_bytes(),
        kb(b.casts_bytes()),
        b.casts.len(),
        if b.casts.len() == 1 { "" } else { "s" },
        b.snapshots.len(),
        if b.snapshots.len() == 1 { "" } else { "s" },
    );
    if let Some(out) = &args.dir {
        println!(
            "folder {}: index.html, {} cast file(s){}",
            out.display(),
            b.casts.len(),
            if b.snapshots.is_empty() {
                ""
            } else {
                ", snapshots/"
            }
        );
    }
    Ok(())
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}
