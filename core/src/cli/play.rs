//! `cuedeck play REHEARSAL [--step ID] [--speed X] [--idle-cap S]`: plays a
//! rehearsal's recording into this terminal, each step's own terminals at their
//! recorded pace. REHEARSAL is a rehearsal folder, or a runbook (its latest
//! rehearsal). `cuedeck play --check REHEARSAL` verifies the folder instead: exit 0
//! when it can be played, 1 when something is wrong.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use crate::record::check;
use crate::record::manifest::{Manifest, StepRecord};
use crate::record::playback::{self, Cue, Pace, DEFAULT_IDLE_CAP};
use crate::record::store;

#[derive(Debug, clap::Args)]
pub struct PlayArgs {
    /// A rehearsal folder, or a runbook (plays its latest rehearsal).
    pub rehearsal: PathBuf,
    /// Play only this step (its id or number).
    #[arg(long)]
    pub step: Option<String>,
    /// Playback speed, 0.5 to 4.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Shorten silences longer than this many seconds (0 keeps them all).
    #[arg(long, default_value_t = DEFAULT_IDLE_CAP.as_secs_f64())]
    pub idle_cap: f64,
    /// Verify the rehearsal folder (manifest against casts) instead of playing it.
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: &PlayArgs) -> ExitCode {
    let dir = match store::rehearsal_dir(&args.rehearsal) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.check {
        return run_check(&dir);
    }
    let idle_cap = (args.idle_cap > 0.0).then(|| Duration::from_secs_f64(args.idle_cap));
    let pace = match Pace::new(args.speed, idle_cap) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let manifest = match Manifest::load(&dir) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let steps: Vec<&StepRecord> = match &args.step {
        Some(key) => match find(&manifest, key) {
            Some(s) => vec![s],
            None => {
                eprintln!(
                    "error: no step `{key}` in {} (steps: {})",
                    dir.display(),
                    manifest
                        .steps
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return ExitCode::from(2);
            }
        },
        None => manifest.steps.iter().collect(),
    };
    for step in steps {
        if let Err(e) = play_step(&dir, &manifest, step, pace) {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

pub(crate) fn find<'a>(manifest: &'a Manifest, key: &str) -> Option<&'a StepRecord> {
    manifest
        .steps
        .iter()
        .find(|s| s.id == key || s.number.to_string() == key)
}

/// Plays one step's own terminals into stdout (other terminals' output would mix
/// into it; the app shows them side by side instead).
fn play_step(dir: &Path, manifest: &Manifest, step: &StepRecord, pace: Pace) -> Result<(), String> {
    let cues: Vec<(f64, String)> = playback::step_cues(dir, manifest, step)
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|(t, cue)| match cue {
            Cue::Output { terminal, data } if step.terminals.contains(&terminal) => Some((t, data)),
            _ => None,
        })
        .collect();
    let timeline = playback::schedule(cues, pace);
    let mut out = std::io::stdout().lock();
    let mut failed = None;
    playback::play(&timeline, &AtomicBool::new(false), |data| {
        if failed.is_none() {
            if let Err(e) = out.write_all(data.as_bytes()).and_then(|()| out.flush()) {
                failed = Some(e);
            }
        }
    });
    failed.map_or(Ok(()), |e| Err(format!("cannot write the playback: {e}")))
}

fn run_check(dir: &Path) -> ExitCode {
    let report = check::check(dir);
    println!("checking {}", dir.display());
    for line in &report.checked {
        println!("  {line}");
    }
    for w in &report.warnings {
        println!("warning: {w}");
    }
    for p in &report.problems {
        println!("error: {p}");
    }
    if report.ok() {
        println!("ok: the rehearsal can be played");
        ExitCode::SUCCESS
    } else {
        println!("{} problems", report.problems.len());
        ExitCode::from(1)
    }
}
