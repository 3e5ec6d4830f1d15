//! Trust decisions, kept in the user's config folder (`$XDG_CONFIG_HOME/cuedeck/
//! trust.json`, or `~/.config/cuedeck/`; `CUEDECK_CONFIG_DIR` moves it, for tests):
//! per runbook path, the digest of the executable parts the presenter trusted. An
//! edit to those parts makes a new digest, so the sheet shows again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a trust file Cuedeck wrote: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
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
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let dir = var("CUEDECK_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| var("XDG_CONFIG_HOME").map(|d| PathBuf::from(d).join("cuedeck")))
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".config").join("cuedeck")))
            .ok_or(TrustStoreError::NoConfigDir)?;
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
        let text = match std::fs::read_to_string(&self.file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TrustFile::default()),
            Err(source) => {
                return Err(TrustStoreError::Read {
                    path: self.file.clone(),
                    source,
                })
            }
        };
        serde_json::from_str(&text).map_err(|e| TrustStoreError::Corrupt {
            path: self.file.clone(),
            message: e.to_string(),
        })
    }

    /// Written to a temporary file and renamed: a crash never leaves half a file.
    fn write(&self, file: &TrustFile) -> Result<(), TrustStoreError> {
        let err = |source| TrustStoreError::Write {
            path: self.file.clone(),
            source,
        };
        let dir = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(err)?;
        let text = serde_json::to_string_pretty(file).unwrap_or_default();
        let tmp = self.file.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(err)?;
        std::fs::rename(&tmp, &self.file).map_err(err)
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
