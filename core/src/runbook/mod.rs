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
pub(crate) use render::{escape_html, masked_step_html};
pub mod shell;

use std::path::{Path, PathBuf};

pub use duration::parse_duration_ms;
pub use markdown::options as markdown_options;
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
    #[error("{path} is {size} bytes: a runbook is at most {max} bytes (5 MB); refused")]
    TooLarge { path: PathBuf, size: u64, max: u64 },
    #[error("{path} is {kind}, not a regular file: refused")]
    NotAFile { path: PathBuf, kind: &'static str },
}

/// The largest runbook read: far beyond any talk, small enough that a wrong file
/// (a log, an image) is refused rather than parsed.
pub const MAX_RUNBOOK_BYTES: u64 = 5 * 1024 * 1024;

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

/// Reads and parses a runbook file: a regular file (a symlink to one is fine) of at
/// most [`MAX_RUNBOOK_BYTES`]. A FIFO, a device or a folder is refused before it is
/// opened, so reading can neither block nor run on forever.
pub fn load(path: &Path) -> Result<Runbook, LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(LoadError::NotAFile {
            path: path.to_path_buf(),
            kind: file_kind(&meta),
        });
    }
    if meta.len() > MAX_RUNBOOK_BYTES {
        return Err(too_large(path, meta.len()));
    }
    // The file may grow between the check and the read: read one byte past the
    // limit at most, and refuse if it is there.
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(
            std::fs::File::open(path).map_err(io)?,
            MAX_RUNBOOK_BYTES + 1,
        ),
        &mut bytes,
    )
    .map_err(io)?;
    if bytes.len() as u64 > MAX_RUNBOOK_BYTES {
        return Err(too_large(path, bytes.len() as u64));
    }
    let text = String::from_utf8(bytes).map_err(|e| LoadError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    Ok(parse_str(&text, Some(path)))
}

fn too_large(path: &Path, size: u64) -> LoadError {
    LoadError::TooLarge {
        path: path.to_path_buf(),
        size,
        max: MAX_RUNBOOK_BYTES,
    }
}

/// What a file that is not a regular file is, for the message.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    if meta.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}
