//! The backup bundle: a rehearsal as one self-contained HTML file that plays offline
//! (from `file://`, with no network request), for when the live demo cannot run.
//!
//! The file holds asciinema-player's JS and CSS (inlined at build time from the UI's
//! npm packages, see `core/build.rs`), every terminal's cast, the step list (budget,
//! status, and with `notes` the speaker notes), and each step's snapshot PNG. The
//! player pauses at each step's end marker, so Space (or a clicker's PageDown) steps
//! through the demo; a click on a step seeks to its start marker.
//!
//! Everything embedded goes through the runbook's `redact` patterns (casts' output
//! was masked by the recorder already; it is masked again), and everything from the
//! runbook is HTML-escaped: it is untrusted input, shown as plain text. A strict
//! Content-Security-Policy lets only the page's own scripts (by hash) run.

mod page;

use std::path::{Path, PathBuf};

use crate::record::cast::{self, Cast, Event, EventCode};
use crate::record::manifest::{Manifest, ManifestError, StepRecord, MANIFEST_FILE};
use crate::record::redact::Redactor;
use crate::record::store;
use crate::runbook;

/// asciinema-player's browser bundle, copied from `ui/node_modules` by `core/build.rs`
/// (empty when it was not installed at build time).
const PLAYER_JS: &str = include_str!(concat!(env!("OUT_DIR"), "/asciinema-player.min.js"));
const PLAYER_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/asciinema-player.css"));
const PLAYER_VERSION: &str = include_str!(concat!(env!("OUT_DIR"), "/asciinema-player.version"));

/// Silences longer than this (seconds) are shortened in the bundle's casts, so a
/// terminal idle while another works does not play minutes of nothing.
pub const IDLE_CAP: f64 = 2.0;

/// What to put in the bundle.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The speaker notes and Q&A cards beside each step.
    pub notes: bool,
    /// The step the bundle opens at (its id or number); the first one without.
    pub step: Option<String>,
}

