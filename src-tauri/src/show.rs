//! The show for the windows: core's [`Show`] (current step, modes, timer, blank,
//! audience) behind commands. Each window subscribes with a channel and hears the
//! whole state first, then every change; none owns it.

use std::sync::Arc;

use cuedeck_core::show::state::{now_ms, Show, ShowCommand, ShowError, ShowState};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{Runtime, State, WebviewWindow};

/// Why a show command was refused, for the UI to show.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct ShowRefused {
    pub message: String,
}

impl From<ShowError> for ShowRefused {
    fn from(e: ShowError) -> Self {
        Self {
            message: e.to_string(),
        }
    }
}

/// Subscribes the calling window to the show (a reloaded window replaces its own
/// earlier subscription); returns the whole state, which the channel then follows.
/// The audience window gets [`ShowState::for_audience`]: no path, no step ids.
#[tauri::command]
pub fn show_attach<R: Runtime>(
    window: WebviewWindow<R>,
    show: State<'_, Arc<Show>>,
    on_state: Channel<ShowState>,
) -> ShowState {
    let label = window.label().to_string();
    tracing::info!(window = %label, "window subscribed to the show");
    let seen = seen_by(&label);
    let first = show.subscribe(&label, move |state| {
        if let Err(e) = on_state.send(seen(state)) {
            tracing::warn!("show state lost on its way to a window: {e}");
        }
    });
    seen_by(&label)(&first)
}

/// The show as window `label` is sent it.
pub fn seen_by(label: &str) -> fn(&ShowState) -> ShowState {
    if label == crate::audience::AUDIENCE_WINDOW {
        ShowState::for_audience
    } else {
        ShowState::clone
    }
}

/// A command of the presenter window. What only the app itself knows (what plays,
/// where the audience window is and the grid it sized, which terminals run) is not
/// the window's to say: only the commands listed here are taken.
#[tauri::command]
pub fn show_command(
    show: State<'_, Arc<Show>>,
    command: ShowCommand,
) -> Result<ShowState, ShowRefused> {
    if !presenters(&command) {
        return Err(ShowRefused {
            message: "that part of the show is the app's own to set".into(),
        });
    }
    Ok(show.apply(command, now_ms())?)
}

/// The commands the presenter's window may send.
fn presenters(command: &ShowCommand) -> bool {
    use ShowCommand as C;
    matches!(
        command,
        C::GoTo { .. }
            | C::Next
            | C::Previous
            | C::SetMode { .. }
            | C::SetStepMode { .. }
            | C::StartTimer
            | C::ToggleTimer
            | C::ResetTimer
            | C::ToggleBlank
            | C::SetBlank { .. }
            | C::ShowClock { .. }
            | C::AudienceColumns { .. }
    )
}

/// Applies a command of the app itself, logging (not failing) a refusal.
pub fn apply(show: &Show, command: ShowCommand) {
    if let Err(e) = show.apply(command, now_ms()) {
        tracing::warn!("show command refused: {e}");
    }
}
