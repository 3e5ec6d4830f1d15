//! Trust decisions, kept in the user's config folder (`$XDG_CONFIG_HOME/cuedeck/
//! trust.json`, or `~/.config/cuedeck/`; `CUEDECK_CONFIG_DIR` moves it, for tests):
//! per runbook path, the digest of the executable parts the presenter trusted. An
//! edit to those parts makes a new digest, so the sheet shows again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::prefs::{self, json_file, json_file::JsonFileError};

/// Where trust decisions are read and written.
#[derive(Debug, Clone)]
pub struct TrustStore {
    file: PathBuf,
}

/// Why a trust decision cannot be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum TrustStoreError {
    #[error("no config folder: neither CUEDECK_CONFIG_DIR, XDG_CONFIG_HOME nor HOME is set")]
    NoConfigDir,
    #[error("trust decisions: {0}")]
    File(#[from] JsonFileError),
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TrustFile {
    /// By the runbook's absolute path.
    runbooks: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    digest: String,
    /// When it was trusted (UTC, RFC 3339).
    at: String,
}

impl TrustStore {
    /// The user's store.
    pub fn user() -> Result<Self, TrustStoreError> {
        let dir = prefs::config_dir().ok_or(TrustStoreError::NoConfigDir)?;
        Ok(Self::at(&dir))
    }

    /// A store in `dir`.
    pub fn at(dir: &Path) -> Self {
        Self {
            file: dir.join("trust.json"),
        }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Whether the runbook at `path` is trusted with exactly this `digest`.
    pub fn is_trusted(&self, path: &Path, digest: &str) -> Result<bool, TrustStoreError> {
        Ok(self
            .read()?
            .runbooks
            .get(&key(path))
            .is_some_and(|e| e.digest == digest))
    }

    /// Records that the presenter trusts the runbook at `path` as it is (`digest`).
    pub fn trust(&self, path: &Path, digest: &str) -> Result<(), TrustStoreError> {
        let mut file = self.read()?;
        file.runbooks.insert(
            key(path),
            Entry {
                digest: digest.to_owned(),
                at: jiff::Timestamp::now().to_string(),
            },
        );
        self.write(&file)
    }

    fn read(&self) -> Result<TrustFile, TrustStoreError> {
        Ok(json_file::read(&self.file)?)
    }

    fn write(&self, file: &TrustFile) -> Result<(), TrustStoreError> {
        Ok(json_file::write(&self.file, file)?)
    }
}

/// The runbook's absolute, symlink-free path when it exists (one decision per file,
/// however it was named), else as given made absolute.
fn key(path: &Path) -> String {
    path.canonicalize()
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_is_pinned_to_the_path_and_the_digest() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = TrustStore::at(&dir.path().join("config"));
        let runbook = dir.path().join("demo.md");
        std::fs::write(&runbook, "# Demo\n").expect("runbook");
        assert!(!store.is_trusted(&runbook, "abc").expect("read"));
        store.trust(&runbook, "abc").expect("trust");
        assert!(store.is_trusted(&runbook, "abc").expect("read"));
        assert!(
            !store.is_trusted(&runbook, "abd").expect("read"),
            "an edit asks again"
        );
        let other = dir.path().join("other.md");
        assert!(
            !store.is_trusted(&other, "abc").expect("read"),
            "another file is not trusted"
        );
        // The same file by another name is the same decision.
        let dotted = dir.path().join(".").join("demo.md");
        assert!(store.is_trusted(&dotted, "abc").expect("read"));
        store.trust(&runbook, "abd").expect("trust again");
        assert!(
            !store.is_trusted(&runbook, "abc").expect("read"),
            "one digest per file"
        );
    }

    #[test]
    fn a_corrupt_trust_file_is_named() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = TrustStore::at(dir.path());
        std::fs::write(store.file(), "{ not json").expect("write");
        let e = store
            .is_trusted(Path::new("/x.md"), "d")
            .expect_err("corrupt");
        assert!(e.to_string().contains("trust.json"), "{e}");
    }
}
