//! Placeholder: the real parser lands in the next commit.
use std::path::Path;

use super::Runbook;

pub fn parse(_source: &str, path: Option<&Path>) -> Runbook {
    Runbook {
        path: path.map(|p| p.display().to_string()),
        ..Runbook::default()
    }
}
