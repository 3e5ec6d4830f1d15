//! Cuedeck's engine. Everything here is testable headless: no Tauri, no GTK.
//!
//! - [`runbook`]: Markdown runbook -> [`runbook::Runbook`] model, and its lint.
//! - [`terminal`]: shells in pseudo-terminals, steps run at their prompts, output path.
//! - [`probe`]: health probes, metrics and system sampling of the services under demo.
//! - [`record`]: rehearsal recordings (asciicast), the rehearsal store, playback.
//! - [`capture`]: terminal snapshots (SVG/PNG) and the backup bundle.
//! - [`trust`]: what a runbook would execute, what it may never do, and trust decisions.
//! - [`prefs`]: what is kept between runs (recent runbooks, window placement, the tour's copy).
//! - [`demo_service`]: the small HTTP service our own runbooks demo.

pub mod capture;
pub mod cli;
pub mod demo_service;
pub mod prefs;
pub mod probe;
pub mod record;
pub mod runbook;
pub mod show;
pub mod terminal;
pub mod trust;

/// A text short enough for a status line or a badge: at most 60 characters, an
/// ellipsis where it was cut.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX - 1) {
        Some((cut, _)) if text.chars().count() > MAX => format!("{}…", &text[..cut]),
        _ => text.to_string(),
    }
}
