//! `manifest.json` of a rehearsal folder: what was rehearsed (the runbook's hash,
//! each step's source hash), where each step sits in the casts, and how it went.
//! It is rewritten (atomically) after every step, so a rehearsal cut short still
//! has a manifest for the steps it finished.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::runbook::{BlockKind, FrontMatter, Step};
use crate::terminal::StepStatus;

pub const MANIFEST_FILE: &str = "manifest.json";
pub const SAMPLES_FILE: &str = "samples.jsonl";
/// The manifest format; bumped when a field changes meaning.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub format: u32,
    /// The version of Cuedeck that rehearsed.
    pub cuedeck: String,
    /// The runbook's file name, and the sha256 of its bytes.
    pub runbook: String,
    pub runbook_sha256: String,
    /// RFC 3339, UTC.
    pub started: String,
    /// Set when the rehearsal ended normally; absent if it was cut short.
    pub finished: Option<String>,
    pub terminals: Vec<TerminalCast>,
    /// The probe samples file, if probes were recorded.
    pub samples: Option<String>,
    pub steps: Vec<StepRecord>,
}

/// One terminal's cast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TerminalCast {
    pub name: String,
    /// File name in the rehearsal folder.
    pub file: String,
}

/// One rehearsed step. `start` and `end` are seconds since the rehearsal's origin,
/// the time base of every cast and of the samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub id: String,
    pub number: usize,
    pub title: String,
    pub source_sha256: String,
    /// The terminals the step typed into, in order of first use.
    pub terminals: Vec<String>,
    pub status: StepStatus,
    pub exit_code: Option<i32>,
    pub start: f64,
    pub end: f64,
    pub expectations: Vec<ExpectationCheck>,
    pub message: Option<String>,
    /// A PNG of each of the step's terminals as the step ended (older rehearsals
    /// have none).
    #[serde(default)]
    pub snapshots: Vec<StepSnapshot>,
}

/// One terminal's screen at the end of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepSnapshot {
    pub terminal: String,
    /// Path in the rehearsal folder (`snapshots/<step>--<terminal>.png`).
    pub file: String,
}

impl StepRecord {
    /// A step that can stand in for the live one: it ran to its end, or its
    /// background program became ready.
    pub fn passed(&self) -> bool {
        matches!(self.status, StepStatus::Ok | StepStatus::Ready)
    }
}

