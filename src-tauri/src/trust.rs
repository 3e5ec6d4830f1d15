//! Trust in the window: before the first Run, Rehearse or Play of a runbook the
//! presenter sees its trust sheet (what would execute beyond the visible blocks) and
//! accepts it or not. The decision is kept in the user's config folder, pinned to
//! the runbook's path and the digest of its executable parts; until it is made,
//! nothing runs ([`crate::terminals::Terminals::runner`] refuses) and only loopback
//! services are probed.

use std::path::Path;
use std::sync::Arc;

use cuedeck_core::trust::{TrustSheet, TrustStore};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::probes::Probes;
use crate::terminals::{TerminalError, Terminals};

/// Where the app keeps trust decisions: the user's store, or none (decisions last
/// the session; the app's own tests, which must not write the user's config).
pub struct TrustPlace(pub Result<TrustStore, String>);

impl TrustPlace {
    pub fn user() -> Self {
        Self(TrustStore::user().map_err(|e| e.to_string()))
    }

    pub fn session_only() -> Self {
        Self(Err(
            "trust decisions are not kept by this app instance".into()
        ))
    }

    fn is_trusted(&self, path: &Path, digest: &str) -> Result<bool, String> {
        let store = self.0.as_ref().map_err(Clone::clone)?;
        store.is_trusted(path, digest).map_err(|e| e.to_string())
    }

    fn trust(&self, path: &Path, digest: &str) -> Result<(), String> {
        let store = self.0.as_ref().map_err(Clone::clone)?;
        store.trust(path, digest).map_err(|e| e.to_string())
    }
}

/// The open runbook's trust sheet and whether the presenter trusts it as it is.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustStatus {
    pub sheet: TrustSheet,
    pub trusted: bool,
    /// Why the decision cannot be kept past this session (no config folder, ...).
    pub store_error: Option<String>,
}

/// A runbook was opened or reloaded: its trust as stored, for its runs and probes.
pub fn on_open<R: Runtime>(app: &AppHandle<R>, path: &Path) {
    let terminals = app.state::<Arc<Terminals>>();
    let Ok(sheet) = terminals.sheet() else {
        return;
    };
    let trusted = sheet.blocked.is_empty()
        && match app.state::<TrustPlace>().is_trusted(path, &sheet.digest) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!("cannot read the trust decisions: {e}");
                false
            }
        };
    apply(app, &sheet, trusted);
}

fn apply<R: Runtime>(app: &AppHandle<R>, sheet: &TrustSheet, trusted: bool) {
    app.state::<Arc<Terminals>>()
        .set_trusted(trusted.then(|| sheet.digest.clone()));
    app.state::<Arc<Probes>>().set_trusted(trusted);
    tracing::info!(runbook = %sheet.path.display(), trusted, "trust");
}

/// The open runbook's trust sheet, and whether it is trusted.
#[tauri::command]
pub fn trust_status(
    terminals: State<'_, Arc<Terminals>>,
    place: State<'_, TrustPlace>,
) -> Result<TrustStatus, TerminalError> {
    let sheet = terminals.sheet()?;
    let (trusted, store_error) = match place.is_trusted(&sheet.path, &sheet.digest) {
        Ok(t) => (t, None),
        Err(e) => (false, Some(e)),
    };
    // A decision made this session counts even when it could not be stored.
    let trusted = sheet.blocked.is_empty() && (trusted || terminals.runner().is_ok());
    Ok(TrustStatus {
        sheet,
        trusted,
        store_error,
    })
}

/// The presenter trusts the runbook as the sheet showed it (`digest`). Refused when
/// the runbook changed since (the sheet is shown again) or asks for what no runbook
/// may do.
#[tauri::command]
pub fn trust_accept<R: Runtime>(
    app: AppHandle<R>,
    terminals: State<'_, Arc<Terminals>>,
    place: State<'_, TrustPlace>,
    digest: String,
) -> Result<TrustStatus, TerminalError> {
    let sheet = terminals.sheet()?;
    if !sheet.blocked.is_empty() {
        return Err(TerminalError::new(format!(
            "it cannot be trusted: {}",
            sheet.refusals().join("; ")
        )));
    }
    if sheet.digest != digest {
        return Err(TerminalError::new(
            "the runbook changed since its trust sheet was shown: look at it again",
        ));
    }
    let store_error = place.trust(&sheet.path, &sheet.digest).err();
    if let Some(e) = &store_error {
        tracing::warn!("trusted for this session only: {e}");
    }
    apply(&app, &sheet, true);
    Ok(TrustStatus {
        sheet,
        trusted: true,
        store_error,
    })
}
