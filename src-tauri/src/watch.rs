//! Watches one file for changes, debounced, surviving editors that save by rename.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

/// Quiet time after the last change before reloading: editors write in several steps.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// A running watch. Dropping it stops the watcher and its thread.
pub struct FileWatch {
    _watcher: RecommendedWatcher,
}

/// Calls `on_change` (on a thread of its own) each time `path` settles after a change.
///
/// Watches the parent directory rather than the file: an editor that saves by writing a
/// temporary file and renaming it over the original replaces the watched inode.
pub fn watch_file(path: &Path, on_change: impl Fn() + Send + 'static) -> anyhow::Result<FileWatch> {
    let name: OsString = path
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("{} names no file", path.display()))?
        .to_owned();
    let dir: PathBuf = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx)?;
    watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    std::thread::Builder::new()
        .name("runbook-watch".into())
        .spawn(move || debounce_loop(&rx, &name, on_change))?;
    Ok(FileWatch { _watcher: watcher })
}

fn debounce_loop(
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    name: &OsString,
    on_change: impl Fn(),
) {
    // Ends when the watcher (the sender) is dropped.
    while let Ok(event) = rx.recv() {
        if !concerns(&event, name) {
            continue;
        }
        loop {
            match rx.recv_timeout(DEBOUNCE) {
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        on_change();
    }
}

fn concerns(event: &notify::Result<notify::Event>, name: &OsString) -> bool {
    match event {
        Ok(event) => {
            matches!(
                event.kind,
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
            ) && event
                .paths
                .iter()
                .any(|p| p.file_name() == Some(name.as_os_str()))
        }
        Err(e) => {
            tracing::warn!("file watch error: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{channel, Receiver};

    /// A watched `talk.md` in a fresh folder, and the channel its changes arrive on.
    fn watched_talk() -> anyhow::Result<(tempfile::TempDir, PathBuf, Receiver<()>, FileWatch)> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("talk.md");
        std::fs::write(&file, "# One\n")?;
        let (tx, rx) = channel();
        let watch = watch_file(&file, move || {
            let _ = tx.send(());
        })?;
        Ok((dir, file, rx, watch))
    }

    #[test]
    fn reports_a_change_to_the_file_and_not_to_its_neighbours() -> anyhow::Result<()> {
        let (dir, file, rx, _watch) = watched_talk()?;

        std::fs::write(dir.path().join("other.md"), "# Other\n")?;
        assert!(rx.recv_timeout(Duration::from_millis(600)).is_err());

        std::fs::write(&file, "# Two\n")?;
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_ok());
        Ok(())
    }

    #[test]
    fn survives_save_by_rename() -> anyhow::Result<()> {
        let (dir, file, rx, _watch) = watched_talk()?;
        let tmp = dir.path().join(".talk.md.swp");
        std::fs::write(&tmp, "# Two\n")?;
        std::fs::rename(&tmp, &file)?;
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_ok());
        // And again: the watch is on the directory, so the new inode is seen too.
        std::fs::write(&file, "# Three\n")?;
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_ok());
        Ok(())
    }
}
