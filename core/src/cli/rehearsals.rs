//! `cuedeck rehearsals RUNBOOK [--json]`: the runbook's rehearsals with their
//! pass/fail summary, and for each step the recording playback would use, flagged
//! stale when the step's commands changed since.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::record::manifest::sha256_hex;
use crate::record::store::{self, Listed, StepRecording};
use crate::runbook::{self, Runbook};

#[derive(Debug, clap::Args)]
pub struct RehearsalsArgs {
    /// The Markdown runbook whose rehearsals to list.
    pub runbook: PathBuf,
    /// Print the listing as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RehearsalRow {
    name: String,
    dir: String,
    started: Option<String>,
    /// False when the rehearsal was cut short.
    finished: bool,
    steps: usize,
    passed: usize,
    failed: usize,
    /// The runbook's bytes differ from those rehearsed.
    runbook_changed: bool,
    /// Why the manifest could not be read.
    error: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StepRow {
    number: usize,
    id: String,
    title: String,
    /// The rehearsal whose recording plays for this step.
    rehearsal: Option<String>,
    stale: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Listing {
    runbook: String,
    folder: String,
    rehearsals: Vec<RehearsalRow>,
    steps: Vec<StepRow>,
}

pub fn run(args: &RehearsalsArgs) -> ExitCode {
    let runbook = match runbook::load(&args.runbook) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let hash = std::fs::read(&args.runbook)
        .map(|b| sha256_hex(&b))
        .unwrap_or_default();
    let listed = store::list(&args.runbook);
    let listing = Listing {
        runbook: args.runbook.display().to_string(),
        folder: store::rehearsals_dir(&args.runbook).display().to_string(),
        rehearsals: listed.iter().map(|l| rehearsal_row(l, &hash)).collect(),
        steps: step_rows(&runbook, &store::recordings_for(&runbook, &listed)),
    };
    if args.json {
        match serde_json::to_string_pretty(&listing) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: cannot encode the listing: {e}"),
        }
    } else {
        print!("{}", table(&listing));
    }
    ExitCode::SUCCESS
}

fn rehearsal_row(l: &Listed, runbook_hash: &str) -> RehearsalRow {
    match &l.manifest {
        Ok(m) => RehearsalRow {
            name: l.name(),
            dir: l.dir.display().to_string(),
            started: Some(m.started.clone()),
            finished: m.finished.is_some(),
            steps: m.steps.len(),
            passed: m.passed(),
            failed: m.failed(),
            runbook_changed: m.runbook_sha256 != runbook_hash,
            error: None,
        },
        Err(e) => RehearsalRow {
            name: l.name(),
            dir: l.dir.display().to_string(),
            started: None,
            finished: false,
            steps: 0,
            passed: 0,
            failed: 0,
            runbook_changed: false,
            error: Some(e.clone()),
        },
    }
}

fn step_rows(runbook: &Runbook, picks: &[Option<StepRecording>]) -> Vec<StepRow> {
    runbook
        .steps
        .iter()
        .zip(picks)
        .enumerate()
        .filter(|(_, (step, _))| {
            step.blocks
                .iter()
                .any(|b| b.kind != crate::runbook::BlockKind::Shown)
        })
        .map(|(i, (step, pick))| StepRow {
            number: i + 1,
            id: step.id.clone(),
            title: step.title.clone(),
            rehearsal: pick.as_ref().map(|p| {
                p.rehearsal
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            }),
            stale: pick.as_ref().is_some_and(|p| p.stale),
        })
        .collect()
}

fn table(listing: &Listing) -> String {
    let mut o = String::new();
    if listing.rehearsals.is_empty() {
        let _ = writeln!(
            o,
            "no rehearsals of {} yet (`cuedeck rehearse {}` records one)",
            listing.runbook, listing.runbook
        );
        return o;
    }
    let _ = writeln!(
        o,
        "rehearsals of {} (in {})\n",
        listing.runbook, listing.folder
    );
    let _ = writeln!(
        o,
        "  {:<20} {:>5} {:>6} {:>6}  note",
        "rehearsal", "steps", "passed", "failed"
    );
    for r in &listing.rehearsals {
        let note = match (&r.error, r.finished, r.runbook_changed) {
            (Some(e), _, _) => format!("unreadable: {e}"),
            (None, false, _) => "cut short".to_string(),
            (None, true, true) => "runbook changed since".to_string(),
            (None, true, false) => String::new(),
        };
        let _ = writeln!(
            o,
            "  {:<20} {:>5} {:>6} {:>6}  {note}",
            r.name, r.steps, r.passed, r.failed
        );
    }
    let _ = writeln!(o, "\nwhat each step plays back:\n");
    for s in &listing.steps {
        let title: String = s.title.chars().take(40).collect();
        let from = match (&s.rehearsal, s.stale) {
            (None, _) => "no passing recording".to_string(),
            (Some(r), true) => format!("{r}  STALE: its commands changed since"),
            (Some(r), false) => r.clone(),
        };
        let _ = writeln!(o, "  {:>3}. {:<40} {from}", s.number, title);
    }
    o
}
