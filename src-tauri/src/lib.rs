//! Cuedeck's desktop app: Tauri commands over `cuedeck-core`, and the window.
//!
//! Thin by rule: every command adapts one core operation; the logic lives in core
//! (parsing) or in the UI (presentation). Types crossing IPC are core's model types
//! plus the few defined here, mirrored in `ui/src/shared/model.ts`.

mod audience;
mod capture;
mod error;
mod links;
mod playback;
mod probes;
mod rehearsals;
mod show;
mod start;
mod terminals;
mod trust;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use cuedeck_core::runbook::{self, Runbook};
use cuedeck_core::show::presenter::presenter_runbook;
use cuedeck_core::show::state::{now_ms, Show};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State};

pub use error::{OpenError, OpenErrorKind};
pub use probes::Probes;
pub use start::PrefsPlace;
pub use terminals::{BlockState, BlockStatus, TerminalError, Terminals};
pub use trust::TrustPlace;

/// The label of the presenter window (see `tauri.conf.json` and `capabilities/`).
pub const MAIN_WINDOW: &str = "main";

/// What the hot-reload channel carries: the runbook as now on disk, or why it can't be read.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RunbookUpdate {
    Loaded { runbook: Box<Runbook> },
    Failed { error: OpenError },
}

/// The app's state: which runbook is open, its file watch, and who hears of changes.
pub struct AppState {
    /// The runbook named on the command line, made absolute.
    initial: Option<PathBuf>,
    session: Mutex<Session>,
}

#[derive(Default)]
struct Session {
    current: Option<PathBuf>,
    watch: Option<watch::FileWatch>,
    subscriber: Option<Channel<RunbookUpdate>>,
}

impl AppState {
    pub fn new(initial: Option<PathBuf>) -> Self {
        Self {
            initial: initial.map(|p| absolute(&p)),
            session: Mutex::default(),
        }
    }

    fn session(&self) -> MutexGuard<'_, Session> {
        // A panic while holding the lock leaves plain data behind; keep going with it.
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Opens the runbook at `path`, makes it the open one (title, file watch) and returns it.
#[tauri::command]
async fn open_runbook<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    path: PathBuf,
) -> Result<Runbook, OpenError> {
    open(&app, &state, &absolute(&path))
}

/// The runbook the window shows on start: the one already open in this session (the
/// webview was reloaded), else the one named on the command line, else none.
#[tauri::command]
async fn initial_runbook<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<Option<Runbook>, OpenError> {
    let path = state.session().current.clone().or(state.initial.clone());
    match path {
        Some(path) => open(&app, &state, &path).map(Some),
        None => Ok(None),
    }
}

/// Opens the tour: its working copy in the data folder (made or refreshed from the
/// shipped one), so its rehearsals land neither in the install nor in a checkout.
#[tauri::command]
async fn open_tour<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<Runbook, OpenError> {
    let path = start::tour_copy().map_err(|reason| OpenError {
        kind: OpenErrorKind::Unreadable,
        path: "the tour".into(),
        reason,
    })?;
    open(&app, &state, &path)
}

/// Subscribes the window to hot reloads of the open runbook (replaces any earlier one).
#[tauri::command]
async fn watch_runbook(
    state: State<'_, AppState>,
    on_update: Channel<RunbookUpdate>,
) -> Result<(), OpenError> {
    state.session().subscriber = Some(on_update);
    Ok(())
}

fn open<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    path: &Path,
) -> Result<Runbook, OpenError> {
    tracing::info!(path = %path.display(), "opening runbook");
    let loaded = runbook::load(path).map_err(|e| OpenError::from_load(&e));
    let shown = loaded
        .as_ref()
        .map_err(Clone::clone)
        .and_then(|rb| shown(path, rb));
    set_title(app, path, shown.as_ref().ok());

    // Watch even a file that failed to load: fixing it in the editor reloads it.
    let mut session = state.session();
    if session.current.as_deref() != Some(path) || session.watch.is_none() {
        session.watch = None;
        session.current = Some(path.to_path_buf());
        let (handle, watched) = (app.clone(), path.to_path_buf());
        match watch::watch_file(path, move || reload(&handle, &watched)) {
            Ok(w) => session.watch = Some(w),
            Err(e) => tracing::warn!(path = %path.display(), "cannot watch runbook: {e:#}"),
        }
    }
    drop(session);

    if let Ok(rb) = &loaded {
        use_runbook(app, path, rb);
    }
    if let Ok(rb) = &shown {
        start::remember_opened(app, path, &rb.title);
    }
    match &loaded {
        Ok(rb) => tracing::info!(
            steps = rb.steps.len(),
            diagnostics = rb.diagnostics.len(),
            "runbook loaded"
        ),
        Err(e) => tracing::warn!("{e}"),
    }
    shown
}

/// `runbook` as the window is given it: masked as [`presenter_runbook`] says. The
/// terminals, probes and show get the runbook as written.
fn shown(path: &Path, runbook: &Runbook) -> Result<Runbook, OpenError> {
    presenter_runbook(runbook).map_err(|e| OpenError::from_present(path, &e))
}