/// One expectation quoting output, and whether the step's output showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectationCheck {
    pub expected: String,
    pub met: bool,
}

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The hash that makes a recording stale: what the step runs (each runnable or
/// typed block's terminal, kind, attributes and text) and what it runs in (the
/// front matter's shell, cwd and env). Prose, notes and shown-only blocks can
/// change without it.
pub fn step_source_hash(front_matter: &FrontMatter, step: &Step) -> String {
    let mut h = Sha256::new();
    let mut part = |bytes: &[u8]| {
        h.update(bytes);
        h.update([0]);
    };
    part(front_matter.shell.as_deref().unwrap_or("").as_bytes());
    part(front_matter.cwd.as_deref().unwrap_or("").as_bytes());
    for (name, value) in &front_matter.env {
        part(name.as_bytes());
        part(value.as_bytes());
    }
    for block in step.blocks.iter().filter(|b| b.kind != BlockKind::Shown) {
        part(block.terminal.as_bytes());
        part(format!("{:?}", block.kind).as_bytes());
        part(block.info.as_bytes());
        part(block.source.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a manifest cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a rehearsal manifest: {message}")]
    Invalid { path: String, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    /// A field names a file outside the rehearsal folder, or a terminal by a name
    /// no recorder writes: the folder is data, and is refused as a whole.
    #[error("{path}: refused: `{field}` {value:?} {reason}")]
    Unsafe {
        path: String,
        /// Where in the manifest, e.g. `terminals[0].file`.
        field: String,
        value: String,
        reason: String,
    },
}

/// The longest terminal name a manifest may hold (runbook terminal names are a
/// few words; this only bounds what a hand-edited manifest can make us print).
pub const MAX_TERMINAL_NAME: usize = 128;

/// Why `name` is not a terminal name a manifest may hold: empty, too long, with
/// control characters (they would reach the terminal printing it) or a path
/// separator (a name must never be able to stand for a path).
pub fn terminal_name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        Some("is empty".into())
    } else if name.chars().count() > MAX_TERMINAL_NAME {
        Some(format!("is longer than {MAX_TERMINAL_NAME} characters"))
    } else if name.chars().any(char::is_control) {
        Some("holds a control character".into())
    } else if name.contains(['/', '\\']) {
        Some("holds a path separator".into())
    } else {
        None
    }
}

/// Why `file`, a path a manifest gives, does not stay inside the rehearsal folder
/// `folder`: not relative, with `..` or `.` parts, or (once symlinks are resolved)
/// somewhere else. A file that does not exist yet is judged by its deepest
/// existing parent, so a symlinked subfolder cannot lead out either.
pub fn path_problem(folder: &Path, file: &str) -> Option<String> {
    let relative = Path::new(file);
    if file.is_empty() {
        return Some("is empty".into());
    }
    if relative.is_absolute() || relative.has_root() {
        return Some("is an absolute path".into());
    }
    if let Some(c) = relative
        .components()
        .find(|c| !matches!(c, Component::Normal(_)))
    {
        return Some(match c {
            Component::ParentDir => "has a `..` part (it would leave the rehearsal folder)".into(),
            _ => format!(
                "has a {:?} part (only plain names are allowed)",
                c.as_os_str()
            ),
        });
    }
    // Symlinks: resolve the deepest part that exists and compare with the folder
    // resolved the same way (the folder itself may be reached through a link).
    let Ok(root) = folder.canonicalize() else {
        // The folder cannot be resolved: its manifest was read from it a moment
        // ago, so reading its files will fail with the real reason.
        return None;
    };
    let mut probe: PathBuf = folder.join(relative);
    loop {
        match probe.canonicalize() {
            Ok(real) if real.starts_with(&root) => return None,
            Ok(real) => {
                return Some(format!(
                    "leads outside the rehearsal folder (through a symlink, to {})",
                    real.display()
                ))
            }
            // Not there (yet): judge its parent; popping only Normal parts ends at
            // `folder`, which resolves.
            Err(_) if probe.pop() && probe.starts_with(folder) => {}
            Err(_) => return None,
        }
    }
}

impl Manifest {
    pub fn load(folder: &Path) -> Result<Self, ManifestError> {
        let path = folder.join(MANIFEST_FILE);
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
            path: shown.clone(),
            source,
        })?;
        let manifest: Self = serde_json::from_str(&text).map_err(|e| ManifestError::Invalid {
            path: shown.clone(),
            message: format!("line {}: {e}", e.line()),
        })?;
        manifest.validate(folder, &shown)?;
        Ok(manifest)
    }

    /// Every path the manifest names stays inside `folder` and every terminal name
    /// is one a recorder could have written. Done on load, so every reader (play,
    /// check, snapshot, export, the app) gets it.
    fn validate(&self, folder: &Path, shown: &str) -> Result<(), ManifestError> {
        let refuse = |field: String, value: &str, reason: String| ManifestError::Unsafe {
            path: shown.to_string(),
            field,
            value: value.to_string(),
            reason,
        };
        let name = |field: String, value: &str| match terminal_name_problem(value) {
            Some(reason) => Err(refuse(field, value, reason)),
            None => Ok(()),
        };
        let file = |field: String, value: &str| match path_problem(folder, value) {
            Some(reason) => Err(refuse(field, value, reason)),
            None => Ok(()),
        };
        // The runbook is looked for beside `.cuedeck` by this name (export, the
        // app): a file name, never a path.
        let mut parts = Path::new(&self.runbook).components();
        let plain = matches!(
            (parts.next(), parts.next()),
            (None, _) | (Some(Component::Normal(_)), None)
        );
        if !plain {
            let reason = "is not a plain file name".to_string();
            return Err(refuse("runbook".into(), &self.runbook, reason));
        }
        for (i, t) in self.terminals.iter().enumerate() {
            name(format!("terminals[{i}].name"), &t.name)?;
            file(format!("terminals[{i}].file"), &t.file)?;
        }
        if let Some(samples) = &self.samples {
            file("samples".into(), samples)?;
        }
        for (i, step) in self.steps.iter().enumerate() {
            for (j, t) in step.terminals.iter().enumerate() {
                name(format!("steps[{i}].terminals[{j}]"), t)?;
            }
            for (j, snap) in step.snapshots.iter().enumerate() {
                name(
                    format!("steps[{i}].snapshots[{j}].terminal"),
                    &snap.terminal,
                )?;
                file(format!("steps[{i}].snapshots[{j}].file"), &snap.file)?;
            }
        }
        Ok(())
    }

    /// Writes `manifest.json` through a temporary file and a rename, so a reader
    /// never sees half of it.
    pub fn save(&self, folder: &Path) -> Result<(), ManifestError> {
        let path = folder.join(MANIFEST_FILE);
        let tmp = folder.join(".manifest.json.tmp");
        let write_err = |source| ManifestError::Write {
            path: path.display().to_string(),
            source,
        };
        let text =
            serde_json::to_string_pretty(self).map_err(|e| write_err(std::io::Error::other(e)))?;
        std::fs::write(&tmp, text).map_err(write_err)?;
        std::fs::rename(&tmp, &path).map_err(write_err)
    }

    pub fn step(&self, id: &str) -> Option<&StepRecord> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn passed(&self) -> usize {
        self.steps.iter().filter(|s| s.passed()).count()
    }

    pub fn failed(&self) -> usize {
        self.steps.len() - self.passed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_names_a_recorder_writes_pass_and_others_are_named() {
        for good in ["main", "Client 1", "docker compose", "server.py", "ünï"] {
            assert_eq!(terminal_name_problem(good), None, "{good}");
        }
        let long = "x".repeat(MAX_TERMINAL_NAME + 1);
        for (bad, why) in [
            ("", "empty"),
            ("  ", "empty"),
            ("a/b", "path separator"),
            ("..\\x", "path separator"),
            ("evil\x1b]0;title\x07", "control character"),
            ("two\nlines", "control character"),
            (long.as_str(), "longer than"),
        ] {
            let problem = terminal_name_problem(bad).unwrap_or_default();
            assert!(problem.contains(why), "{bad:?}: {problem}");
        }
    }

    #[test]
    fn paths_must_be_plain_relative_names() {
        let folder = Path::new("/nonexistent/rehearsal");
        assert_eq!(path_problem(folder, "main.cast"), None);
        assert_eq!(path_problem(folder, "snapshots/one--main.png"), None);
        for (bad, why) in [
            ("", "empty"),
            ("/etc/passwd", "absolute"),
            ("../../secret.cast", "`..`"),
            ("snapshots/../../x.png", "`..`"),
            ("./main.cast", "plain names"),
        ] {
            let problem = path_problem(folder, bad).unwrap_or_default();
            assert!(problem.contains(why), "{bad:?}: {problem}");
        }
    }

    #[test]
    fn sha256_of_a_known_text() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
