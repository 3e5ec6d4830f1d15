//! Rehearsal and playback in the window: "Rehearse all / from here" records the
//! runbook in the window's own terminals; a step plays back from its latest passing
//! recording into the same terminals, with its health lights and charts; a failed
//! live step falls back to its recording.
//!
//! Playback output goes through the terminal's own output path
//! ([`Session::show_recorded`]), so the view, the screen model and any recorder see
//! it exactly as live output: nothing on the terminal tells it apart. Only the
//! presenter's controls show the "playback" badge.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cuedeck_core::record::manifest::{Manifest, StepSnapshot};
use cuedeck_core::record::playback::{self, Cue, Pace};
use cuedeck_core::record::store::{self, StepRecording};
use cuedeck_core::runbook::{Runbook, Step};
use cuedeck_core::show::rehearse::{self, Probing};
use cuedeck_core::show::run_all::{Progress, Selection, StepResult};
use cuedeck_core::show::state::{Show, ShowCommand};
use cuedeck_core::terminal::{Session, StepStatus};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use crate::probes::Probes;
use crate::terminals::{TerminalError, Terminals};

/// The playback under way (its cancel flag) and whether a rehearsal runs.
#[derive(Default)]
pub struct Replay {
    current: Mutex<Option<Arc<AtomicBool>>>,
    rehearsing: AtomicBool,
}

impl Replay {
    /// A new playback: the one under way, if any, is cancelled.
    fn begin(&self) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = current.replace(Arc::clone(&flag)) {
            old.store(true, Ordering::Relaxed);
        }
        flag
    }

    fn cancel(&self) {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(flag) = current.as_ref() {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

/// What a step would play back.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecordingInfo {
    pub step_id: String,
    /// The rehearsal folder's name (its UTC start time).
    pub rehearsal: String,
    /// The step's commands changed since that rehearsal.
    pub stale: bool,
    pub status: StepStatus,
    pub duration_ms: u64,
    pub terminals: Vec<String>,
    /// Its terminals' screens as it ended (PNG files in the rehearsal folder).
    pub snapshots: Vec<StepSnapshot>,
}

fn info(rec: &StepRecording) -> StepRecordingInfo {
    StepRecordingInfo {
        step_id: rec.step_id.clone(),
        rehearsal: rec
            .rehearsal
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        stale: rec.stale,
        status: rec.record.status,
        duration_ms: ((rec.record.end - rec.record.start).max(0.0) * 1000.0) as u64,
        terminals: rec.record.terminals.clone(),
        snapshots: rec.record.snapshots.clone(),
    }
}

/// The recording each step of the open runbook would play (steps without one are
/// left out).
#[tauri::command]
pub async fn recordings(
    terminals: State<'_, Arc<Terminals>>,
) -> Result<Vec<StepRecordingInfo>, TerminalError> {
    let (path, runbook) = terminals.runbook()?;
    tauri::async_runtime::spawn_blocking(move || {
        store::recordings_for(&runbook, &store::list(&path))
            .iter()
            .flatten()
            .map(info)
            .collect()
    })
    .await
    .map_err(|e| TerminalError::new(format!("cannot list the rehearsals: {e}")))
}

/// A rehearsal's progress, for the step list.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum RehearsalProgress {
    #[serde(rename_all = "camelCase")]
    StepStarted { step_id: String },
    #[serde(rename_all = "camelCase")]
    StepFinished {
        step_id: String,
        status: StepStatus,
        exit_code: Option<i32>,
        message: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Finished {
        folder: String,
        passed: usize,
        failed: usize,
    },
}

struct ToWindow<'a>(&'a Channel<RehearsalProgress>);

impl ToWindow<'_> {
    fn send(&self, progress: RehearsalProgress) {
        if let Err(e) = self.0.send(progress) {
            tracing::warn!("rehearsal progress lost on its way to the window: {e}");
        }
    }
}

