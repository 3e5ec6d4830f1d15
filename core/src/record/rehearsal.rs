//! Recording one rehearsal: a cast per terminal, the probe samples, and the
//! manifest, all in one new folder of the store.
//!
//! Every cast and the samples share one time origin (the rehearsal's start), so a
//! step's `start`/`end` offsets in the manifest name the same moments in each.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::cast::Header;
use super::manifest::{
    self, sha256_hex, step_source_hash, ExpectationCheck, Manifest, StepRecord, StepSnapshot,
    TerminalCast, SAMPLES_FILE,
};
use super::redact::{Redactor, REDACT_ALL};
use super::samples::SampleWriter;
use super::store;
use super::writer::{lock, CastFile, CastSink, SharedCast};
use crate::capture::snapshot::{self, Cells};
use crate::runbook::{FrontMatter, Runbook, Step};
use crate::show::run_all::StepResult;
use crate::terminal::{Acknowledge, ScreenSnapshot, Session, SinkId, TerminalManager};

/// The folder of a rehearsal holding its per-step snapshots.
pub const SNAPSHOTS_DIR: &str = "snapshots";

/// Why a rehearsal cannot be recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot read the runbook {path}: {source}")]
    ReadRunbook {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the rehearsal folder: {0}")]
    CreateFolder(#[from] store::WriteDirError),
    #[error("cannot create {path}: {source}")]
    CreateFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
}

/// Marker labels: asciinema-player lists them, and `pauseOnMarkers` stops at each.
pub fn start_marker(step_id: &str) -> String {
    format!("start {step_id}")
}

pub fn end_marker(step_id: &str) -> String {
    format!("end {step_id}")
}

struct Recorded {
    file: String,
    cast: SharedCast,
    session: std::sync::Weak<Session>,
    sink: SinkId,
}

struct State {
    manifest: Manifest,
    casts: BTreeMap<String, Recorded>,
    /// The step under way and its start time.
    current: Option<(String, f64)>,
}

/// A rehearsal being recorded. Share it as `Arc<Recorder>`.
pub struct Recorder {
    dir: PathBuf,
    origin: Instant,
    started_unix: u64,
    title: String,
    /// The shell, cwd and env the steps run in: part of each step's source hash.
    front_matter: FrontMatter,
    redactor: Arc<Redactor>,
    samples: Arc<SampleWriter>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("dir", &self.dir).finish()
    }
}

