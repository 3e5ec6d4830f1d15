//! Markdown runbook -> [`Runbook`] model (parse, infer structure, lint).
//!
//! Parsing never fails: problems in the Markdown become [`Diagnostic`]s with a line.
//! Only reading the file can fail, with a [`LoadError`].

mod attributes;
mod duration;
mod frontmatter;
mod infer;
pub mod lint;
mod markdown;
mod model;
mod parse;
mod render;
pub mod shell;

use std::path::{Path, PathBuf};

pub use duration::parse_duration_ms;
pub use model::*;

/// Why a runbook file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { path: PathBuf, offset: usize },
}

/// The port of a `localhost` / `127.0.0.1` URL (`http://localhost:8080/x` -> 8080),
/// `None` for other hosts.
pub fn local_port(url: &str) -> Option<u16> {
    infer::local_urls(url).first().map(|u| u.port)
}

/// Parses runbook Markdown held in memory. `path` is recorded in the model only.
/// The folder a runbook lives in (`.` for a bare file name): where its terminals start
/// and its rehearsals are kept.
pub fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

pub fn parse_str(source: &str, path: Option<&Path>) -> Runbook {
    parse::parse(source, path)
}

/// Reads and parses a runbook file.
pub fn load(path: &Path) -> Result<Runbook, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| LoadError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    Ok(parse_str(&text, Some(path)))
}