impl Progress for ToWindow<'_> {
    fn step_started(&mut self, step: &Step) {
        self.send(RehearsalProgress::StepStarted {
            step_id: step.id.clone(),
        });
    }

    fn step_finished(&mut self, step: &Step, result: &StepResult) {
        self.send(RehearsalProgress::StepFinished {
            step_id: step.id.clone(),
            status: result.status,
            exit_code: result.exit_code,
            message: result.message.clone(),
        });
    }
}

/// Rehearses the open runbook (from step `from`, or all of it) in the window's
/// terminals, recording it; `on_progress` hears of each step.
#[tauri::command]
pub async fn rehearse_run(
    terminals: State<'_, Arc<Terminals>>,
    probes: State<'_, Arc<Probes>>,
    replay: State<'_, Arc<Replay>>,
    from: Option<String>,
    on_progress: Channel<RehearsalProgress>,
) -> Result<(), TerminalError> {
    let (path, runbook) = terminals.runbook()?;
    let manager = terminals.runner()?;
    let (probes, replay) = (Arc::clone(&probes), Arc::clone(&replay));
    if replay.rehearsing.swap(true, Ordering::SeqCst) {
        return Err(TerminalError::new("a rehearsal is already running"));
    }
    let result = tauri::async_runtime::spawn_blocking(move || {
        replay.cancel();
        probes.set_replaying(false);
        let selection = Selection {
            from,
            keep_terminals: true,
            ..Selection::default()
        };
        let rehearsed = rehearse::rehearse(
            &path,
            &runbook,
            &manager,
            &selection,
            Probing::External,
            |recorder| probes.record_into(Some(recorder.samples())),
            ToWindow(&on_progress),
        );
        probes.record_into(None);
        replay.rehearsing.store(false, Ordering::SeqCst);
        let (report, manifest, recorder) =
            rehearsed.map_err(|e| TerminalError::new(e.to_string()))?;
        tracing::info!(failed = report.failed(), folder = %recorder.dir().display(), "rehearsal done");
        ToWindow(&on_progress).send(RehearsalProgress::Finished {
            folder: recorder.dir().display().to_string(),
            passed: manifest.passed(),
            failed: manifest.failed(),
        });
        Ok(())
    })
    .await;
    result.map_err(|e| TerminalError::new(format!("the rehearsal stopped: {e}")))?
}

/// A playback's progress.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlayStatus {
    pub step_id: String,
    pub state: PlayState,
    /// The terminals it plays into, the step's own first.
    pub terminals: Vec<String>,
    pub rehearsal: String,
    pub stale: bool,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PlayState {
    Playing,
    Finished,
    Cancelled,
}

/// Plays step `step_id` from its latest passing recording, into its terminals,
/// with its health lights and charts; whatever of the live step is left (a gate
/// waiting, a program running) is cancelled first. Returns when it has played.
#[tauri::command]
#[allow(clippy::too_many_arguments)] // a Tauri command takes its states one by one
pub async fn play_step(
    terminals: State<'_, Arc<Terminals>>,
    show: State<'_, Arc<Show>>,
    probes: State<'_, Arc<Probes>>,
    replay: State<'_, Arc<Replay>>,
    step_id: String,
    speed: f64,
    idle_cap_ms: Option<u64>,
    on_status: Channel<PlayStatus>,
) -> Result<(), TerminalError> {
    let pace =
        Pace::new(speed, idle_cap_ms.map(Duration::from_millis)).map_err(TerminalError::new)?;
    let (path, runbook) = terminals.runbook()?;
    let (terminals, probes) = (Arc::clone(&terminals), Arc::clone(&probes));
    let show = Arc::clone(&show);
    let cancel = replay.begin();
    let played = tauri::async_runtime::spawn_blocking(move || {
        let step = find_step(&runbook, &step_id)?;
        let recording = recording_of(&path, &runbook, &step_id)?;
        let blocks: Vec<String> = step.blocks.iter().map(|b| b.id.clone()).collect();
        terminals.cancel_live(&blocks, &recording.record.terminals);
        let plan = Plan::load(&recording, pace)?;
        let sessions = plan.open_terminals(&terminals)?;
        crate::terminals::publish_started(&show, &terminals);
        let playing = |step: Option<String>| {
            crate::show::apply(&show, ShowCommand::Playing { step_id: step })
        };
        playing(Some(step_id.clone()));
        let status = |state, message: Option<String>| PlayStatus {
            step_id: step_id.clone(),
            state,
            terminals: plan.terminals.clone(),
            rehearsal: info(&recording).rehearsal,
            stale: recording.stale,
            message,
        };
        send(&on_status, status(PlayState::Playing, None));
        probes.set_replaying(true);
        for event in &plan.probes_before {
            probes.replay(event.clone());
        }
        let ended = playback::play(&plan.timeline, &cancel, |cue| match cue {
            Cue::Output { terminal, data } => {
                if let Some(session) = sessions.iter().find(|s| s.name() == terminal) {
                    session.show_recorded(data.as_bytes());
                }
            }
            Cue::Probe(event) => probes.replay(event.clone()),
        });
        let state = match ended {
            playback::Played::Finished => PlayState::Finished,
            playback::Played::Cancelled => PlayState::Cancelled,
        };
        playing(None);
        send(&on_status, status(state, None));
        Ok(())
    })
    .await;
    played.map_err(|e| TerminalError::new(format!("the playback stopped: {e}")))?
}