/// Why a bundle cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "this cuedeck was built without asciinema-player (ui/node_modules was missing): \
         run `cargo xtask setup` (or `npm ci` in ui/), then build cuedeck again"
    )]
    NoPlayer,
    #[error(transparent)]
    NotFound(#[from] store::FindError),
    #[error("{dir} is not a rehearsal folder: it has no manifest.json")]
    NoManifest { dir: PathBuf },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Cast(#[from] cast::CastError),
    #[error("{path}:{line}: corrupt cast: {message}")]
    CorruptCast {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{dir}: the manifest names terminal `{terminal}` (step `{step}`) but no cast for it")]
    NoCast {
        dir: PathBuf,
        terminal: String,
        step: String,
    },
    #[error("no step `{key}` in {dir} (steps: {steps})")]
    UnknownStep {
        key: String,
        dir: PathBuf,
        steps: String,
    },
    #[error("cannot read the snapshot {path}: {source}")]
    Snapshot {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Runbook(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The bundle's file name for rehearsal folder `dir`: `<runbook stem>-<rehearsal>.html`
/// (`tour-20261123-101500.html`), from the folder's place in `.cuedeck/rehearsals/`.
pub fn file_name(dir: &Path) -> String {
    let name = |p: Option<&Path>, or: &str| {
        p.and_then(Path::file_name)
            .map_or_else(|| or.to_string(), |n| n.to_string_lossy().into_owned())
    };
    let rehearsal = name(Some(dir), "rehearsal");
    let runbook = name(dir.parent(), "cuedeck");
    format!("{runbook}-{rehearsal}.html")
}

/// The runbook a rehearsal folder was recorded from: `<folder>/<runbook>` for a
/// rehearsal in `<folder>/.cuedeck/rehearsals/<stem>/<time>/`, if it is still there.
pub fn runbook_of(dir: &Path, manifest: &Manifest) -> Option<PathBuf> {
    let dir = std::path::absolute(dir).ok()?;
    let rehearsals = dir.parent()?; // <stem>
    let dot = rehearsals.parent()?.parent()?; // .cuedeck
    if dot.file_name()? != ".cuedeck" {
        return None;
    }
    let path = dot.parent()?.join(&manifest.runbook);
    (path.is_file() && store::rehearsals_dir(&path) == rehearsals).then_some(path)
}

/// One terminal's cast as the bundle embeds it: redacted, its silences shortened.
#[derive(Debug, Clone)]
pub struct BundleCast {
    pub terminal: String,
    /// The file name in the rehearsal folder.
    pub file: String,
    /// The redacted cast in the rehearsal's own time (what `--dir` writes).
    pub text: String,
    /// The redacted cast with silences capped at [`IDLE_CAP`] (what the player plays).
    pub played: String,
    /// The size of the rehearsal's cast file, in bytes.
    pub source_bytes: u64,
}

/// A snapshot PNG embedded in the bundle.
#[derive(Debug, Clone)]
pub struct BundleSnapshot {
    /// Its path in the rehearsal folder (`snapshots/<step>--<terminal>.png`).
    pub file: String,
    pub bytes: Vec<u8>,
}

/// A finished bundle: the page and what it embeds.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub html: String,
    pub casts: Vec<BundleCast>,
    pub snapshots: Vec<BundleSnapshot>,
    /// The runbook the budgets and notes came from, if it was found.
    pub runbook: Option<PathBuf>,
}

impl Bundle {
    /// The size of the rehearsal's casts, in bytes.
    pub fn casts_bytes(&self) -> u64 {
        self.casts.iter().map(|c| c.source_bytes).sum()
    }

    /// Writes the page as one file.
    pub fn write_file(&self, path: &Path) -> Result<(), BundleError> {
        write(path, self.html.as_bytes())
    }

    /// Writes the bundle as a folder: `index.html` (self-contained, as the single
    /// file), the casts as `.cast` files and the snapshots as PNG files.
    pub fn write_dir(&self, dir: &Path) -> Result<PathBuf, BundleError> {
        let err = |source| BundleError::Write {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        let index = dir.join("index.html");
        write(&index, self.html.as_bytes())?;
        for c in &self.casts {
            write(&dir.join(safe_name(&c.file)), c.text.as_bytes())?;
        }
        if !self.snapshots.is_empty() {
            let snaps = dir.join("snapshots");
            std::fs::create_dir_all(&snaps).map_err(err)?;
            for s in &self.snapshots {
                let name = Path::new(&s.file).file_name().map_or_else(
                    || "snapshot.png".into(),
                    |n| n.to_string_lossy().into_owned(),
                );
                write(&snaps.join(safe_name(&name)), &s.bytes)?;
            }
        }
        Ok(index)
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    std::fs::write(path, bytes).map_err(|source| BundleError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// A file name with no folder part (the manifest is input too).
fn safe_name(name: &str) -> String {
    let n: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | '\0') {
                '_'
            } else {
                c
            }
        })
        .collect();
    if n.is_empty() || n == "." || n == ".." {
        "file".into()
    } else {
        n
    }
}

/// Builds the bundle of the rehearsal folder `dir`. `runbook` is the runbook to read
/// budgets, notes and redaction patterns from; without it, the one the rehearsal was
/// recorded from (see [`runbook_of`]), if it is still there.
pub fn build(dir: &Path, runbook: Option<&Path>, opts: &Options) -> Result<Bundle, BundleError> {
    if PLAYER_JS.trim().is_empty() || PLAYER_CSS.trim().is_empty() {
        return Err(BundleError::NoPlayer);
    }
    if !dir.is_dir() {
        return Err(store::FindError::Missing(dir.to_path_buf()).into());
    }
    if !dir.join(MANIFEST_FILE).is_file() {
        return Err(BundleError::NoManifest {
            dir: dir.to_path_buf(),
        });
    }
    let manifest = Manifest::load(dir)?;
    let runbook_path = runbook
        .map(Path::to_path_buf)
        .or_else(|| runbook_of(dir, &manifest));
    let book = match &runbook_path {
        Some(p) => Some(runbook::load(p).map_err(|e| BundleError::Runbook(e.to_string()))?),
        None => None,
    };
    let redactor = book
        .as_ref()
        .map_or_else(Redactor::default, Redactor::for_runbook);
    let initial = match &opts.step {
        None => 0,
        Some(key) => manifest
            .steps
            .iter()
            .position(|s| s.id == *key || s.number.to_string() == *key)
            .ok_or_else(|| BundleError::UnknownStep {
                key: key.clone(),
                dir: dir.to_path_buf(),
                steps: manifest
                    .steps
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
    };

    // The casts, read and checked.
    let mut terminals = Vec::new();
    let mut casts = Vec::new();
    for t in &manifest.terminals {
        let path = dir.join(&t.file);
        let cast = cast::read(&path)?;
        if let Some(bad) = cast.skipped.first() {
            return Err(BundleError::CorruptCast {
                path,
                line: bad.line,
                message: bad.message.clone(),
            });
        }
        let source_bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
        let redacted = redact_cast(&cast, &redactor);
        let (played, timeline) = shorten_silences(&redacted, IDLE_CAP);
        casts.push(BundleCast {
            terminal: t.name.clone(),
            file: t.file.clone(),
            text: to_v2(&redacted),
            played: to_v2(&played),
            source_bytes,
        });
        terminals.push((t.name.clone(), redacted, timeline, played));
    }

    // Each step, where it sits in its terminals' casts.
    let mut steps = Vec::new();
    let mut snapshots = Vec::new();
    for record in &manifest.steps {
        for name in &record.terminals {
            if !terminals.iter().any(|(n, ..)| n == name) {
                return Err(BundleError::NoCast {
                    dir: dir.to_path_buf(),
                    terminal: name.clone(),
                    step: record.id.clone(),
                });
            }
        }
        let source = book
            .as_ref()
            .and_then(|b| b.steps.iter().find(|s| s.id == record.id));
        let mut shots = Vec::new();
        for snap in &record.snapshots {
            let path = dir.join(&snap.file);
            // A snapshot is a poster: a step without one still plays.
            let Ok(bytes) = std::fs::read(&path) else {
                tracing::warn!(
                    "snapshot {} is missing; the step has no poster",
                    path.display()
                );
                continue;
            };
            if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
                tracing::warn!("snapshot {} is not a PNG; left out", path.display());
                continue;
            }
            shots.push(page::Poster {
                terminal: redactor.redact(&snap.terminal).into_owned(),
                data_uri: format!("data:image/png;base64,{}", base64(&bytes)),
            });
            snapshots.push(BundleSnapshot {
                file: snap.file.clone(),
                bytes,
            });
        }
        steps.push(page::PageStep {
            data: step_data(record, &terminals, &redactor),
            number: record.number,
            title: redactor.redact(&record.title).into_owned(),
            status: status_word(record),
            message: record
                .message
                .as_deref()
                .map(|m| redactor.redact(m).into_owned()),
            budget: source.and_then(|s| s.budget).map(|b| b.seconds),
            recorded: (record.end - record.start).max(0.0),
            expectations: record
                .expectations
                .iter()
                .map(|e| (redactor.redact(&e.expected).into_owned(), e.met))
                .collect(),
            notes: if opts.notes {
                source.map(|s| notes_of(s, &redactor)).unwrap_or_default()
            } else {
                Vec::new()
            },
            posters: shots,
        });
    }

    let page_terminals = terminals
        .iter()
        .zip(&casts)
        .map(|((name, _, timeline, played), c)| page::PageTerminal {
            name: redactor.redact(name).into_owned(),
            cols: played.header.width,
            rows: played.header.height,
            cast: c.played.clone(),
            end_markers: manifest
                .steps
                .iter()
                .filter(|s| s.terminals.contains(name))
                .map(|s| {
                    let end =
                        marker_time(&terminals, name, &format!("end {}", s.id)).unwrap_or(s.end);
                    (timeline.map(end), redactor.redact(&s.title).into_owned())
                })
                .collect(),
            duration: played.duration(),
        })
        .collect();

    let title = book
        .as_ref()
        .map_or_else(|| manifest.runbook.clone(), |b| b.title.clone());
    let html = page::render(&page::Page {
        title: redactor.redact(&title).into_owned(),
        runbook: redactor.redact(&manifest.runbook).into_owned(),
        rehearsal: dir.file_name().map_or_else(String::new, |n| {
            redactor.redact(&n.to_string_lossy()).into_owned()
        }),
        started: manifest.started.clone(),
        finished: manifest.finished.is_some(),
        cuedeck: manifest.cuedeck.clone(),
        player_version: PLAYER_VERSION.trim().to_string(),
        notes: opts.notes,
        initial,
        terminals: page_terminals,
        steps,
        player_js: PLAYER_JS,
        player_css: PLAYER_CSS,
    });
    Ok(Bundle {
        html,
        casts,
        snapshots,
        runbook: runbook_path,
    })
}

/// The step's words for its status (the manifest's).
fn status_word(record: &StepRecord) -> &'static str {
    use crate::terminal::StepStatus;
    match record.status {
        StepStatus::Ok => "ok",
        StepStatus::Failed => "failed",
        StepStatus::TimedOut => "timed out",
        StepStatus::Stopped => "stopped",
        StepStatus::Ready => "ready",
    }
}

fn notes_of(step: &runbook::Step, redactor: &Redactor) -> Vec<(String, String)> {
    let r = |s: &str| redactor.redact(s).into_owned();
    step.notes
        .iter()
        .map(|n| (r(&n.label), r(&n.text)))
        .chain(
            step.questions
                .iter()
                .map(|q| (format!("Q: {}", r(&q.question)), r(&q.answer))),
        )
        .collect()
}

type Terminals = [(String, Cast, Timeline, Cast)];

/// The time (in the rehearsal's time base) of the marker `label` in `terminal`'s cast.
fn marker_time(terminals: &Terminals, terminal: &str, label: &str) -> Option<f64> {
    let (_, cast, ..) = terminals.iter().find(|(n, ..)| n == terminal)?;
    cast.events
        .iter()
        .find(|e| e.code == EventCode::Marker && e.data == label)
        .map(|e| e.time)
}

/// The step's start and end in each of its terminals, in the player's (shortened)
/// time: at its `start <id>` / `end <id>` markers, else the manifest's times.
fn step_data(record: &StepRecord, terminals: &Terminals, redactor: &Redactor) -> page::StepData {
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    for name in &record.terminals {
        let Some((_, _, timeline, _)) = terminals.iter().find(|(n, ..)| n == name) else {
            continue;
        };
        let start =
            marker_time(terminals, name, &format!("start {}", record.id)).unwrap_or(record.start);
        let end = marker_time(terminals, name, &format!("end {}", record.id)).unwrap_or(record.end);
        let shown = redactor.redact(name).into_owned();
        starts.push((shown.clone(), timeline.map(start)));
        ends.push((shown, timeline.map(end.max(start))));
    }
    page::StepData {
        id: redactor.redact(&record.id).into_owned(),
        terminals: record
            .terminals
            .iter()
            .map(|t| redactor.redact(t).into_owned())
            .collect(),
        starts: starts.into_iter().collect(),
        ends: ends.into_iter().collect(),
    }
}

/// The cast with every text masked: all output at once (so a secret split across
/// two events is still matched; the redactor keeps each character's place, so the
/// output splits back into its events), markers and the title on their own. Typed
/// input is left out (we never record it; another recorder's might hold secrets).
pub fn redact_cast(cast: &Cast, redactor: &Redactor) -> Cast {
    let mut out = cast.clone();
    out.header.title = cast
        .header
        .title
        .as_deref()
        .map(|t| redactor.redact(t).into_owned());
    out.header.env.clear();
    out.header.idle_time_limit = None;
    out.events.retain(|e| e.code != EventCode::Input);
    let all: String = out
        .events
        .iter()
        .filter(|e| e.code == EventCode::Output)
        .map(|e| e.data.as_str())
        .collect();
    let masked = redactor.redact(&all);
    let mut chars = masked.chars();
    for e in &mut out.events {
        match e.code {
            EventCode::Output => {
                let n = e.data.chars().count();
                e.data = chars.by_ref().take(n).collect();
            }
            EventCode::Resize => {}
            _ => e.data = redactor.redact(&e.data).into_owned(),
        }
    }
    out
}

/// Maps times of a cast to the times of its copy with silences shortened.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// Each event's (original, shortened) time, in order.
    points: Vec<(f64, f64)>,
    cap: f64,
}

impl Timeline {
    /// The shortened time of `t` (any time, not only an event's).
    pub fn map(&self, t: f64) -> f64 {
        let i = self.points.partition_point(|&(orig, _)| orig <= t);
        let (orig, short) = if i == 0 {
            (0.0, 0.0)
        } else {
            self.points[i - 1]
        };
        short + (t - orig).clamp(0.0, self.cap)
    }
}

/// The cast with every pause between events (and before the first) shortened to at
/// most `cap` seconds, and the mapping of times into it.
pub fn shorten_silences(cast: &Cast, cap: f64) -> (Cast, Timeline) {
    let mut out = cast.clone();
    let mut points = Vec::with_capacity(cast.events.len());
    let (mut prev_orig, mut prev_short) = (0.0_f64, 0.0_f64);
    for (e, o) in cast.events.iter().zip(out.events.iter_mut()) {
        let gap = (e.time - prev_orig).max(0.0);
        let short = prev_short + gap.min(cap);
        o.time = short;
        points.push((e.time, short));
        prev_orig = prev_orig.max(e.time);
        prev_short = short;
    }
    (out, Timeline { points, cap })
}

/// The cast as asciicast v2 text.
pub fn to_v2(cast: &Cast) -> String {
    let mut header = cast.header.clone();
    header.version = 2;
    let mut text = serde_json::to_string(&header).unwrap_or_else(|_| "{\"version\":2}".into());
    text.push('\n');
    for e in &cast.events {
        text.push_str(&Event::to_line(e));
        text.push('\n');
    }
    text
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(events: Vec<Event>) -> Cast {
        Cast {
            version: 2,
            header: cast::Header::v2(80, 24),
            events,
            skipped: Vec::new(),
            truncated: false,
        }
    }

    #[test]
    fn base64_of_known_texts() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn a_secret_split_across_events_is_masked() {
        let r = Redactor::new(&["sk-\\w+".into()]);
        let c = cast(vec![
            Event::output(0.1, "key sk-ab"),
            Event::marker(0.2, "end sk-abc"),
            Event::output(0.3, "c123 ok\r\n"),
        ]);
        let out = redact_cast(&c, &r);
        assert_eq!(out.events[0].data, "key *****");
        assert_eq!(out.events[1].data, "end ******");
        assert_eq!(out.events[2].data, "**** ok\r\n");
    }

    #[test]
    fn silences_are_shortened_and_times_mapped() {
        let c = cast(vec![
            Event::output(1.0, "a"),
            Event::marker(11.0, "start s"),
            Event::output(11.5, "b"),
        ]);
        let (short, tl) = shorten_silences(&c, 2.0);
        let times: Vec<f64> = short.events.iter().map(|e| e.time).collect();
        assert_eq!(times, vec![1.0, 3.0, 3.5]);
        assert_eq!(tl.map(11.0), 3.0);
        assert_eq!(tl.map(11.25), 3.25);
        assert_eq!(tl.map(60.0), 5.5);
        assert_eq!(tl.map(0.5), 0.5);
    }

    #[test]
    fn names_lose_their_folders() {
        assert_eq!(safe_name("../x.cast"), ".._x.cast");
        assert_eq!(safe_name(".."), "file");
    }
}
