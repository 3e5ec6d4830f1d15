//! Errors the UI receives: typed, serializable, always naming the file and the reason.

use std::path::Path;

use cuedeck_core::runbook::LoadError;
use cuedeck_core::show::presenter::PresentError;
use serde::Serialize;

/// Why a runbook could not be opened. Mirrored in `ui/src/shared/model.ts` as `OpenError`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{path}: {reason}")]
pub struct OpenError {
    pub kind: OpenErrorKind,
    /// The file, as the app resolved it.
    pub path: String,
    /// A sentence for the presenter ("No such file or directory (os error 2)").
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OpenErrorKind {
    /// The file could not be read (missing, a directory, no permission, ...).
    Unreadable,
    /// The file is not UTF-8 text.
    NotUtf8,
}

impl OpenError {
    pub fn from_load(error: &LoadError) -> Self {
        match error {
            LoadError::Io { path, source } => Self {
                kind: OpenErrorKind::Unreadable,
                path: display(path),
                reason: source.to_string(),
            },
            LoadError::NotUtf8 { path, offset } => Self {
                kind: OpenErrorKind::NotUtf8,
                path: display(path),
                reason: format!("not UTF-8 text (invalid byte at offset {offset})"),
            },
            // Refused before reading: unreadable to the UI, with the reason.
            LoadError::TooLarge { path, size, max } => Self {
                kind: OpenErrorKind::Unreadable,
                path: display(path),
                reason: format!("{size} bytes: a runbook is at most {max} bytes (5 MB); refused"),
            },
            LoadError::NotAFile { path, kind } => Self {
                kind: OpenErrorKind::Unreadable,
                path: display(path),
                reason: format!("{kind}, not a regular file: refused"),
            },
        }
    }

    /// The runbook loaded but cannot be shown masked ([`PresentError`]).
    pub fn from_present(path: &Path, error: &PresentError) -> Self {
        Self {
            kind: OpenErrorKind::Unreadable,
            path: display(path),
            reason: error.to_string(),
        }
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_error_names_file_and_reason() {
        let error = LoadError::Io {
            path: "/no/such.md".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "gone"),
        };
        let e = OpenError::from_load(&error);
        assert_eq!(e.kind, OpenErrorKind::Unreadable);
        assert_eq!(e.to_string(), "/no/such.md: gone");
    }

    #[test]
    fn an_oversize_or_special_file_is_unreadable_with_the_reason() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let huge = dir.path().join("huge.md");
        std::fs::File::create(&huge)?.set_len(cuedeck_core::runbook::MAX_RUNBOOK_BYTES + 1)?;
        for (path, reason) in [
            (huge, "a runbook is at most 5242880 bytes (5 MB); refused"),
            (
                dir.path().to_path_buf(),
                "a folder, not a regular file: refused",
            ),
        ] {
            let err = cuedeck_core::runbook::load(&path).err();
            let e = OpenError::from_load(&err.ok_or_else(|| anyhow::anyhow!("loaded"))?);
            assert_eq!(e.kind, OpenErrorKind::Unreadable);
            assert_eq!(e.path, path.display().to_string());
            assert!(e.reason.ends_with(reason), "{}", e.reason);
        }
        Ok(())
    }

    #[test]
    fn serializes_camel_case_for_the_ui() {
        let e = OpenError::from_load(&LoadError::NotUtf8 {
            path: "x.md".into(),
            offset: 3,
        });
        let json = serde_json::to_value(&e).unwrap_or_default();
        assert_eq!(json["kind"], "notUtf8");
        assert_eq!(json["path"], "x.md");
        assert_eq!(json["reason"], "not UTF-8 text (invalid byte at offset 3)");
    }
}
