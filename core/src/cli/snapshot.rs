//! `cuedeck snapshot REHEARSAL|RUNBOOK [--step ID] [--terminal NAME] [--at SECONDS]
//! [--scale X] [-o FILE.svg|FILE.png]`: a terminal's screen from a recording, as SVG
//! or PNG. REHEARSAL is a rehearsal folder; a runbook stands for its latest rehearsal
//! (and its redaction patterns apply on top of the recording's own).
//!
//! By default: the last step, its first terminal, as it ended; `--at` takes the
//! screen at that many seconds since the rehearsal started (the casts' time base)
//! instead. The file is `<step>-<terminal>.png` in the current folder unless `-o`
//! names one; its extension picks the format. Prints the path written. Exit 2 when
//! the rehearsal, step, terminal or time cannot be found, 1 when the file cannot be
//! written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::capture::snapshot::{self, replay, Format, Until};
use crate::record::cast::{self, EventCode};
use crate::record::manifest::{Manifest, StepRecord, MANIFEST_FILE};
use crate::record::redact::Redactor;
use crate::record::rehearsal::end_marker;

use super::play::find;
use crate::record::store::rehearsal_dir;

#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// A rehearsal folder, or a runbook (its latest rehearsal).
    pub rehearsal: PathBuf,
    /// The step whose end is shown (its id or number); the last step by default.
    #[arg(long)]
    pub step: Option<String>,
    /// The terminal shown; the step's first terminal by default.
    #[arg(long)]
    pub terminal: Option<String>,
    /// Show the screen at this time (seconds since the rehearsal started) instead of
    /// at the step's end.
    #[arg(long)]
    pub at: Option<f64>,
    /// Pixels per SVG unit in a PNG (1, or 2 for high-DPI screens).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f32,
    /// The file to write (`.svg` or `.png`).
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

/// A failure and its exit code.
struct Failure(u8, String);

fn usage(message: impl Into<String>) -> Failure {
    Failure(2, message.into())
}

pub fn run(args: &SnapshotArgs) -> ExitCode {
    match snapshot(args) {
        Ok(path) => {
            println!("{}", path.display());
            ExitCode::SUCCESS
        }
        Err(Failure(code, message)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

fn names<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let list: Vec<&str> = items.collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

fn snapshot(args: &SnapshotArgs) -> Result<PathBuf, Failure> {
    let dir = rehearsal_dir(&args.rehearsal).map_err(|e| usage(e.to_string()))?;
    if !dir.join(MANIFEST_FILE).is_file() {
        return Err(usage(format!(
            "{} is not a rehearsal folder: it has no {MANIFEST_FILE}",
            dir.display()
        )));
    }
    let manifest = Manifest::load(&dir).map_err(|e| usage(e.to_string()))?;
    let step = pick_step(args, &dir, &manifest)?;
    let terminal = pick_terminal(args, &dir, &manifest, step)?;
    let file = &manifest
        .terminals
        .iter()
        .find(|t| t.name == terminal)
        .expect("picked among the manifest's terminals")
        .file;
    let cast_path = dir.join(file);
    let cast = cast::read(&cast_path).map_err(|e| usage(e.to_string()))?;
    if let Some(bad) = cast.skipped.first() {
        return Err(usage(format!(
            "{}:{}: corrupt recording: {}",
            cast_path.display(),
            bad.line,
            bad.message
        )));
    }
    let until = match (args.at, step) {
        (Some(at), _) => {
            let duration = cast.duration();
            if !at.is_finite() || at < 0.0 || at > duration + 1e-6 {
                return Err(usage(format!(
                    "--at {at} is beyond the recording {} (it lasts {duration:.3} s)",
                    cast_path.display()
                )));
            }
            Until::Time(at)
        }
        (None, Some(step)) => {
            let label = end_marker(&step.id);
            let marked = cast
                .events
                .iter()
                .any(|e| e.code == EventCode::Marker && e.data == label);
            if marked {
                Until::Marker(label)
            } else {
                Until::Time(step.end)
            }
        }
        (None, None) => Until::End,
    };
    let mut cells = replay(&cast, &until).cells();
    if !args.rehearsal.is_dir() {
        if let Ok(runbook) = crate::runbook::load(&args.rehearsal) {
            let redactor = Redactor::for_runbook(&runbook);
            cells.redact(&redactor);
            crate::record::redact::redact_logs_with(redactor);
        }
    }
    let out = match &args.output {
        Some(path) => path.clone(),
        None => {
            let stem = match (step, args.at) {
                (Some(step), None) => step.id.clone(),
                (Some(step), Some(at)) => format!("{}-at-{at}s", step.id),
                (None, at) => format!("at-{}s", at.unwrap_or(0.0)),
            };
            PathBuf::from(format!(
                "{}-{}.png",
                snapshot::slug(&stem),
                snapshot::slug(&terminal)
            ))
        }
    };
    if Format::of_path(&out).is_none() {
        return Err(usage(format!(
            "{}: the output must end in .svg or .png",
            out.display()
        )));
    }
    snapshot::write(&cells, &terminal, &out, args.scale).map_err(|e| {
        let code = if matches!(e, snapshot::WriteError::Io { .. }) {
            1
        } else {
            2
        };
        Failure(code, e.to_string())
    })?;
    Ok(out)
}

fn pick_step<'a>(
    args: &SnapshotArgs,
    dir: &Path,
    manifest: &'a Manifest,
) -> Result<Option<&'a StepRecord>, Failure> {
    match &args.step {
        Some(key) => find(manifest, key).map(Some).ok_or_else(|| {
            usage(format!(
                "no step `{key}` in {} (steps: {})",
                dir.display(),
                names(manifest.steps.iter().map(|s| s.id.as_str()))
            ))
        }),
        None => match manifest.steps.last() {
            Some(step) => Ok(Some(step)),
            None if args.at.is_some() => Ok(None),
            None => Err(usage(format!(
                "{} has no steps recorded (`--at SECONDS` shows a moment anyway)",
                dir.display()
            ))),
        },
    }
}

fn pick_terminal(
    args: &SnapshotArgs,
    dir: &Path,
    manifest: &Manifest,
    step: Option<&StepRecord>,
) -> Result<String, Failure> {
    let recorded = |name: &str| manifest.terminals.iter().any(|t| t.name == name);
    let all = || names(manifest.terminals.iter().map(|t| t.name.as_str()));
    match &args.terminal {
        Some(name) if recorded(name) => Ok(name.clone()),
        Some(name) => Err(usage(format!(
            "no terminal `{name}` in {} (terminals: {})",
            dir.display(),
            all()
        ))),
        None => step
            .and_then(|s| s.terminals.iter().find(|t| recorded(t)))
            .or_else(|| manifest.terminals.first().map(|t| &t.name))
            .cloned()
            .ok_or_else(|| usage(format!("{} recorded no terminal", dir.display()))),
    }
}
