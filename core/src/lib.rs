//! Cuedeck's engine. Everything here is testable headless: no Tauri, no GTK.
//!
//! - [`runbook`]: Markdown runbook -> [`runbook::Runbook`] model, and its lint.
//! - [`terminal`]: shells in pseudo-terminals, steps run at their prompts, output path.

pub mod cli;
pub mod runbook;
pub mod show;
pub mod terminal;
