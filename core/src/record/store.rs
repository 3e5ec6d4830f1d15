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
    folder
        .join(".cuedeck")
        .join("rehearsals")
        .join(stem_of(runbook_path))
}

/// Why a folder under the runbook's `.cuedeck` was not written to.
#[derive(Debug, thiserror::Error)]
pub enum WriteDirError {
    #[error(
        "refused to write into {path}: it leads outside the runbook's folder {folder} (to {target}, through a symlink); make {path} a plain folder"
    )]
    Outside {
        path: PathBuf,
        folder: PathBuf,
        target: PathBuf,
    },
    #[error("cannot create {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Creates `dir`, a folder under the `.cuedeck` of the runbook at `runbook_path`,
/// once every part of it that already exists is known to resolve inside the
/// runbook's folder: a `.cuedeck` (or `rehearsals`, `captures`...) that is a
/// symlink to elsewhere is refused before anything is created through it, so a
/// runbook folder from someone else cannot make us write outside it.
pub fn create_inside(runbook_path: &Path, dir: &Path) -> Result<PathBuf, WriteDirError> {
    let folder = crate::runbook::folder_of(runbook_path);
    let create = |path: &Path, source| WriteDirError::Create {
        path: path.to_path_buf(),
        source,
    };
    let root = folder.canonicalize().map_err(|e| create(folder, e))?;
    // `dir` is built from `folder`; anything else is judged from its own parts.
    let relative = dir.strip_prefix(folder).unwrap_or(dir);
    let mut at = folder.to_path_buf();
    for part in relative.components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            // Nothing there: the rest is created below as plain folders, inside.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(create(&at, e)),
            Ok(_) => {
                let real = at.canonicalize().map_err(|e| create(&at, e))?;
                if !real.starts_with(&root) {
                    return Err(WriteDirError::Outside {
                        path: at,
                        folder: root,
                        target: real,
                    });
                }
            }
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| create(dir, e))?;
    Ok(dir.to_path_buf())
}

/// A new, empty folder for a rehearsal started now, named by its UTC time
/// (`20261123-101500`; `-2`, `-3`... when two start in the same second).
pub fn create_rehearsal_dir(runbook_path: &Path) -> Result<PathBuf, WriteDirError> {
    let root = create_inside(runbook_path, &rehearsals_dir(runbook_path))?;
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
            Err(source) => return Err(WriteDirError::Create { path: dir, source }),
        }
    }
    unreachable!("an unbounded range ends only by returning")
}

/// Why a path names no rehearsal.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error("{0} does not exist")]
    Missing(PathBuf),
    #[error("{0} has no rehearsals yet (`cuedeck rehearse` records one)")]
    NoRehearsals(PathBuf),
}

/// The rehearsal folder a command was given: the folder itself, or a runbook's
/// latest rehearsal. `cuedeck play`, `snapshot` and `export` all resolve it here.
pub fn rehearsal_dir(path: &Path) -> Result<PathBuf, FindError> {
    if path.is_dir() {
        return Ok(path.to_path_buf());
    }
    if !path.exists() {
        return Err(FindError::Missing(path.to_path_buf()));
    }
    list(path)
        .pop()
        .map(|l| l.dir)
        .ok_or_else(|| FindError::NoRehearsals(path.to_path_buf()))
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
                    stale: record.source_sha256 != step_source_hash(&runbook.front_matter, step),
                    record: record.clone(),
                })
            })
        })
        .collect()
}

/// One rehearsal as the app's rehearsal view lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RehearsalSummary {
    /// The folder's name (its UTC start time, `20261123-101500`).
    pub name: String,
    pub started: Option<String>,
    /// `None` while it runs, or when it was cut short.
    pub finished: Option<String>,
    pub passed: usize,
    pub failed: usize,
    pub steps: Vec<StepSummary>,
    /// Why its manifest does not read (then it has no steps).
    pub error: Option<String>,
}

/// One step of a rehearsal: how it went and its terminals' screens at its end.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepSummary {
    pub id: String,
    pub number: usize,
    pub title: String,
    pub status: crate::terminal::StepStatus,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub message: Option<String>,
    /// The step's commands changed since (or it is no longer in the runbook).
    pub stale: bool,
    pub snapshots: Vec<super::manifest::StepSnapshot>,
}

/// Every rehearsal of `runbook`, the latest first, its steps checked against the
/// runbook as it is now.
pub fn summaries(runbook: &Runbook, rehearsals: &[Listed]) -> Vec<RehearsalSummary> {
    rehearsals
        .iter()
        .rev()
        .map(|listed| match &listed.manifest {
            Ok(m) => RehearsalSummary {
                name: listed.name(),
                started: Some(m.started.clone()),
                finished: m.finished.clone(),
                passed: m.passed(),
                failed: m.failed(),
                steps: m.steps.iter().map(|r| step_summary(runbook, r)).collect(),
                error: None,
            },
            Err(e) => RehearsalSummary {
                name: listed.name(),
                started: None,
                finished: None,
                passed: 0,
                failed: 0,
                steps: Vec::new(),
                error: Some(e.clone()),
            },
        })
        .collect()
}