fn send(channel: &Channel<PlayStatus>, status: PlayStatus) {
    if let Err(e) = channel.send(status) {
        tracing::warn!("playback status lost on its way to the window: {e}");
    }
}

fn find_step<'a>(runbook: &'a Runbook, id: &str) -> Result<&'a Step, TerminalError> {
    runbook
        .steps
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| TerminalError::new(format!("no step `{id}` in the open runbook")))
}

fn recording_of(path: &Path, runbook: &Runbook, id: &str) -> Result<StepRecording, TerminalError> {
    let index = runbook.steps.iter().position(|s| s.id == id);
    let listed = store::list(path);
    index
        .and_then(|i| store::recordings_for(runbook, &listed).swap_remove(i))
        .ok_or_else(|| {
            TerminalError::new(format!(
                "step `{id}` has no passing rehearsal to play: rehearse it first"
            ))
        })
}

/// Everything a playback needs, read before the first frame.
struct Plan {
    timeline: Vec<playback::Timed<Cue>>,
    /// Each service's last recorded state before the step: the lights at frame one.
    probes_before: Vec<cuedeck_core::probe::ProbeEvent>,
    /// Terminals with output to show, the step's own first.
    terminals: Vec<String>,
}

impl Plan {
    fn load(recording: &StepRecording, pace: Pace) -> Result<Self, TerminalError> {
        let dir = &recording.rehearsal;
        let manifest = Manifest::load(dir).map_err(|e| TerminalError::new(e.to_string()))?;
        let cues = playback::step_cues(dir, &manifest, &recording.record)
            .map_err(|e| TerminalError::new(e.to_string()))?;
        let mut terminals = recording.record.terminals.clone();
        for (_, cue) in &cues {
            if let Cue::Output { terminal, .. } = cue {
                if !terminals.contains(terminal) {
                    terminals.push(terminal.clone());
                }
            }
        }
        Ok(Self {
            probes_before: playback::probe_state_before(dir, &manifest, recording.record.start),
            timeline: playback::schedule(cues, pace),
            terminals,
        })
    }

    /// The terminals played into, started if needed (a plain shell; it stays idle).
    fn open_terminals(&self, terminals: &Terminals) -> Result<Vec<Arc<Session>>, TerminalError> {
        let manager = terminals.runner()?;
        self.terminals
            .iter()
            .map(|name| manager.session(name).map_err(TerminalError::from))
            .collect()
    }
}

/// Stops the playback under way (its terminals keep what was shown).
#[tauri::command]
pub fn playback_stop(replay: State<'_, Arc<Replay>>) {
    replay.cancel();
}

/// Back to live health lights and charts after a playback.
#[tauri::command]
pub fn live_resume(probes: State<'_, Arc<Probes>>) {
    probes.set_replaying(false);
}
