//! Cuedeck's engine. Everything here is testable headless: no Tauri, no GTK.
//!
//! - [`runbook`]: Markdown runbook -> [`runbook::Runbook`] model, and its lint.

pub mod cli;
pub mod runbook;