fn step_summary(runbook: &Runbook, record: &StepRecord) -> StepSummary {
    let stale = runbook
        .steps
        .iter()
        .find(|s| s.id == record.id)
        .is_none_or(|s| step_source_hash(&runbook.front_matter, s) != record.source_sha256);
    StepSummary {
        id: record.id.clone(),
        number: record.number,
        title: record.title.clone(),
        status: record.status,
        exit_code: record.exit_code,
        duration_ms: ((record.end - record.start).max(0.0) * 1000.0) as u64,
        message: record.message.clone(),
        stale,
        snapshots: record.snapshots.clone(),
    }
}

/// The path of a snapshot PNG the manifest of rehearsal `dir` lists, or `None` when
/// it lists no such file: a file name from the window is never a path of its own.
pub fn listed_snapshot(dir: &Path, manifest: &Manifest, file: &str) -> Option<PathBuf> {
    let listed = manifest
        .steps
        .iter()
        .flat_map(|s| &s.snapshots)
        .any(|s| s.file == file);
    let safe = Path::new(file)
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    (listed && safe).then(|| dir.join(file))
}

/// Where the app writes backup bundles of the runbook at `runbook_path`:
/// `.cuedeck/backups/<runbook>/` beside it.
pub fn backups_dir(runbook_path: &Path) -> PathBuf {
    let folder = crate::runbook::folder_of(runbook_path);
    folder
        .join(".cuedeck")
        .join("backups")
        .join(stem_of(runbook_path))
}

fn stem_of(runbook_path: &Path) -> String {
    runbook_path
        .file_stem()
        .map_or_else(|| "runbook".into(), |s| s.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::manifest::StepSnapshot;
    use crate::terminal::StepStatus;

    fn record(id: &str, source: String, snapshots: &[&str]) -> StepRecord {
        StepRecord {
            id: id.into(),
            number: 1,
            title: id.into(),
            source_sha256: source,
            terminals: vec!["main".into()],
            status: StepStatus::Ok,
            exit_code: Some(0),
            start: 1.0,
            end: 1.6,
            expectations: Vec::new(),
            message: None,
            snapshots: snapshots
                .iter()
                .map(|f| StepSnapshot {
                    terminal: "main".into(),
                    file: (*f).into(),
                })
                .collect(),
        }
    }

    fn manifest(steps: Vec<StepRecord>) -> Manifest {
        Manifest {
            format: 1,
            cuedeck: "test".into(),
            runbook: "demo.md".into(),
            runbook_sha256: String::new(),
            started: "2026-12-01T10:15:00Z".into(),
            finished: None,
            terminals: Vec::new(),
            samples: None,
            steps,
        }
    }

    #[test]
    fn only_a_snapshot_the_manifest_lists_is_read_and_never_outside_the_folder() {
        let m = manifest(vec![record(
            "one",
            String::new(),
            &["snapshots/one--main.png", "../../secret.png"],
        )]);
        let dir = Path::new("/r/20261201-101500");
        assert_eq!(
            listed_snapshot(dir, &m, "snapshots/one--main.png"),
            Some(dir.join("snapshots/one--main.png"))
        );
        assert_eq!(listed_snapshot(dir, &m, "snapshots/two--main.png"), None);
        assert_eq!(listed_snapshot(dir, &m, "../../secret.png"), None);
        assert_eq!(listed_snapshot(dir, &m, "/etc/passwd"), None);
    }

    #[test]
    fn summaries_come_latest_first_with_stale_steps_and_unreadable_manifests() {
        let runbook =
            crate::runbook::parse_str("# Demo\n\n## One\n\n```bash\necho one\n```\n", None);
        let step = &runbook.steps[0];
        let fresh = record(
            &step.id,
            step_source_hash(&runbook.front_matter, step),
            &["snapshots/a.png"],
        );
        let edited = record(&step.id, "an older hash".into(), &[]);
        let listed = vec![
            Listed {
                dir: PathBuf::from("/r/20261201-090000"),
                manifest: Ok(manifest(vec![edited])),
            },
            Listed {
                dir: PathBuf::from("/r/20261201-100000"),
                manifest: Err("manifest.json:1: bad JSON".into()),
            },
            Listed {
                dir: PathBuf::from("/r/20261201-110000"),
                manifest: Ok(manifest(vec![fresh])),
            },
        ];
        let s = summaries(&runbook, &listed);
        let names: Vec<&str> = s.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["20261201-110000", "20261201-100000", "20261201-090000"]
        );
        assert!(!s[0].steps[0].stale);
        assert_eq!(s[0].steps[0].duration_ms, 600);
        assert_eq!(s[0].steps[0].snapshots.len(), 1);
        assert_eq!(s[1].error.as_deref(), Some("manifest.json:1: bad JSON"));
        assert!(s[1].steps.is_empty());
        assert!(s[2].steps[0].stale, "its commands changed since");
    }
}
