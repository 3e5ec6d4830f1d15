//! The rehearsal view: every rehearsal of the open runbook, each step with how it
//! went and its terminals' screens at its end (the per-step snapshots), and
//! **Export backup…**, which writes a rehearsal's backup bundle (the same page
//! `cuedeck export` writes) into `.cuedeck/backups/<runbook>/` beside the runbook,
//! or wherever the presenter says.
//!
//! The window names a rehearsal by its folder name and a snapshot by the file the
//! manifest lists: no path from the window is read or written as it is, except the
//! export's target, which the presenter typed or chose.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cuedeck_core::capture::bundle::{self, Options};
use cuedeck_core::record::manifest::Manifest;
use cuedeck_core::record::store::{self, RehearsalSummary};
use serde::Serialize;
use tauri::State;

use crate::terminals::{blocking, TerminalError, Terminals};

/// A rehearsal in the list, with where its backup would go by default.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RehearsalEntry {
    #[serde(flatten)]
    pub summary: RehearsalSummary,
    /// The default backup file, from the runbook's folder
    /// (`.cuedeck/backups/tour/tour-20261123-101500.html`).
    pub backup: String,
}

/// A backup written: where, and what it holds.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupWritten {
    pub path: PathBuf,
    /// The same, from the runbook's folder when it is inside it.
    pub relative: String,
    pub bytes: u64,
    pub casts_bytes: u64,
    pub casts: usize,
    pub snapshots: usize,
}

/// Every rehearsal of the open runbook, the latest first.
#[tauri::command]
pub async fn rehearsal_list(
    terminals: State<'_, Arc<Terminals>>,
) -> Result<Vec<RehearsalEntry>, TerminalError> {
    let (path, runbook) = terminals.runbook()?;
    blocking(move || {
        let folder = cuedeck_core::runbook::folder_of(&path);
        Ok(store::summaries(&runbook, &store::list(&path))
            .into_iter()
            .map(|summary| {
                let file = default_backup(&path, &summary.name);
                RehearsalEntry {
                    backup: relative_to(folder, &file),
                    summary,
                }
            })
            .collect())
    })
    .await
}

/// A snapshot of rehearsal `rehearsal` as a `data:` URL for an `<img>`: only a file
/// its manifest lists.
#[tauri::command]
pub async fn rehearsal_snapshot(
    terminals: State<'_, Arc<Terminals>>,
    rehearsal: String,
    file: String,
) -> Result<String, TerminalError> {
    let (path, _) = terminals.runbook()?;
    blocking(move || {
        let dir = rehearsal_folder(&path, &rehearsal)?;
        let manifest = Manifest::load(&dir).map_err(|e| TerminalError::new(e.to_string()))?;
        let png = store::listed_snapshot(&dir, &manifest, &file).ok_or_else(|| {
            TerminalError::new(format!("rehearsal {rehearsal} lists no snapshot `{file}`"))
        })?;
        let bytes = std::fs::read(&png)
            .map_err(|e| TerminalError::new(format!("cannot read {}: {e}", png.display())))?;
        Ok(format!("data:image/png;base64,{}", bundle::base64(&bytes)))
    })
    .await
}

/// Writes the backup bundle of rehearsal `rehearsal` to `target` (relative to the
/// runbook's folder; its default when empty), with the speaker notes if `notes`.
#[tauri::command]
pub async fn export_backup(
    terminals: State<'_, Arc<Terminals>>,
    rehearsal: String,
    target: Option<String>,
    notes: bool,
) -> Result<BackupWritten, TerminalError> {
    let (path, _) = terminals.runbook()?;
    blocking(move || {
        let dir = rehearsal_folder(&path, &rehearsal)?;
        let folder = cuedeck_core::runbook::folder_of(&path);
        let file = match target.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => folder.join(t),
            _ => default_backup(&path, &rehearsal),
        };
        let opts = Options { notes, step: None };
        let b = bundle::build(&dir, Some(&path), &opts)
            .map_err(|e| TerminalError::new(e.to_string()))?;
        if let Some(parent) = file.parent() {
            if parent.starts_with(folder.join(".cuedeck")) {
                // The default place: refused when `.cuedeck` is a symlink out of the
                // runbook's folder. A file the presenter chose elsewhere is theirs.
                store::create_inside(&path, parent)
                    .map_err(|e| TerminalError::new(e.to_string()))?;
            } else {
                std::fs::create_dir_all(parent).map_err(|e| {
                    TerminalError::new(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
        }
        b.write_file(&file)
            .map_err(|e| TerminalError::new(e.to_string()))?;
        tracing::info!(file = %file.display(), bytes = b.html.len(), "backup bundle written");
        Ok(BackupWritten {
            relative: relative_to(folder, &file),
            bytes: b.html.len() as u64,
            casts_bytes: b.casts_bytes(),
            casts: b.casts.len(),
            snapshots: b.snapshots.len(),
            path: file,
        })
    })
    .await
}

/// The folder of rehearsal `name` of the runbook at `path`, if it has one by that
/// name: a folder right in its rehearsals folder (a name from the window is never a
/// path of its own). Nothing else is read: a thumbnail asks for this each time.
fn rehearsal_folder(path: &Path, name: &str) -> Result<PathBuf, TerminalError> {
    let mut parts = Path::new(name).components();
    let single = matches!(
        (parts.next(), parts.next()),
        (Some(std::path::Component::Normal(_)), None)
    );
    let dir = store::rehearsals_dir(path).join(name);
    if single && dir.is_dir() {
        Ok(dir)
    } else {
        Err(TerminalError::new(format!(
            "{} has no rehearsal {name}",
            path.display()
        )))
    }
}

fn default_backup(runbook: &Path, rehearsal: &str) -> PathBuf {
    let dir = store::rehearsals_dir(runbook).join(rehearsal);
    store::backups_dir(runbook).join(bundle::file_name(&dir))
}

/// `path` from `folder` when it is inside it, else in full.
fn relative_to(folder: &Path, path: &Path) -> String {
    path.strip_prefix(folder)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rehearsal_is_named_by_its_folder_and_never_by_a_path() {
        let dir = tempfile::tempdir().expect("tmp");
        let runbook = dir.path().join("demo.md");
        let folder = store::rehearsals_dir(&runbook).join("20261201-101500");
        std::fs::create_dir_all(&folder).expect("a rehearsal folder");
        assert_eq!(
            rehearsal_folder(&runbook, "20261201-101500").expect("found"),
            folder
        );
        for bad in ["20261201-999999", "..", "../tour", "", "/etc"] {
            let e = rehearsal_folder(&runbook, bad).expect_err(bad);
            assert!(
                e.message.contains("has no rehearsal"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn the_default_backup_sits_in_the_backups_folder_named_after_the_rehearsal() {
        let file = default_backup(Path::new("/talks/demo/tour.md"), "20261201-101500");
        assert_eq!(
            file,
            Path::new("/talks/demo/.cuedeck/backups/tour/tour-20261201-101500.html")
        );
        assert_eq!(
            relative_to(Path::new("/talks/demo"), &file),
            ".cuedeck/backups/tour/tour-20261201-101500.html"
        );
        assert_eq!(
            relative_to(Path::new("/elsewhere"), &file),
            file.display().to_string()
        );
    }
}
