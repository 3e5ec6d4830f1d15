//! Window captures: `S` in the presenter's window takes a PNG of the presenter's
//! window, `Shift+S` one of the audience window (it never shows notes or redacted
//! text, so neither does its capture). Each goes to
//! `.cuedeck/captures/<runbook file stem>/` beside the runbook, named after the
//! current step and the local time (`03-start-the-service-14-32-05.png`, then `-2`,
//! `-3`: a capture never replaces another).
//!
//! The picture is the webview's own snapshot (on Linux WebKitGTK's
//! `webkit_web_view_get_snapshot`), not a screen grab: it is right even when another
//! window covers this one. The snapshot is taken on the GTK main thread (where
//! `with_webview` runs its closure and WebKit its callback) and handed back to the
//! command through a oneshot channel, with a timeout.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cuedeck_core::show::state::Show;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::audience::AUDIENCE_WINDOW;
use crate::terminals::Terminals;
use crate::MAIN_WINDOW;

/// Where captures go, beside the runbook: `<dir>/<runbook file stem>/`.
pub const CAPTURES_DIR: &str = ".cuedeck/captures";
/// The longest a snapshot may take before the command gives up on it.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which window to capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CaptureTarget {
    Presenter,
    Audience,
}

/// A capture written: where, its size in pixels, and how long it took.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capture {
    /// The PNG's absolute path.
    pub path: PathBuf,
    /// The same, from the runbook's folder (`.cuedeck/captures/tour/01-...png`).
    pub relative: String,
    pub width: u32,
    pub height: u32,
    /// From the command's call to the file written.
    pub took_ms: u64,
}

/// Why a capture was not taken, for the presenter's message line.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct CaptureError {
    pub message: String,
}

impl CaptureError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// A window's picture, as PNG bytes.
pub struct Shot {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Captures `target` into the runbook's captures folder and says where.
#[tauri::command]
pub async fn capture_window<R: Runtime>(
    app: AppHandle<R>,
    terminals: State<'_, Arc<Terminals>>,
    show: State<'_, Arc<Show>>,
    target: CaptureTarget,
) -> Result<Capture, CaptureError> {
    let started = Instant::now();
    let label = match target {
        CaptureTarget::Presenter => MAIN_WINDOW,
        CaptureTarget::Audience => AUDIENCE_WINDOW,
    };
    let window = app.get_webview_window(label).ok_or_else(|| match target {
        CaptureTarget::Audience => {
            CaptureError::new("The audience window is not open (A opens it): nothing to capture.")
        }
        CaptureTarget::Presenter => CaptureError::new("The presenter's window is gone."),
    })?;
    let (runbook_path, runbook) = terminals
        .runbook()
        .map_err(|_| CaptureError::new("Open a runbook first: captures go beside it."))?;
    // The show's current step, numbered from 1 in the runbook the terminals run.
    let state = show.state();
    let step = state
        .current_step_id
        .as_deref()
        .and_then(|id| runbook.steps.iter().position(|s| s.id == id))
        .or(state.current)
        .and_then(|i| runbook.steps.get(i).map(|s| (i + 1, s.id.clone())));
    let time = platform::local_time();

    let shot = platform::snapshot(&window).await?;

    let dir = captures_dir(&runbook_path);
    // Refused when `.cuedeck` (or a folder in it) is a symlink out of the runbook's
    // folder: a capture is never written through it.
    cuedeck_core::record::store::create_inside(&runbook_path, &dir)
        .map_err(|e| CaptureError::new(e.to_string()))?;
    let path = write_new(
        &dir,
        step.as_ref().map(|(n, id)| (*n, id.as_str())),
        time,
        &shot.png,
    )?;
    let took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let relative = path
        .strip_prefix(runbook_path.parent().unwrap_or(Path::new("")))
        .unwrap_or(&path)
        .to_string_lossy()
        .into_owned();
    tracing::info!(
        window = label,
        path = %path.display(),
        width = shot.width,
        height = shot.height,
        took_ms,
        "window captured"
    );
    Ok(Capture {
        path,
        relative,
        width: shot.width,
        height: shot.height,
        took_ms,
    })
}

/// `<runbook's folder>/.cuedeck/captures/<runbook file stem>/`.
pub fn captures_dir(runbook: &Path) -> PathBuf {
    let stem = runbook
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "runbook".to_owned());
    runbook
        .parent()
        .unwrap_or(Path::new(""))
        .join(CAPTURES_DIR)
        .join(stem)
}