impl Recorder {
    /// Starts a rehearsal of `runbook` (read from `runbook_path`): a new folder in
    /// the store, with its samples file and a first manifest.
    pub fn create(runbook_path: &Path, runbook: &Runbook) -> Result<Arc<Self>, RecordError> {
        let bytes = std::fs::read(runbook_path).map_err(|source| RecordError::ReadRunbook {
            path: runbook_path.to_path_buf(),
            source,
        })?;
        let dir = store::create_rehearsal_dir(runbook_path)?;
        let origin = Instant::now();
        let samples_path = dir.join(SAMPLES_FILE);
        let redactor = Arc::new(Redactor::for_runbook(runbook));
        let samples = SampleWriter::create(&samples_path, origin, Arc::clone(&redactor)).map_err(
            |source| RecordError::CreateFile {
                path: samples_path,
                source,
            },
        )?;
        let now = jiff::Timestamp::now();
        let manifest = Manifest {
            format: manifest::FORMAT,
            cuedeck: env!("CARGO_PKG_VERSION").to_string(),
            runbook: runbook_path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            runbook_sha256: sha256_hex(&bytes),
            started: now.to_string(),
            finished: None,
            terminals: Vec::new(),
            samples: Some(SAMPLES_FILE.to_string()),
            steps: Vec::new(),
        };
        manifest.save(&dir)?;
        tracing::info!(folder = %dir.display(), "rehearsal recording started");
        Ok(Arc::new(Self {
            dir,
            origin,
            started_unix: u64::try_from(now.as_second()).unwrap_or(0),
            title: runbook.title.clone(),
            front_matter: runbook.front_matter.clone(),
            redactor,
            samples: Arc::new(samples),
            state: Mutex::new(State {
                manifest,
                casts: BTreeMap::new(),
                current: None,
            }),
        }))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Seconds since the rehearsal started: the time base of casts and samples.
    pub fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    /// Where the monitor publishes, to record the health lights and charts.
    pub fn samples(&self) -> Arc<SampleWriter> {
        Arc::clone(&self.samples)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `manager`'s terminals: those started already, and every one it starts
    /// until [`Recorder::stop_recording`].
    pub fn attach(self: &Arc<Self>, manager: &TerminalManager) {
        for name in manager.names() {
            if let Some(session) = manager.get(&name) {
                self.record_session(&session);
            }
        }
        let me = Arc::clone(self);
        manager.set_start_hook(Some(Arc::new(move |s: &Arc<Session>| me.record_session(s))));
    }

    /// Starts the cast of `session` (once per terminal name; a terminal restarted
    /// after its shell exited continues the same cast).
    pub fn record_session(&self, session: &Arc<Session>) {
        let name = session.name().to_string();
        let mut st = self.lock();
        if let Some(rec) = st.casts.get_mut(&name) {
            if rec
                .session
                .upgrade()
                .is_some_and(|s| Arc::ptr_eq(&s, session))
            {
                return;
            }
            let sink = session.add_sink(
                Box::new(CastSink(Arc::clone(&rec.cast))),
                Acknowledge::Never,
            );
            rec.session = Arc::downgrade(session);
            rec.sink = sink;
            return;
        }
        let file = cast_file_name(&name, &st.casts);
        let path = self.dir.join(&file);
        let size = session.pty_size().unwrap_or_default();
        let mut header = Header::v2(size.cols, size.rows);
        header.timestamp = Some(self.started_unix);
        header.title = Some(format!("{} — {name}", self.title));
        header.idle_time_limit = Some(2.0);
        header.env.insert(
            "SHELL".into(),
            std::env::var("SHELL").unwrap_or_else(|_| "/bin/bash".into()),
        );
        header.env.insert("TERM".into(), "xterm-256color".into());
        let cast = match CastFile::create(&path, &header, self.origin, Arc::clone(&self.redactor)) {
            Ok(f) => Arc::new(Mutex::new(f)),
            Err(e) => {
                tracing::error!(file = %path.display(), error = %e, "terminal not recorded");
                return;
            }
        };
        if let Some((id, _)) = &st.current {
            lock(&cast).marker(&start_marker(id));
        }
        let sink = session.add_sink(Box::new(CastSink(Arc::clone(&cast))), Acknowledge::Never);
        st.casts.insert(
            name.clone(),
            Recorded {
                file: file.clone(),
                cast,
                session: Arc::downgrade(session),
                sink,
            },
        );
        st.manifest.terminals.push(TerminalCast { name, file });
        self.save(&st);
    }

    fn save(&self, st: &State) {
        if let Err(e) = st.manifest.save(&self.dir) {
            tracing::error!("{e}");
        }
    }

    /// Marks the start of `step` in every cast.
    pub fn step_started(&self, step: &Step) {
        let mut st = self.lock();
        let label = start_marker(&step.id);
        for rec in st.casts.values() {
            lock(&rec.cast).marker(&label);
        }
        st.current = Some((step.id.clone(), self.now()));
    }

    /// Marks the end of the step in every cast, snapshots its terminals' screens
    /// (see [`Recorder::snapshot_screens`]) and adds it to the manifest.
    pub fn step_finished(&self, step: &Step, result: &StepResult) {
        let mut st = self.lock();
        let label = end_marker(&step.id);
        for rec in st.casts.values() {
            lock(&rec.cast).marker(&label);
        }
        let end = self.now();
        let start = match st.current.take() {
            Some((id, start)) if id == step.id => start,
            _ => end - result.duration_ms as f64 / 1000.0,
        };
        let mut terminals: Vec<String> = Vec::new();
        for outcome in result.blocks.iter().flat_map(|b| &b.outcomes) {
            if !terminals.contains(&outcome.terminal) {
                terminals.push(outcome.terminal.clone());
            }
        }
        let screens: Vec<(String, ScreenSnapshot)> = terminals
            .iter()
            .filter_map(|name| {
                let session = st.casts.get(name)?.session.upgrade()?;
                Some((name.clone(), session.masked_snapshot()))
            })
            .collect();
        drop(st);
        // The step's result is masked already (`run_all`); its screens are masked
        // here, everything if one of its blocks is masked whole.
        let redactor = if step_masks_all(step) {
            self.redactor
                .union(&Redactor::new(&[REDACT_ALL.to_string()]))
        } else {
            Redactor::clone(&self.redactor)
        };
        let snapshots = self.snapshot_screens(&step.id, &screens, &redactor);
        let mut st = self.lock();
        let record = StepRecord {
            id: step.id.clone(),
            number: result.number,
            title: step.title.clone(),
            source_sha256: step_source_hash(&self.front_matter, step),
            terminals,
            status: result.status,
            exit_code: result.exit_code,
            start,
            end,
            expectations: result
                .expectations
                .iter()
                .map(|e| ExpectationCheck {
                    expected: redactor.redact_string(&e.expected),
                    met: e.met,
                })
                .collect(),
            message: result.message.as_deref().map(|m| redactor.redact_string(m)),
            snapshots,
        };
        st.manifest.steps.retain(|s| s.id != step.id);
        st.manifest.steps.push(record);
        self.save(&st);
    }

    /// Writes a PNG of each screen, redacted, to
    /// `snapshots/<step-id>--<terminal>.png`. A snapshot that cannot be made is
    /// logged and left out: it never fails the rehearsal.
    fn snapshot_screens(
        &self,
        step_id: &str,
        screens: &[(String, ScreenSnapshot)],
        redactor: &Redactor,
    ) -> Vec<StepSnapshot> {
        if screens.is_empty() {
            return Vec::new();
        }
        let folder = self.dir.join(SNAPSHOTS_DIR);
        if let Err(e) = std::fs::create_dir_all(&folder) {
            tracing::warn!(folder = %folder.display(), error = %e, "no step snapshots");
            return Vec::new();
        }
        let mut written = Vec::new();
        for (terminal, screen) in screens {
            let started = Instant::now();
            let cells = Cells::of_screen(screen, redactor);
            let name = snapshot::step_file_name(step_id, terminal, "png");
            let path = folder.join(&name);
            match snapshot::write(&cells, terminal, &path, 1.0) {
                Ok(()) => {
                    tracing::debug!(
                        file = %path.display(),
                        ms = started.elapsed().as_secs_f64() * 1000.0,
                        "step snapshot"
                    );
                    written.push(StepSnapshot {
                        terminal: terminal.clone(),
                        file: format!("{SNAPSHOTS_DIR}/{name}"),
                    });
                }
                Err(e) => tracing::warn!(step = step_id, terminal, error = %e, "no step snapshot"),
            }
        }
        written
    }

    /// Ends the recording: detaches from every terminal (they keep running), stops
    /// recording new ones, and writes the final manifest.
    pub fn finish(&self, manager: &TerminalManager) -> Manifest {
        manager.set_start_hook(None);
        let mut st = self.lock();
        for rec in st.casts.values() {
            if let Some(session) = rec.session.upgrade() {
                session.detach(rec.sink);
            }
            lock(&rec.cast).finish();
            if let Some(e) = lock(&rec.cast).error() {
                tracing::error!("{e}");
            }
        }
        st.manifest.finished = Some(jiff::Timestamp::now().to_string());
        self.save(&st);
        tracing::info!(folder = %self.dir.display(), "rehearsal recording finished");
        st.manifest.clone()
    }
}

/// Whether a block of `step` masks its whole output (`"redact": true`).
fn step_masks_all(step: &Step) -> bool {
    step.blocks
        .iter()
        .any(|b| b.attributes.redact.iter().any(|p| p == REDACT_ALL))
}

/// `main.cast`, or a file-safe variant of a terminal name, unique in the folder.
fn cast_file_name(name: &str, taken: &BTreeMap<String, Recorded>) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = if safe.is_empty() {
        "terminal".into()
    } else {
        safe
    };
    let mut file = format!("{safe}.cast");
    let mut n = 2;
    while taken.values().any(|r| r.file == file) {
        file = format!("{safe}-{n}.cast");
        n += 1;
    }
    file
}
