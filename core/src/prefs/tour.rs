//! The tour's working copy. The tour ships read-only (in `/usr/share/cuedeck`, or the
//! source checkout's `runbooks/`); the start page opens a copy of it in the data
//! folder, so the rehearsals it records (written beside the runbook) land neither in
//! the install nor in the source tree, and the user may edit it. A copy the user
//! edited is kept; one they did not is refreshed when a newer Cuedeck ships another.

use std::path::{Path, PathBuf};

use crate::record::manifest::sha256_hex;

pub const TOUR_FILE: &str = "tour.md";
/// Beside the copy: the digest of the shipped tour it was copied from.
const SHIPPED_DIGEST: &str = ".shipped-sha256";

#[derive(Debug, thiserror::Error)]
pub enum TourError {
    #[error("the tour that ships with Cuedeck is missing: cannot read {path}: {source}")]
    Shipped {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot make the tour's working copy {path}: {source}")]
    Copy {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Makes `dir/tour.md` a copy of `shipped` unless the user edited the copy there;
/// returns its path.
pub fn working_copy(shipped: &Path, dir: &Path) -> Result<PathBuf, TourError> {
    let text = std::fs::read(shipped).map_err(|source| TourError::Shipped {
        path: shipped.to_path_buf(),
        source,
    })?;
    let copy = dir.join(TOUR_FILE);
    let mark = dir.join(SHIPPED_DIGEST);
    let shipped_digest = sha256_hex(&text);
    let copied_from = std::fs::read_to_string(&mark).ok();
    let current = std::fs::read(&copy).ok().map(|c| sha256_hex(&c));
    let refresh = match (&current, &copied_from) {
        (None, _) => true,
        // Unedited since it was copied: follow the shipped one.
        (Some(now), Some(from)) => now == from.trim() && *now != shipped_digest,
        // A copy with no record of where it came from is the user's.
        (Some(_), None) => false,
    };
    if refresh {
        let err = |source| TourError::Copy {
            path: copy.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        std::fs::write(&copy, &text).map_err(err)?;
        std::fs::write(&mark, &shipped_digest).map_err(err)?;
    }
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_refreshes_unedited_copies_and_keeps_edited_ones() {
        let tmp = tempfile::tempdir().expect("tmp");
        let shipped = tmp.path().join("shipped.md");
        let dir = tmp.path().join("data/tour");
        std::fs::write(&shipped, "# Tour v1\n").expect("write");
        let copy = working_copy(&shipped, &dir).expect("copied");
        assert_eq!(std::fs::read_to_string(&copy).expect("read"), "# Tour v1\n");

        std::fs::write(&shipped, "# Tour v2\n").expect("write");
        working_copy(&shipped, &dir).expect("refreshed");
        assert_eq!(std::fs::read_to_string(&copy).expect("read"), "# Tour v2\n");

        std::fs::write(&copy, "# My tour\n").expect("the user edits it");
        std::fs::write(&shipped, "# Tour v3\n").expect("write");
        working_copy(&shipped, &dir).expect("kept");
        assert_eq!(std::fs::read_to_string(&copy).expect("read"), "# My tour\n");
    }

    #[test]
    fn a_missing_shipped_tour_is_named() {
        let tmp = tempfile::tempdir().expect("tmp");
        let err = working_copy(&tmp.path().join("nope.md"), tmp.path()).expect_err("missing");
        assert!(err.to_string().contains("nope.md"), "{err}");
    }
}
