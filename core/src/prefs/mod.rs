//! What Cuedeck keeps about the user between runs, and where: the config folder
//! ([`config_dir`]: trust decisions, the recent runbooks, window placement) and the
//! data folder ([`data_dir`]: the tour's working copy). Both can be moved with an
//! environment variable, so tests never touch the user's own.
//!
//! - [`json_file`]: a JSON file read whole and written whole (temp file + rename).
//! - [`store`]: [`Prefs`], the recent runbooks and each window's placement.
//! - [`tour`]: the tour's working copy, refreshed from the shipped one unless edited.

pub mod json_file;
pub mod store;
pub mod tour;

use std::path::PathBuf;

pub use store::{Prefs, PrefsStore, RecentRunbook, WindowPlacement};

/// `$CUEDECK_CONFIG_DIR`, else `$XDG_CONFIG_HOME/cuedeck`, else `~/.config/cuedeck`.
pub fn config_dir() -> Option<PathBuf> {
    folder("CUEDECK_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")
}

/// `$CUEDECK_DATA_DIR`, else `$XDG_DATA_HOME/cuedeck`, else `~/.local/share/cuedeck`.
pub fn data_dir() -> Option<PathBuf> {
    folder("CUEDECK_DATA_DIR", "XDG_DATA_HOME", ".local/share")
}

fn folder(own: &str, xdg: &str, under_home: &str) -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    var(own)
        .map(PathBuf::from)
        .or_else(|| var(xdg).map(|d| PathBuf::from(d).join("cuedeck")))
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(under_home).join("cuedeck")))
}
