//! Where rehearsals live: `.cuedeck/rehearsals/<runbook>/<timestamp>/` next to the
//! runbook, one folder per rehearsal (casts, samples, manifest); and which
//! recording stands in for each step.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::manifest::{step_source_hash, Manifest, StepRecord};
use crate::runbook::Runbook;

/// The folder holding every rehearsal of the runbook at `runbook_path`.
pub fn rehearsals_dir(runbook_path: &Path) -> PathBuf {
    let folder = crate::runbook::folder_of(runbook_path);
    let stem = runbook_path
        .file_stem()
        .map_or_else(|| "runbook".into(), |s| s.to_string_lossy().into_owned());
    folder.join(".cuedeck").join("rehearsals").join(stem)
}

/// A new, empty folder for a rehearsal started now, named by its UTC time
/// (`20261123-101500`; `-2`, `-3`... when two start in the same second).
pub fn create_rehearsal_dir(runbook_path: &Path) -> std::io::Result<PathBuf> {
    let root = rehearsals_dir(runbook_path);
    std::fs::create_dir_all(&root)?;
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    for n in 1.. {
        let name = if n == 1 {
            stamp.clone()
        } else {
            format!("{stamp}-{n}")
        };
        let dir = root.join(name);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    unreachable!("an unbounded range ends only by returning")
}

/// A rehearsal folder and its manifest (or why it has none that reads).
#[derive(Debug)]
pub struct Listed {
    pub dir: PathBuf,
    pub manifest: Result<Manifest, String>,
}

impl Listed {
    pub fn name(&self) -> String {
        self.dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }
}

/// Every rehearsal of the runbook, oldest first.
pub fn list(runbook_path: &Path) -> Vec<Listed> {
    let Ok(entries) = std::fs::read_dir(rehearsals_dir(runbook_path)) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| Listed {
            manifest: Manifest::load(&dir).map_err(|e| e.to_string()),
            dir,
        })
        .collect()
}

/// The recording that plays for one step: from its latest rehearsal where it passed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecording {
    pub step_id: String,
    /// The rehearsal folder.
    pub rehearsal: PathBuf,
    pub record: StepRecord,
    /// The step's commands changed since that rehearsal.
    pub stale: bool,
}

/// For each step of `runbook` (by index), its latest passing recording, if any.
pub fn recordings_for(runbook: &Runbook, rehearsals: &[Listed]) -> Vec<Option<StepRecording>> {
    runbook
        .steps
        .iter()
        .map(|step| {
            rehearsals.iter().rev().find_map(|listed| {
                let manifest = listed.manifest.as_ref().ok()?;
                let record = manifest.step(&step.id).filter(|r| r.passed())?;
                Some(StepRecording {
                    step_id: step.id.clone(),
                    rehearsal: listed.dir.clone(),
                    stale: record.source_sha256 != step_source_hash(step),
                    record: record.clone(),
                })
            })
        })
        .collect()
}
