//! The audience window (label `audience`): opened on a second monitor, fullscreen,
//! when there is one (placed on the monitor first, then made fullscreen: a builder's
//! fullscreen is ignored on secondary monitors on some platforms), else as a normal
//! window. Its capability grants only what it needs: the show, its redacted view of
//! the runbook and of the terminals, blank, and relaying a remote's keys.

use std::sync::Arc;

use cuedeck_core::show::audience::AudienceView;
use cuedeck_core::show::state::{now_ms, Show, ShowCommand, ShowState, TerminalGrid};
use serde::{Deserialize, Serialize};
use tauri::{
    AppHandle, Emitter, Manager, Monitor, Runtime, State, WebviewUrl, WebviewWindow,
    WebviewWindowBuilder, WindowEvent,
};

use crate::show::{apply, ShowRefused};
use crate::terminals::Terminals;
use crate::MAIN_WINDOW;

/// The label of the audience window (see `capabilities/audience.json`).
pub const AUDIENCE_WINDOW: &str = "audience";

/// What a presentation remote's button means (the same in both windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ClickerAction {
    Advance,
    Back,
    Blank,
    Start,
    LeaveFullscreen,
}

/// Opens the audience window, or brings it up; `fullscreen` makes it fullscreen even
/// on the presenter's own monitor (F5). The presenter's window keeps the keyboard.
#[tauri::command]
pub async fn audience_open<R: Runtime>(
    app: AppHandle<R>,
    show: State<'_, Arc<Show>>,
    fullscreen: bool,
) -> Result<(), ShowRefused> {
    let (window, created) = match app.get_webview_window(AUDIENCE_WINDOW) {
        Some(window) => (window, false),
        None => (create(&app, Arc::clone(&show))?, true),
    };
    // Where it was last, if that monitor is still there; the projector wins otherwise.
    let restored = created && crate::start::restore_placement(&window);
    let monitor = other_monitor(&app);
    if let Some(monitor) = &monitor {
        if !(restored && is_on(&window, monitor)) {
            place_on(&window, monitor);
        }
    }
    let fullscreen = fullscreen || monitor.is_some();
    if fullscreen {
        refused(
            window.set_fullscreen(true),
            "make the audience window fullscreen",
        )?;
    }
    refused(window.show(), "show the audience window")?;
    if let Some(main) = app.get_webview_window(MAIN_WINDOW) {
        // A remote's keys go to the focused window: keep it the presenter's.
        let _ = main.set_focus();
    }
    apply(&show, audience_state(&window, monitor.as_ref(), fullscreen));
    Ok(())
}

fn create<R: Runtime>(
    app: &AppHandle<R>,
    show: Arc<Show>,
) -> Result<WebviewWindow<R>, ShowRefused> {
    tracing::info!("opening the audience window");
    let window = WebviewWindowBuilder::new(
        app,
        AUDIENCE_WINDOW,
        WebviewUrl::App("audience.html".into()),
    )
    .title("Cuedeck — Audience")
    .inner_size(1280.0, 720.0)
    .min_inner_size(640.0, 400.0)
    .background_color(tauri::window::Color(11, 15, 24, 255))
    .focused(false)
    .build()
    .map_err(|e| ShowRefused {
        message: format!("cannot open the audience window: {e}"),
    })?;
    crate::start::keep_placement(&window);
    let on_close = Arc::clone(&show);
    let handle = app.clone();
    window.on_window_event(move |event| {
        // A window opened again at once has the same label: leave the new one be.
        if matches!(event, WindowEvent::Destroyed)
            && handle.get_webview_window(AUDIENCE_WINDOW).is_none()
        {
            on_close.unsubscribe(AUDIENCE_WINDOW);
            apply(&on_close, closed());
            apply(&on_close, ShowCommand::AudienceGrid { grid: None });
        }
    });
    Ok(window)
}

fn closed() -> ShowCommand {
    ShowCommand::Audience {
        open: false,
        monitor: None,
        fullscreen: false,
    }
}

