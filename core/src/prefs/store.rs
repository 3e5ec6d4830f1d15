//! [`Prefs`]: the runbooks opened lately (the start page's list) and where each window
//! was (restored when it opens again), in `prefs.json` in the config folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::json_file::{self, JsonFileError};

/// How many runbooks the start page lists.
pub const RECENT_MAX: usize = 12;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Prefs {
    /// Most recently opened first, each path once.
    pub recent: Vec<RecentRunbook>,
    /// By window label (`main`, `audience`).
    pub windows: BTreeMap<String, WindowPlacement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentRunbook {
    /// Absolute.
    pub path: PathBuf,
    /// Its title when it was last opened (masked as the presenter saw it).
    pub title: String,
    /// When it was last opened, Unix seconds.
    pub opened_unix: u64,
}

/// Where a window was, in physical pixels of the whole desktop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowPlacement {
    /// The monitor it was on, by name: placement is restored only on that monitor.
    pub monitor: Option<String>,
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub maximized: bool,
    pub fullscreen: bool,
}

impl Prefs {
    /// `path` was opened now with `title`: first in the list, once.
    pub fn opened(&mut self, path: &Path, title: &str, now_unix: u64) {
        self.forget(path);
        self.recent.insert(
            0,
            RecentRunbook {
                path: path.to_path_buf(),
                title: title.to_string(),
                opened_unix: now_unix,
            },
        );
        self.recent.truncate(RECENT_MAX);
    }

    /// Takes `path` off the recent list.
    pub fn forget(&mut self, path: &Path) {
        self.recent.retain(|r| r.path != path);
    }
}

/// The preferences file, read and written by one process at a time (the app), through
/// [`PrefsStore::update`].
#[derive(Debug)]
pub struct PrefsStore {
    file: PathBuf,
    lock: Mutex<()>,
}

impl PrefsStore {
    /// The store in `dir` (the config folder).
    pub fn at(dir: &Path) -> Self {
        Self {
            file: dir.join("prefs.json"),
            lock: Mutex::new(()),
        }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    /// What is kept. A file that cannot be read is set aside (kept, as
    /// `prefs.json.corrupt`, and logged) and counts as nothing kept: losing the recent
    /// list must never keep the app from starting.
    pub fn load(&self) -> Prefs {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.read_or_default()
    }

    /// Changes what is kept with `change`, and writes it.
    pub fn update(&self, change: impl FnOnce(&mut Prefs)) -> Result<Prefs, JsonFileError> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut prefs = self.read_or_default();
        change(&mut prefs);
        json_file::write(&self.file, &prefs)?;
        Ok(prefs)
    }

    fn read_or_default(&self) -> Prefs {
        match json_file::read(&self.file) {
            Ok(p) => p,
            Err(e @ JsonFileError::Corrupt { .. }) => {
                let aside = json_file::set_aside(&self.file);
                tracing::warn!(kept = ?aside, "preferences reset: {e}");
                Prefs::default()
            }
            Err(e) => {
                tracing::warn!("preferences not read: {e}");
                Prefs::default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recent_list_is_newest_first_once_each_and_bounded() {
        let mut p = Prefs::default();
        for i in 0..20u64 {
            p.opened(Path::new(&format!("/r/{i}.md")), "t", i);
        }
        p.opened(Path::new("/r/5.md"), "again", 99);
        assert_eq!(p.recent.len(), RECENT_MAX);
        assert_eq!(p.recent[0].path, Path::new("/r/5.md"));
        assert_eq!(p.recent[0].title, "again");
        assert_eq!(
            p.recent
                .iter()
                .filter(|r| r.path == Path::new("/r/5.md"))
                .count(),
            1
        );
        assert_eq!(p.recent[1].path, Path::new("/r/19.md"));
        p.forget(Path::new("/r/19.md"));
        assert_eq!(p.recent[1].path, Path::new("/r/18.md"));
    }

    #[test]
    fn updates_persist_and_a_corrupt_file_is_kept_aside() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = PrefsStore::at(dir.path());
        assert_eq!(store.load(), Prefs::default());
        store
            .update(|p| {
                p.opened(Path::new("/demo/a.md"), "A", 1);
                p.windows.insert(
                    "main".into(),
                    WindowPlacement {
                        monitor: Some("HDMI-1".into()),
                        x: 10,
                        y: 20,
                        width: 1280,
                        height: 720,
                        maximized: false,
                        fullscreen: false,
                    },
                );
            })
            .expect("written");
        let again = PrefsStore::at(dir.path()).load();
        assert_eq!(again.recent[0].title, "A");
        assert_eq!(again.windows["main"].width, 1280);

        std::fs::write(store.file(), "[1,").expect("corrupt it");
        assert_eq!(store.load(), Prefs::default());
        assert!(dir.path().join("prefs.json.corrupt").exists());
    }
}
