//! Helpers shared by the terminal tests (included with `mod`; not a test itself).
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use cuedeck_core::terminal::{Session, SessionOptions, Timeouts};
use tempfile::TempDir;

/// Generous: the CI machine has 2 cores and runs other work.
pub const WAIT: Duration = Duration::from_secs(60);

/// A home directory of our own, so the user's real rc files do not affect the tests.
pub fn home() -> TempDir {
    let dir = tempfile::tempdir().expect("temp home");
    std::fs::write(
        dir.path().join(".bashrc"),
        "export CUEDECK_TEST_RC=from-bashrc\nPS1='test$ '\n",
    )
    .expect("write .bashrc");
    dir
}

pub fn options(name: &str, home: &Path) -> SessionOptions {
    SessionOptions {
        login: false,
        cwd: Some(home.to_path_buf()),
        env: vec![("HOME".into(), home.display().to_string())],
        timeouts: Timeouts {
            startup: WAIT,
            step: WAIT,
            background: WAIT,
            stop_grace: Duration::from_millis(1500),
        },
        ..SessionOptions::named(name)
    }
}

/// A started session at its first prompt, with its home directory.
pub fn session(name: &str) -> (Session, TempDir) {
    let home = home();
    let s = Session::spawn(options(name, home.path())).expect("spawn shell");
    s.wait_ready(WAIT).expect("first prompt");
    (s, home)
}