fn audience_state<R: Runtime>(
    window: &WebviewWindow<R>,
    placed: Option<&Monitor>,
    fullscreen: bool,
) -> ShowCommand {
    let monitor = placed
        .cloned()
        .or_else(|| window.current_monitor().ok().flatten())
        .and_then(|m| m.name().cloned());
    ShowCommand::Audience {
        open: true,
        monitor,
        fullscreen: window.is_fullscreen().unwrap_or(fullscreen),
    }
}

/// A monitor other than the presenter window's, if the machine has one.
fn other_monitor<R: Runtime>(app: &AppHandle<R>) -> Option<Monitor> {
    let main = app.get_webview_window(MAIN_WINDOW)?;
    let presenter = main.current_monitor().ok().flatten();
    let monitors = app.available_monitors().ok()?;
    monitors.into_iter().find(|m| {
        presenter
            .as_ref()
            .is_none_or(|p| m.position() != p.position())
    })
}

fn is_on<R: Runtime>(window: &WebviewWindow<R>, monitor: &Monitor) -> bool {
    window
        .current_monitor()
        .ok()
        .flatten()
        .is_some_and(|m| m.position() == monitor.position())
}

fn place_on<R: Runtime>(window: &WebviewWindow<R>, monitor: &Monitor) {
    let at = monitor.position();
    if let Err(e) = window.set_position(tauri::PhysicalPosition::new(at.x + 40, at.y + 40)) {
        tracing::warn!("cannot place the audience window on its monitor: {e}");
    }
}

fn refused(result: tauri::Result<()>, what: &str) -> Result<(), ShowRefused> {
    result.map_err(|e| ShowRefused {
        message: format!("cannot {what}: {e}"),
    })
}

/// Closes the audience window (the show goes on).
#[tauri::command]
pub fn audience_close<R: Runtime>(app: AppHandle<R>) -> Result<(), ShowRefused> {
    match app.get_webview_window(AUDIENCE_WINDOW) {
        Some(window) => refused(window.close(), "close the audience window"),
        None => Ok(()),
    }
}

/// Esc: the audience window leaves fullscreen. It never closes, and the show goes on.
#[tauri::command]
pub fn audience_leave_fullscreen<R: Runtime>(
    app: AppHandle<R>,
    show: State<'_, Arc<Show>>,
) -> Result<(), ShowRefused> {
    let Some(window) = app.get_webview_window(AUDIENCE_WINDOW) else {
        return Ok(());
    };
    refused(window.set_fullscreen(false), "leave fullscreen")?;
    apply(&show, audience_state(&window, None, false));
    Ok(())
}

/// B or `.` in the audience window: blank it, or restore it.
#[tauri::command]
pub fn audience_blank(show: State<'_, Arc<Show>>) -> Result<ShowState, ShowRefused> {
    Ok(show
        .apply(ShowCommand::ToggleBlank, now_ms())?
        .for_audience())
}

/// The grid the audience window sized its tiles to: every terminal (the presenter's
/// views of it too) follows it while the audience is open.
#[tauri::command]
pub fn audience_grid(
    show: State<'_, Arc<Show>>,
    grid: Option<TerminalGrid>,
) -> Result<(), ShowRefused> {
    tracing::info!(?grid, "the audience sized the terminals");
    show.apply(ShowCommand::AudienceGrid { grid }, now_ms())?;
    Ok(())
}

/// A remote's key pressed while the audience window had the focus: the presenter's
/// window acts on it as if pressed there (it alone runs blocks).
#[tauri::command]
pub fn audience_clicker<R: Runtime>(
    app: AppHandle<R>,
    action: ClickerAction,
) -> Result<(), ShowRefused> {
    app.emit_to(MAIN_WINDOW, "clicker", action)
        .map_err(|e| ShowRefused {
            message: format!("cannot reach the presenter's window: {e}"),
        })
}

/// The open runbook as the audience may see it: no notes, Q&A, expectations or
/// checklists, every `redact` match masked.
#[tauri::command]
pub fn audience_view(terminals: State<'_, Arc<Terminals>>) -> Option<AudienceView> {
    let (_, runbook) = terminals.runbook().ok()?;
    Some(AudienceView::of(&runbook))
}
