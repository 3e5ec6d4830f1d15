//! A small JSON file Cuedeck owns (trust decisions, preferences): read whole, written
//! whole to a temporary file and renamed, so a crash never leaves half a file.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why one of Cuedeck's own files cannot be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum JsonFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a file Cuedeck wrote: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The file's value; `T::default()` when there is no file yet.
pub fn read<T: DeserializeOwned + Default>(path: &Path) -> Result<T, JsonFileError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(T::default()),
        Err(source) => {
            return Err(JsonFileError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_str(&text).map_err(|e| JsonFileError::Corrupt {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Writes `value` to `path` (its folder made if need be) through a temporary file.
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), JsonFileError> {
    let err = |source| JsonFileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// Moves a file that cannot be read aside (`NAME.corrupt`), so the next write does not
/// destroy what the user may want back; returns where it went.
pub fn set_aside(path: &Path) -> Option<PathBuf> {
    let aside = path.with_extension("json.corrupt");
    std::fs::rename(path, &aside).ok().map(|()| aside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn round_trips_and_reads_nothing_as_default() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("deep/er/file.json");
        let none: BTreeMap<String, u32> = read(&path).expect("no file is the default");
        assert!(none.is_empty());
        let value = BTreeMap::from([("a".to_string(), 1u32)]);
        write(&path, &value).expect("written");
        assert_eq!(read::<BTreeMap<String, u32>>(&path).expect("read"), value);
        assert!(!path.with_extension("json.tmp").exists());
    }

    #[test]
    fn a_corrupt_file_names_itself_and_can_be_set_aside() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("prefs.json");
        std::fs::write(&path, "{ not json").expect("write");
        let err = read::<BTreeMap<String, u32>>(&path).expect_err("corrupt");
        assert!(err.to_string().contains("prefs.json"), "{err}");
        let aside = set_aside(&path).expect("moved");
        assert_eq!(std::fs::read_to_string(aside).expect("kept"), "{ not json");
        assert!(!path.exists());
    }
}