/// Writes `png` under a name no file in `dir` has yet (created exclusively: a file
/// that appears meanwhile is never replaced, the next suffix is tried).
fn write_new(
    dir: &Path,
    step: Option<(usize, &str)>,
    time: (u8, u8, u8),
    png: &[u8],
) -> Result<PathBuf, CaptureError> {
    use std::io::Write;
    for _ in 0..100 {
        let existing: BTreeSet<String> = std::fs::read_dir(dir)
            .map_err(|e| CaptureError::new(format!("Cannot read {}: {e}", dir.display())))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let path = dir.join(capture_name(step, time, &existing));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                return file
                    .write_all(png)
                    .and_then(|()| file.sync_all())
                    .map(|()| path.clone())
                    .map_err(|e| {
                        CaptureError::new(format!("Cannot write {}: {e}", path.display()))
                    });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(CaptureError::new(format!(
                    "Cannot write {}: {e}",
                    path.display()
                )))
            }
        }
    }
    Err(CaptureError::new(format!(
        "Cannot find a free file name in {}",
        dir.display()
    )))
}

/// The file name of a capture: `NN-<step id>-HH-MM-SS.png` (step numbers from 1;
/// `runbook-HH-MM-SS.png` when no step is current), with `-2`, `-3`, ... before
/// `.png` when `existing` already has that name.
pub fn capture_name(
    step: Option<(usize, &str)>,
    (h, m, s): (u8, u8, u8),
    existing: &BTreeSet<String>,
) -> String {
    let stem = match step {
        Some((number, id)) => {
            let id = file_safe(id);
            if id.is_empty() {
                format!("{number:02}-{h:02}-{m:02}-{s:02}")
            } else {
                format!("{number:02}-{id}-{h:02}-{m:02}-{s:02}")
            }
        }
        None => format!("runbook-{h:02}-{m:02}-{s:02}"),
    };
    let first = format!("{stem}.png");
    if !existing.contains(&first) {
        return first;
    }
    (2..)
        .map(|n| format!("{stem}-{n}.png"))
        .find(|name| !existing.contains(name))
        .expect("an unbounded range has a free name")
}

/// A step id as a file name part: ASCII letters, digits, `-` and `_`; anything else
/// becomes `-` (ids are slugs already; this only guards the file system).
fn file_safe(id: &str) -> String {
    let mapped: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    mapped.trim_matches('-').to_owned()
}

#[cfg(target_os = "linux")]
mod platform {
    use super::{CaptureError, Shot, SNAPSHOT_TIMEOUT};
    use tauri::{Runtime, WebviewWindow};
    use webkit2gtk::{SnapshotOptions, SnapshotRegion, WebViewExt};

    /// The local wall-clock time (hours, minutes, seconds), from GLib's idea of the
    /// time zone (TZ, /etc/localtime).
    pub fn local_time() -> (u8, u8, u8) {
        match glib::DateTime::now_local() {
            Ok(t) => (
                u8::try_from(t.hour()).unwrap_or(0),
                u8::try_from(t.minute()).unwrap_or(0),
                u8::try_from(t.second()).unwrap_or(0),
            ),
            Err(_) => (0, 0, 0),
        }
    }

    /// The webview's visible area, as WebKit paints it, encoded as PNG.
    ///
    /// `with_webview` queues the closure to the GTK main thread; there the snapshot is
    /// asked for, and WebKit calls back (on the same thread) once it has painted it.
    /// The callback encodes the surface and sends the bytes through a oneshot channel
    /// that this async command awaits, for at most `SNAPSHOT_TIMEOUT`.
    pub async fn snapshot<R: Runtime>(window: &WebviewWindow<R>) -> Result<Shot, CaptureError> {
        let (tx, rx) = tokio::sync::oneshot::channel::<Result<Shot, String>>();
        window
            .with_webview(move |webview| {
                webview.inner().snapshot(
                    SnapshotRegion::Visible,
                    SnapshotOptions::NONE,
                    None::<&gio::Cancellable>,
                    move |result| {
                        let _ = tx.send(encode(result));
                    },
                );
            })
            .map_err(|e| CaptureError::new(format!("Cannot reach the window's webview: {e}")))?;
        match tokio::time::timeout(SNAPSHOT_TIMEOUT, rx).await {
            Ok(Ok(Ok(shot))) => Ok(shot),
            Ok(Ok(Err(e))) => Err(CaptureError::new(format!("The capture failed: {e}"))),
            Ok(Err(_)) => Err(CaptureError::new(
                "The capture failed: the webview dropped the snapshot",
            )),
            Err(_) => Err(CaptureError::new(format!(
                "The capture failed: no snapshot from the webview within {} s",
                SNAPSHOT_TIMEOUT.as_secs()
            ))),
        }
    }

