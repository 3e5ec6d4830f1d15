//! `manifest.json` of a rehearsal folder: what was rehearsed (the runbook's hash,
//! each step's source hash), where each step sits in the casts, and how it went.
//! It is rewritten (atomically) after every step, so a rehearsal cut short still
//! has a manifest for the steps it finished.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::runbook::{BlockKind, Step};
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
/// typed block's terminal, kind and text). Prose, notes and shown-only blocks can
/// change without it.
pub fn step_source_hash(step: &Step) -> String {
    let mut h = Sha256::new();
    for block in step.blocks.iter().filter(|b| b.kind != BlockKind::Shown) {
        h.update(block.terminal.as_bytes());
        h.update([0]);
        h.update(format!("{:?}", block.kind).as_bytes());
        h.update([0]);
        h.update(block.source.as_bytes());
        h.update([0]);
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
}

impl Manifest {
    pub fn load(folder: &Path) -> Result<Self, ManifestError> {
        let path = folder.join(MANIFEST_FILE);
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| ManifestError::Read {
            path: shown.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| ManifestError::Invalid {
            path: shown,
            message: format!("line {}: {e}", e.line()),
        })
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
    fn sha256_of_a_known_text() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