/// Called by the file watch: re-reads the file and pushes it to the window.
fn reload<R: Runtime>(app: &AppHandle<R>, path: &Path) {
    let state = app.state::<AppState>();
    let subscriber = {
        let session = state.session();
        if session.current.as_deref() != Some(path) {
            return; // another runbook was opened meanwhile
        }
        session.subscriber.clone()
    };
    tracing::info!(path = %path.display(), "runbook changed on disk; reloading");
    let update = match runbook::load(path) {
        Ok(rb) => {
            use_runbook(app, path, &rb);
            match shown(path, &rb) {
                Ok(shown) => {
                    set_title(app, path, Some(&shown));
                    RunbookUpdate::Loaded {
                        runbook: Box::new(shown),
                    }
                }
                Err(error) => RunbookUpdate::Failed { error },
            }
        }
        Err(e) => RunbookUpdate::Failed {
            error: OpenError::from_load(&e),
        },
    };
    if let Some(channel) = subscriber {
        if let Err(e) = channel.send(update) {
            tracing::warn!("cannot push the reloaded runbook to the window: {e}");
        }
    }
}

/// Makes `runbook` the one the terminals run, the probes watch and the show presents
/// (a reload of the same file keeps the show's step and clock).
fn use_runbook<R: Runtime>(app: &AppHandle<R>, path: &Path, runbook: &Runbook) {
    app.state::<Arc<Terminals>>().set_runbook(path, runbook);
    app.state::<Arc<Probes>>().set_runbook(path, runbook);
    trust::on_open(app, path);
    let steps = runbook.steps.iter().map(|s| s.id.clone()).collect();
    let show = app.state::<Arc<Show>>();
    show.open(&path.to_string_lossy(), steps, now_ms());
    terminals::publish_started(&show, &app.state::<Arc<Terminals>>());
}

/// "<runbook title> — Cuedeck"; the file name stands in for a missing title.
pub fn window_title(path: &Path, runbook: Option<&Runbook>) -> String {
    let title = runbook
        .map(|rb| rb.title.trim())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if title.is_empty() {
        "Cuedeck".to_owned()
    } else {
        format!("{title} — Cuedeck")
    }
}

fn set_title<R: Runtime>(app: &AppHandle<R>, path: &Path, runbook: Option<&Runbook>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        if let Err(e) = window.set_title(&window_title(path, runbook)) {
            tracing::warn!("cannot set the window title: {e}");
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The app's plugins, state and commands on any runtime (the real one, or the mock in tests).
pub fn builder<R: Runtime>(
    builder: tauri::Builder<R>,
    initial: Option<PathBuf>,
    trust: TrustPlace,
    prefs: PrefsPlace,
) -> tauri::Builder<R> {
    let terminals = Arc::new(Terminals::default());
    builder
        .plugin(tauri_plugin_dialog::init())
        .manage(trust)
        .manage(prefs)
        .manage(AppState::new(initial))
        .manage(Arc::clone(&terminals))
        .manage(Arc::new(Probes::new(terminals)))
        .manage(Arc::new(playback::Replay::default()))
        .manage(Arc::new(Show::new()))
        .invoke_handler(tauri::generate_handler![
            open_runbook,
            open_tour,
            initial_runbook,
            start::start_info,
            start::forget_recent,
            start::about,
            watch_runbook,
            terminals::terminal_attach,
            terminals::terminal_ack,
            terminals::terminal_input,
            terminals::terminal_resize,
            terminals::run_block,
            terminals::stop_block,
            terminals::stop_terminal,
            terminals::restart_terminal,
            terminals::terminal_type_key,
            terminals::terminal_renderer,
            links::open_link,
            probes::probe_attach,
            probes::probe_hide,
            probes::preflight_run,
            playback::recordings,
            playback::rehearse_run,
            playback::play_step,
            playback::playback_stop,
            playback::live_resume,
            show::show_attach,
            show::show_command,
            audience::audience_open,
            audience::audience_close,
            audience::audience_leave_fullscreen,
            audience::audience_blank,
            audience::audience_clicker,
            audience::audience_grid,
            audience::audience_view,
            capture::capture_window,
            rehearsals::rehearsal_list,
            rehearsals::rehearsal_snapshot,
            rehearsals::export_backup,
            trust::trust_status,
            trust::trust_accept,
            terminals::audience_terminal_attach
        ])
}

/// Runs the app until its last window closes.
pub fn run(initial: Option<PathBuf>) -> anyhow::Result<()> {
    let app = builder(
        tauri::Builder::default(),
        initial,
        TrustPlace::user(),
        PrefsPlace::user(),
    )
    .setup(|app| {
        probes::warm_shared_client();
        // The presenter's window is made from tauri.conf.json before this runs, hidden:
        // GTK applies its configured size when it is first shown, so a size set before
        // that is lost. It is placed, then shown.
        if let Some(main) = app.get_webview_window(MAIN_WINDOW) {
            if !start::restore_placement(&main) {
                start::fit_to_screen(&main);
            }
            start::keep_placement(&main);
            if let Err(e) = main.show() {
                tracing::error!("cannot show the presenter's window: {e}");
            }
        }
        Ok(())
    })
    .build(tauri::generate_context!())
    .map_err(|e| anyhow::anyhow!("the app failed to start: {e}"))?;
    app.run(|app, event| {
        if let tauri::RunEvent::Exit = event {
            // Shells run in sessions of their own: close them, or they outlive the app.
            app.state::<Arc<Probes>>().stop();
            let left = app.state::<Arc<Terminals>>().close_all();
            tracing::info!(left, "terminals closed");
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests;