    /// On the main thread: the snapshot's surface as PNG bytes and its pixel size.
    fn encode(result: Result<cairo::Surface, glib::Error>) -> Result<Shot, String> {
        let surface = result.map_err(|e| e.to_string())?;
        let (width, height) = match cairo::ImageSurface::try_from(surface.clone()) {
            Ok(image) => (
                u32::try_from(image.width()).unwrap_or(0),
                u32::try_from(image.height()).unwrap_or(0),
            ),
            Err(_) => return Err("the snapshot is not an image surface".to_owned()),
        };
        let mut png = Vec::new();
        surface
            .write_to_png(&mut png)
            .map_err(|e| format!("cannot encode the snapshot as PNG: {e}"))?;
        Ok(Shot { png, width, height })
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use super::{CaptureError, Shot};
    use tauri::{Runtime, WebviewWindow};

    pub fn local_time() -> (u8, u8, u8) {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let of_day = secs % 86_400;
        (
            (of_day / 3600) as u8,
            (of_day / 60 % 60) as u8,
            (of_day % 60) as u8,
        )
    }

    pub async fn snapshot<R: Runtime>(_window: &WebviewWindow<R>) -> Result<Shot, CaptureError> {
        Err(CaptureError::new(
            "window capture is not supported on this platform yet",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_capture_is_named_after_the_step_and_the_time() {
        let none = BTreeSet::new();
        assert_eq!(
            capture_name(Some((3, "start-the-service")), (14, 32, 5), &none),
            "03-start-the-service-14-32-05.png"
        );
        assert_eq!(
            capture_name(Some((12, "wrap-up")), (9, 0, 59), &none),
            "12-wrap-up-09-00-59.png"
        );
        assert_eq!(
            capture_name(None, (23, 59, 1), &none),
            "runbook-23-59-01.png"
        );
    }

    #[test]
    fn a_capture_never_takes_an_existing_name() {
        let taken = names(&["03-start-the-service-14-32-05.png"]);
        assert_eq!(
            capture_name(Some((3, "start-the-service")), (14, 32, 5), &taken),
            "03-start-the-service-14-32-05-2.png"
        );
        let taken = names(&[
            "03-start-the-service-14-32-05.png",
            "03-start-the-service-14-32-05-2.png",
            "03-start-the-service-14-32-05-3.png",
            "03-other-14-32-05.png",
        ]);
        assert_eq!(
            capture_name(Some((3, "start-the-service")), (14, 32, 5), &taken),
            "03-start-the-service-14-32-05-4.png"
        );
        // Another second, another step: the plain name.
        assert_eq!(
            capture_name(Some((3, "start-the-service")), (14, 32, 6), &taken),
            "03-start-the-service-14-32-06.png"
        );
    }

    #[test]
    fn a_step_id_becomes_a_safe_file_name_part() {
        let none = BTreeSet::new();
        assert_eq!(
            capture_name(Some((1, "../Étape 1/x")), (1, 2, 3), &none),
            "01-tape-1-x-01-02-03.png"
        );
        assert_eq!(
            capture_name(Some((1, "///")), (1, 2, 3), &none),
            "01-01-02-03.png"
        );
    }

    #[test]
    fn captures_go_beside_the_runbook_by_its_stem() {
        assert_eq!(
            captures_dir(Path::new("/talks/demo/tour.md")),
            Path::new("/talks/demo/.cuedeck/captures/tour")
        );
    }

    #[test]
    fn writing_twice_in_one_second_keeps_both() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let a = write_new(dir.path(), Some((2, "set-the-stage")), (10, 0, 0), b"one")?;
        let b = write_new(dir.path(), Some((2, "set-the-stage")), (10, 0, 0), b"two")?;
        assert_eq!(
            a.file_name().and_then(|n| n.to_str()),
            Some("02-set-the-stage-10-00-00.png")
        );
        assert_eq!(
            b.file_name().and_then(|n| n.to_str()),
            Some("02-set-the-stage-10-00-00-2.png")
        );
        assert_eq!(std::fs::read(&a)?, b"one");
        assert_eq!(std::fs::read(&b)?, b"two");
        Ok(())
    }
}
