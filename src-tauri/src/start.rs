//! The first run: what the start page lists (the runbooks opened lately, the tour),
//! the About dialog, and where each window was (put back when it opens again).
//! What is kept lives in core's [`PrefsStore`] in the config folder.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cuedeck_core::prefs::{self, tour, PrefsStore, WindowPlacement};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State, WebviewWindow, WindowEvent};

/// Where the app keeps what it remembers: the user's config folder, a folder of the
/// caller's (tests), or nowhere (the app's own IPC tests: nothing is kept).
pub struct PrefsPlace(Option<PrefsStore>);

impl PrefsPlace {
    pub fn user() -> Self {
        Self(prefs::config_dir().map(|d| PrefsStore::at(&d)))
    }

    pub fn at(dir: &Path) -> Self {
        Self(Some(PrefsStore::at(dir)))
    }

    pub fn none() -> Self {
        Self(None)
    }

    fn store(&self) -> Option<&PrefsStore> {
        self.0.as_ref()
    }
}

/// One line of the start page's list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecentEntry {
    pub path: String,
    pub title: String,
    pub opened_unix: u64,
    /// Whether the file is still there (a moved one is shown, greyed, to forget).
    pub exists: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartInfo {
    pub recent: Vec<RecentEntry>,
    /// Whether the tour that ships with Cuedeck was found.
    pub tour: bool,
    /// Why nothing is remembered, when it is not (no config folder).
    pub not_kept: Option<String>,
}

/// What the start page shows.
#[tauri::command]
pub fn start_info(prefs: State<'_, PrefsPlace>) -> StartInfo {
    info(&prefs)
}

/// Takes a runbook off the recent list (the start page's ×).
#[tauri::command]
pub fn forget_recent(prefs: State<'_, PrefsPlace>, path: PathBuf) -> StartInfo {
    if let Some(store) = prefs.store() {
        if let Err(e) = store.update(|p| p.forget(&path)) {
            tracing::warn!("{e}");
        }
    }
    info(&prefs)
}

fn info(prefs: &PrefsPlace) -> StartInfo {
    let kept = prefs.store().map(PrefsStore::load).unwrap_or_default();
    StartInfo {
        recent: kept
            .recent
            .into_iter()
            .map(|r| RecentEntry {
                exists: r.path.is_file(),
                path: r.path.display().to_string(),
                title: r.title,
                opened_unix: r.opened_unix,
            })
            .collect(),
        tour: shipped_tour().is_some(),
        not_kept: prefs.store().is_none().then(|| {
            "no config folder (neither CUEDECK_CONFIG_DIR, XDG_CONFIG_HOME nor HOME is set): \
             recent runbooks and window placement are not kept"
                .to_string()
        }),
    }
}

/// A runbook was opened: first on the recent list.
pub fn remember_opened<R: Runtime>(app: &AppHandle<R>, path: &Path, title: &str) {
    let prefs = app.state::<PrefsPlace>();
    let Some(store) = prefs.store() else { return };
    if let Err(e) = store.update(|p| p.opened(path, title, unix_now())) {
        tracing::warn!("{e}");
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The tour as shipped: installed beside the app (`/usr/share/cuedeck/runbooks/`, from
/// `/usr/bin/cuedeck-app`), else in the source checkout this app was built from.
pub fn shipped_tour() -> Option<PathBuf> {
    let installed = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .map(|bin| bin.join("../share/cuedeck/runbooks").join(tour::TOUR_FILE));
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../runbooks")
        .join(tour::TOUR_FILE);
    installed
        .into_iter()
        .chain([checkout])
        .find(|p| p.is_file())
}

/// The tour's working copy in the data folder, made or refreshed now.
pub fn tour_copy() -> Result<PathBuf, String> {
    let shipped = shipped_tour().ok_or("the tour that ships with Cuedeck is not installed")?;
    let dir = prefs::data_dir()
        .ok_or("no data folder: neither CUEDECK_DATA_DIR, XDG_DATA_HOME nor HOME is set")?
        .join("tour");
    tour::working_copy(&shipped, &dir).map_err(|e| e.to_string())
}

/// What the About dialog shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct About {
    pub name: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    pub license: &'static str,
    pub tauri: &'static str,
    /// WebKitGTK's version (the webview), when it can be read.
    pub webview: Option<String>,
    pub config_dir: Option<String>,
    pub data_dir: Option<String>,
}

#[tauri::command]
pub fn about() -> About {
    About {
        name: "Cuedeck",
        version: env!("CARGO_PKG_VERSION"),
        description: "Present live technical demos from a Markdown runbook",
        license: env!("CARGO_PKG_LICENSE"),
        tauri: tauri::VERSION,
        webview: tauri::webview_version().ok(),
        config_dir: prefs::config_dir().map(|d| d.display().to_string()),
        data_dir: prefs::data_dir().map(|d| d.display().to_string()),
    }
}

/// Puts `window` where it was last, if it was on a monitor that is still there.
/// Returns whether it did.
pub fn restore_placement<R: Runtime>(window: &WebviewWindow<R>) -> bool {
    let prefs = window.state::<PrefsPlace>();
    let Some(saved) = prefs
        .store()
        .and_then(|s| s.load().windows.get(window.label()).cloned())
    else {
        return false;
    };
    let monitors = window.available_monitors().unwrap_or_default();
    let on_screen = monitors.iter().any(|m| {
        let (at, size) = (m.position(), m.size());
        let same_name = saved.monitor.is_none() || m.name() == saved.monitor.as_ref();
        same_name
            && saved.x >= at.x
            && saved.y >= at.y
            && saved.x < at.x + i32::try_from(size.width).unwrap_or(i32::MAX)
            && saved.y < at.y + i32::try_from(size.height).unwrap_or(i32::MAX)
    });
    if !on_screen {
        tracing::info!(
            window = window.label(),
            "its last monitor is gone: default placement"
        );
        return false;
    }
    let placed = window
        .set_size(tauri::PhysicalSize::new(saved.width, saved.height))
        .and_then(|()| window.set_position(tauri::PhysicalPosition::new(saved.x, saved.y)))
        .and_then(|()| {
            if saved.maximized {
                window.maximize()
            } else {
                Ok(())
            }
        });
    if let Err(e) = placed {
        tracing::warn!(window = window.label(), "cannot restore its placement: {e}");
        return false;
    }
    true
}

/// A window with no place to go back to, on a screen smaller than its configured size
/// (1440x900 on a 1280x720 projector laptop): it is maximized, and sized to the screen
/// for when no window manager maximizes it, instead of hanging off the screen's edges.
/// The configured size is read from tauri.conf.json: a window not shown yet has none.
pub fn fit_to_screen<R: Runtime>(window: &WebviewWindow<R>) {
    let monitor = window
        .current_monitor()
        .ok()
        .flatten()
        .or_else(|| window.primary_monitor().ok().flatten());
    let config = window.config();
    let configured = config
        .app
        .windows
        .iter()
        .find(|w| w.label == window.label());
    let (Some(monitor), Some(configured)) = (monitor, configured) else {
        return;
    };
    let screen = monitor.size().to_logical::<f64>(monitor.scale_factor());
    if configured.width <= screen.width && configured.height <= screen.height {
        return;
    }
    let fitted = window
        .set_size(tauri::LogicalSize::new(
            configured.width.min(screen.width),
            configured.height.min(screen.height),
        ))
        .and_then(|()| window.set_position(*monitor.position()))
        .and_then(|()| window.maximize());
    if let Err(e) = fitted {
        tracing::warn!(window = window.label(), "cannot fit it to the screen: {e}");
    }
}

/// Keeps `window`'s placement as it moves, resizes and closes: at most every half
/// second while it is dragged, always where it came to rest (the last move of a burst
/// is saved once the half second is over), and always when it closes.
pub fn keep_placement<R: Runtime>(window: &WebviewWindow<R>) {
    const EVERY: Duration = Duration::from_millis(500);
    let handle = window.clone();
    let saves = Arc::new(Mutex::new(SaveTimes::default()));
    window.on_window_event(move |event| {
        let closing = matches!(event, WindowEvent::CloseRequested { .. });
        let moved = matches!(event, WindowEvent::Moved(_) | WindowEvent::Resized(_));
        if !closing && !moved {
            return;
        }
        let mut times = saves.lock().unwrap_or_else(|e| e.into_inner());
        let wait = times
            .last
            .map_or(Duration::ZERO, |t| EVERY.saturating_sub(t.elapsed()));
        if closing || wait.is_zero() {
            times.last = Some(Instant::now());
            drop(times);
            save_placement(&handle);
        } else if !times.pending {
            // Too soon after the last save: save once the interval is over, so the place
            // the window came to rest is the one kept.
            times.pending = true;
            let (handle, saves) = (handle.clone(), Arc::clone(&saves));
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(wait).await;
                {
                    let mut times = saves.lock().unwrap_or_else(|e| e.into_inner());
                    times.pending = false;
                    times.last = Some(Instant::now());
                }
                // Not under the lock: reading the window's place waits for the main
                // thread, which may be in this window's event handler.
                save_placement(&handle);
            });
        }
    });
}

/// When a window's placement was last saved, and whether a later save is scheduled.
#[derive(Default)]
struct SaveTimes {
    last: Option<Instant>,
    pending: bool,
}

fn save_placement<R: Runtime>(window: &WebviewWindow<R>) {
    let prefs = window.state::<PrefsPlace>();
    let Some(store) = prefs.store() else { return };
    let Some(placement) = placement_of(window) else {
        return;
    };
    let label = window.label().to_string();
    if let Err(e) = store.update(move |p| {
        // Fullscreen or maximized, the window's own size is the screen's: keep the one
        // it had before, so leaving fullscreen next time goes back to it.
        let normal = p
            .windows
            .get(&label)
            .filter(|_| placement.fullscreen || placement.maximized);
        let kept = match normal {
            Some(before) => WindowPlacement {
                fullscreen: placement.fullscreen,
                maximized: placement.maximized,
                monitor: placement.monitor.clone(),
                ..before.clone()
            },
            None => placement,
        };
        p.windows.insert(label, kept);
    }) {
        tracing::warn!("{e}");
    }
}

fn placement_of<R: Runtime>(window: &WebviewWindow<R>) -> Option<WindowPlacement> {
    let at = window.outer_position().ok()?;
    let size = window.inner_size().ok()?;
    if size.width == 0 || size.height == 0 {
        return None; // minimised on some platforms
    }
    Some(WindowPlacement {
        monitor: window
            .current_monitor()
            .ok()
            .flatten()
            .and_then(|m| m.name().cloned()),
        x: at.x,
        y: at.y,
        width: size.width,
        height: size.height,
        maximized: window.is_maximized().unwrap_or(false),
        fullscreen: window.is_fullscreen().unwrap_or(false),
    })
}
