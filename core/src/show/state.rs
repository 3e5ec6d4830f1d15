//! The one presentation state the presenter and audience windows share.
//!
//! It is plain data with absolute timestamps, so any window (or one reloaded mid-talk)
//! renders the same show from the latest state alone. It changes only through typed
//! [`ShowCommand`]s, and every change is published, whole and in order, to every
//! subscriber: windows never patch their own copy, so they cannot drift apart.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

pub use super::timer::{now_ms, EpochMs, Timer};

/// Whether a step runs live in real terminals or plays its rehearsal recording.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    #[default]
    Live,
    Playback,
}

/// Everything both windows show, as of `revision`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShowState {
    /// +1 on every change: a window ignores a state older than the one it has.
    pub revision: u64,
    /// Path of the open runbook, as given to [`Show::open`].
    pub runbook: Option<String>,
    /// Step ids, in order.
    pub steps: Vec<String>,
    /// Index into `steps`.
    pub current: Option<usize>,
    pub current_step_id: Option<String>,
    /// The whole show's mode.
    pub mode: Mode,
    /// Per-step overrides of `mode`.
    pub step_modes: BTreeMap<String, Mode>,
    pub timer: Timer,
    /// The audience screen is black.
    pub blanked: bool,
    /// The step whose recording plays now.
    pub playing: Option<String>,
    /// The terminals started so far, by name (the audience tiles the current step's).
    pub terminals: Vec<String>,
    /// +1 each time the open runbook is read again: windows fetch its content anew.
    pub content_revision: u64,
    pub audience: AudienceState,
    /// When this state was published (set by apply/open).
    pub published_at: EpochMs,
}

/// The audience window: whether it is open, where, and what it overlays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AudienceState {
    pub open: bool,
    /// The monitor's name, as the windowing side reports it.
    pub monitor: Option<String>,
    pub fullscreen: bool,
    pub show_clock: bool,
    /// How many columns the audience's terminals are sized to show.
    pub columns: u16,
    /// The grid every terminal follows while the audience window is open: the one
    /// that shows `columns` across an audience tile (the presenter's views follow it).
    pub grid: Option<TerminalGrid>,
}

impl Default for AudienceState {
    fn default() -> Self {
        Self {
            open: false,
            monitor: None,
            fullscreen: false,
            show_clock: false,
            columns: DEFAULT_AUDIENCE_COLUMNS,
            grid: None,
        }
    }
}

/// Readable from the back of a room on a projector, wide enough for most output.
pub const DEFAULT_AUDIENCE_COLUMNS: u16 = 100;
/// The fewest columns a tile of the audience window is given.
pub const AUDIENCE_MIN_TILE_COLUMNS: u16 = 20;
/// The rows an audience grid may have.
pub const AUDIENCE_ROWS: std::ops::RangeInclusive<u16> = 4..=200;
/// The columns the audience can be set to: narrower is unreadable text, wider is no terminal.
pub const AUDIENCE_COLUMNS: std::ops::RangeInclusive<u16> = 40..=300;

/// A terminal's size in cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalGrid {
    pub cols: u16,
    pub rows: u16,
}

/// Every way the windows may change the show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ShowCommand {
    GoTo {
        step: usize,
    },
    Next,
    Previous,
    SetMode {
        mode: Mode,
    },
    /// `None` clears the override.
    SetStepMode {
        step_id: String,
        mode: Option<Mode>,
    },
    /// Starts a timer never started, resumes a paused one; never pauses.
    StartTimer,
    /// Starts a timer never started, else pauses or resumes it.
    ToggleTimer,
    ResetTimer,
    ToggleBlank,
    SetBlank {
        blanked: bool,
    },
    Playing {
        step_id: Option<String>,
    },
    Audience {
        open: bool,
        monitor: Option<String>,
        fullscreen: bool,
    },
    ShowClock {
        on: bool,
    },
    /// The columns the audience's terminals show (clamped to [`AUDIENCE_COLUMNS`]).
    AudienceColumns {
        columns: u16,
    },
    /// The grid the audience window sized its tiles to (`None`: each view fits its own).
    AudienceGrid {
        grid: Option<TerminalGrid>,
    },
    /// The terminals started now (the app's own: the windows don't start terminals by name).
    Terminals {
        names: Vec<String>,
    },
}

/// Why a command was refused; the state is then unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
pub enum ShowError {
    #[error("no runbook is open")]
    NoRunbook,
    #[error("step {step} is out of range: the runbook has {steps} steps")]
    StepOutOfRange { step: usize, steps: usize },
    #[error("the runbook has no step `{0}`")]
    UnknownStep(String),
}

impl ShowState {
    /// What the audience window is sent: the show without the runbook's path and
    /// without step ids (slugs of titles, which may hold what `redact` masks), per-step
    /// modes, per-step times or what plays. The audience knows steps by position.
    pub fn for_audience(&self) -> ShowState {
        ShowState {
            runbook: self.runbook.as_ref().map(|_| String::new()),
            steps: Vec::new(),
            current_step_id: None,
            step_modes: BTreeMap::new(),
            playing: None,
            timer: Timer {
                step_spent_ms: BTreeMap::new(),
                step_since: None,
                ..self.timer.clone()
            },
            ..self.clone()
        }
    }

    /// The step's override, else the show's mode.
    pub fn mode_of(&self, step_id: &str) -> Mode {
        self.step_modes.get(step_id).copied().unwrap_or(self.mode)
    }

    /// Applies `command` in place. On an error the caller drops this copy.
    fn apply(&mut self, command: ShowCommand, now: EpochMs) -> Result<(), ShowError> {
        match command {
            ShowCommand::GoTo { step } => self.go_to(step, now)?,
            ShowCommand::Next => self.next(now)?,
            ShowCommand::Previous => self.previous(now)?,
            ShowCommand::SetMode { mode } => {
                // The whole show switches: every step's own choice goes with it.
                self.mode = mode;
                self.step_modes.clear();
            }
            ShowCommand::SetStepMode { step_id, mode } => self.set_step_mode(step_id, mode)?,
            ShowCommand::StartTimer => self.start_timer(now),
            ShowCommand::ToggleTimer => self.toggle_timer(now),
            ShowCommand::ResetTimer => self.timer = Timer::default(),
            ShowCommand::ToggleBlank => self.blanked = !self.blanked,
            ShowCommand::SetBlank { blanked } => self.blanked = blanked,
            ShowCommand::Playing { step_id } => self.set_playing(step_id)?,
            ShowCommand::Audience {
                open,
                monitor,
                fullscreen,
            } => {
                self.audience.open = open;
                self.audience.monitor = monitor;
                self.audience.fullscreen = fullscreen;
            }
            ShowCommand::ShowClock { on } => self.audience.show_clock = on,
            ShowCommand::AudienceColumns { columns } => {
                self.audience.columns =
                    columns.clamp(*AUDIENCE_COLUMNS.start(), *AUDIENCE_COLUMNS.end());
            }
            ShowCommand::AudienceGrid { grid } => {
                self.audience.grid = grid.map(|g| self.fit_grid(g));
            }
            ShowCommand::Terminals { names } => self.terminals = names,
        }
        Ok(())
    }

    /// A grid the audience window asked for, within reason (every terminal is resized
    /// to it): at most the columns chosen (tiles side by side share them, so the font
    /// stays as large as one terminal's), at least [`AUDIENCE_MIN_TILE_COLUMNS`], and
    /// rows within [`AUDIENCE_ROWS`].
    fn fit_grid(&self, grid: TerminalGrid) -> TerminalGrid {
        let most = self.audience.columns.max(AUDIENCE_MIN_TILE_COLUMNS);
        TerminalGrid {
            cols: grid.cols.clamp(AUDIENCE_MIN_TILE_COLUMNS, most),
            rows: grid
                .rows
                .clamp(*AUDIENCE_ROWS.start(), *AUDIENCE_ROWS.end()),
        }
    }

    fn require_runbook(&self) -> Result<(), ShowError> {
        match self.runbook {
            Some(_) => Ok(()),
            None => Err(ShowError::NoRunbook),
        }
    }

    fn require_step(&self, step_id: &str) -> Result<(), ShowError> {
        self.require_runbook()?;
        if self.steps.iter().any(|s| s == step_id) {
            Ok(())
        } else {
            Err(ShowError::UnknownStep(step_id.to_string()))
        }
    }

    fn go_to(&mut self, step: usize, now: EpochMs) -> Result<(), ShowError> {
        self.require_runbook()?;
        if step >= self.steps.len() {
            return Err(ShowError::StepOutOfRange {
                step,
                steps: self.steps.len(),
            });
        }
        self.change_step(step, now);
        Ok(())
    }

    /// At the last step: nothing to do.
    fn next(&mut self, now: EpochMs) -> Result<(), ShowError> {
        self.require_runbook()?;
        let next = self.current.map_or(0, |c| c + 1);
        if next < self.steps.len() {
            self.change_step(next, now);
        }
        Ok(())
    }

    /// At the first step: nothing to do.
    fn previous(&mut self, now: EpochMs) -> Result<(), ShowError> {
        self.require_runbook()?;
        if let Some(previous) = self.current.and_then(|c| c.checked_sub(1)) {
            self.change_step(previous, now);
        }
        Ok(())
    }

    /// Moves to `index` (in range). The talk starts with the first step change, so
    /// that starts a timer never started; a running one gives the old step its time.
    fn change_step(&mut self, index: usize, now: EpochMs) {
        if self.current == Some(index) {
            return;
        }
        if self.timer.started() {
            self.timer.leave_step(self.current_step_id.as_deref(), now);
        } else {
            self.timer.start(now);
        }
        self.current = Some(index);
        self.current_step_id = self.steps.get(index).cloned();
    }

    fn set_step_mode(&mut self, step_id: String, mode: Option<Mode>) -> Result<(), ShowError> {
        self.require_step(&step_id)?;
        match mode {
            Some(mode) => self.step_modes.insert(step_id, mode),
            None => self.step_modes.remove(&step_id),
        };
        Ok(())
    }

    fn set_playing(&mut self, step_id: Option<String>) -> Result<(), ShowError> {
        if let Some(id) = &step_id {
            self.require_step(id)?;
        }
        self.playing = step_id;
        Ok(())
    }

    fn start_timer(&mut self, now: EpochMs) {
        if !self.timer.started() {
            self.timer.start(now);
        } else if !self.timer.running() {
            self.timer.resume(now);
        }
    }

    fn toggle_timer(&mut self, now: EpochMs) {
        if self.timer.running() {
            self.timer.pause(self.current_step_id.as_deref(), now);
        } else {
            self.start_timer(now);
        }
    }

    /// Opens `path` with `steps`: a reload when it is the runbook already open.
    fn open(&mut self, path: &str, steps: Vec<String>, now: EpochMs) {
        if self.runbook.as_deref() == Some(path) {
            self.reload(steps, now);
        } else {
            self.fresh(path, steps);
        }
    }

    /// A new runbook is a new show (its own terminals too); only the audience window
    /// stays where it is.
    fn fresh(&mut self, path: &str, steps: Vec<String>) {
        *self = Self {
            runbook: Some(path.to_string()),
            current: (!steps.is_empty()).then_some(0),
            current_step_id: steps.first().cloned(),
            steps,
            content_revision: self.content_revision + 1,
            audience: std::mem::take(&mut self.audience),
            ..Self::default()
        };
    }

    /// The runbook was edited mid-talk: stay on the same step (by id, else the nearest
    /// index) and keep the timer, so saving the file never disturbs the show.
    fn reload(&mut self, steps: Vec<String>, now: EpochMs) {
        let by_id = self
            .current_step_id
            .as_ref()
            .and_then(|id| steps.iter().position(|s| s == id));
        let nearest =
            || (!steps.is_empty()).then(|| self.current.unwrap_or(0).min(steps.len() - 1));
        let current = by_id.or_else(nearest);
        let current_step_id = current.and_then(|i| steps.get(i).cloned());
        if current_step_id != self.current_step_id {
            self.timer.leave_step(self.current_step_id.as_deref(), now);
        }
        self.step_modes.retain(|id, _| steps.contains(id));
        if self.playing.as_ref().is_some_and(|p| !steps.contains(p)) {
            self.playing = None;
        }
        self.steps = steps;
        self.current = current;
        self.current_step_id = current_step_id;
        self.content_revision += 1;
    }
}

type Publish = dyn Fn(&ShowState) + Send + Sync;

/// A window listening to the show. Retired when replaced, unsubscribed or panicking,
/// so a state still queued for it is not delivered.
struct Subscriber {
    key: String,
    publish: Box<Publish>,
    retired: AtomicBool,
}

impl Subscriber {
    fn retire(&self) {
        self.retired.store(true, Ordering::Release);
    }

    /// Calls the subscriber; one that panics is detached and the show goes on.
    fn deliver(&self, state: &ShowState) {
        if self.retired.load(Ordering::Acquire) {
            return;
        }
        let call = AssertUnwindSafe(|| (self.publish)(state));
        if std::panic::catch_unwind(call).is_err() {
            tracing::error!(subscriber = %self.key, "a show subscriber panicked: detached");
            self.retire();
        }
    }
}

/// One state on its way to the subscribers it had when it was made.
struct Delivery {
    state: ShowState,
    to: Vec<Arc<Subscriber>>,
}

/// States waiting for delivery, in the order they were made, and whether a thread
/// is delivering them.
#[derive(Default)]
struct Outbox {
    queue: VecDeque<Delivery>,
    draining: bool,
}

#[derive(Default)]
struct Inner {
    state: ShowState,
    subscribers: BTreeMap<String, Arc<Subscriber>>,
}

/// The show: its state and its subscribers.
///
/// Subscribers are called outside the state lock, one at a time and in revision
/// order: each change is queued under the state lock, and whichever thread finds
/// nobody delivering drains the queue. A subscriber may therefore read the state or
/// send commands itself; what it causes is delivered after it returns.
#[derive(Default)]
pub struct Show {
    inner: Mutex<Inner>,
    outbox: Mutex<Outbox>,
}

impl Show {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn state(&self) -> ShowState {
        self.lock_inner().state.clone()
    }

    /// Makes `steps` (the runbook's step ids, in order) the show's steps. Same path: a
    /// reload — keep the current step by id (if it vanished, the nearest index still in
    /// range), keep timer, modes of steps that still exist, blank, audience. Another
    /// path: a fresh show (timer reset, current = first step or None when no steps,
    /// modes cleared, playing None, not blanked) but the audience state kept.
    /// A reload that changes nothing is not published.
    pub fn open(&self, path: &str, steps: Vec<String>, now: EpochMs) -> ShowState {
        let opened = self.change(now, |state| {
            state.open(path, steps, now);
            Ok::<(), Infallible>(())
        });
        match opened {
            Ok(state) => state,
            Err(never) => match never {},
        }
    }

    /// Applies `command` at `now`. A command that changes nothing returns the state as
    /// it was: no new revision, nothing published.
    pub fn apply(&self, command: ShowCommand, now: EpochMs) -> Result<ShowState, ShowError> {
        self.change(now, |state| state.apply(command, now))
    }

    /// Registers `publish` under `key` (a window label), replacing any earlier
    /// subscriber with that key (a reloaded window), calls it at once with the whole
    /// current state, and then with every new state, in order. Returns that first state.
    pub fn subscribe(
        &self,
        key: &str,
        publish: impl Fn(&ShowState) + Send + Sync + 'static,
    ) -> ShowState {
        let subscriber = Arc::new(Subscriber {
            key: key.to_string(),
            publish: Box::new(publish),
            retired: AtomicBool::new(false),
        });
        let state = {
            let mut inner = self.lock_inner();
            if let Some(earlier) = inner
                .subscribers
                .insert(key.to_string(), subscriber.clone())
            {
                earlier.retire();
            }
            let state = inner.state.clone();
            self.enqueue(state.clone(), vec![subscriber]);
            state
        };
        self.drain();
        state
    }

    /// Stops publishing to `key`. No-op for a key not subscribed.
    pub fn unsubscribe(&self, key: &str) {
        if let Some(subscriber) = self.lock_inner().subscribers.remove(key) {
            subscriber.retire();
        }
    }

    /// Changes a copy of the state; if it differs, it becomes the state (next revision,
    /// stamped `now`) and is published.
    fn change<E>(
        &self,
        now: EpochMs,
        edit: impl FnOnce(&mut ShowState) -> Result<(), E>,
    ) -> Result<ShowState, E> {
        let state = {
            let mut inner = self.lock_inner();
            let mut next = inner.state.clone();
            edit(&mut next)?;
            if next == inner.state {
                return Ok(next);
            }
            next.revision = inner.state.revision + 1;
            next.published_at = now;
            inner.state = next.clone();
            let to = inner.subscribers.values().cloned().collect();
            self.enqueue(next.clone(), to);
            next
        };
        self.drain();
        Ok(state)
    }

    /// Queues a state for delivery. Called under the state lock, so the queue keeps
    /// the order in which states were made.
    fn enqueue(&self, state: ShowState, to: Vec<Arc<Subscriber>>) {
        self.lock_outbox().queue.push_back(Delivery { state, to });
    }

    /// Delivers queued states until none is left, unless another thread (or a caller
    /// further up this one, inside a subscriber) already is.
    fn drain(&self) {
        {
            let mut outbox = self.lock_outbox();
            if outbox.draining {
                return;
            }
            outbox.draining = true;
        }
        while let Some(delivery) = self.next_delivery() {
            for subscriber in &delivery.to {
                subscriber.deliver(&delivery.state);
            }
        }
    }

    /// The next queued state; when there is none, delivery ends under the same lock,
    /// so a state queued meanwhile is never left behind.
    fn next_delivery(&self) -> Option<Delivery> {
        let mut outbox = self.lock_outbox();
        let next = outbox.queue.pop_front();
        if next.is_none() {
            outbox.draining = false;
        }
        next
    }

    fn lock_inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_outbox(&self) -> MutexGuard<'_, Outbox> {
        self.outbox.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = Arc<Mutex<Vec<ShowState>>>;

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    /// A show with runbook `talk.md` and steps a, b, c, opened at t = 0.
    fn show() -> Show {
        let show = Show::new();
        show.open("talk.md", ids(&["a", "b", "c"]), 0);
        show
    }

    fn record(show: &Show, key: &str) -> Seen {
        let seen = Seen::default();
        let log = seen.clone();
        show.subscribe(key, move |s| {
            log.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(s.clone())
        });
        seen
    }

    fn revisions(seen: &Seen) -> Vec<u64> {
        let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.iter().map(|s| s.revision).collect()
    }

    fn step_ms(state: &ShowState, id: &str, now: EpochMs) -> u64 {
        state
            .timer
            .step_elapsed_ms(id, state.current_step_id.as_deref(), now)
    }

    #[test]
    fn open_starts_at_the_first_step_with_the_timer_stopped() {
        let s = show().state();
        assert_eq!(
            (s.current, s.current_step_id.as_deref()),
            (Some(0), Some("a"))
        );
        assert_eq!(s.revision, 1);
        assert!(!s.timer.started());
    }

    #[test]
    fn first_step_change_starts_the_timer() -> Result<(), ShowError> {
        let show = show();
        let s = show.apply(ShowCommand::Next, 5_000)?;
        assert_eq!(s.timer.started_at, Some(5_000));
        assert!(s.timer.running());
        assert_eq!(s.current_step_id.as_deref(), Some("b"));
        assert_eq!(s.timer.elapsed_ms(7_000), 2_000);
        // GoTo the step we are on is no change of step.
        let fresh = Show::new();
        fresh.open("talk.md", ids(&["a", "b"]), 0);
        let s = fresh.apply(ShowCommand::GoTo { step: 0 }, 1_000)?;
        assert!(!s.timer.started());
        Ok(())
    }

    #[test]
    fn toggle_timer_starts_pauses_and_resumes() -> Result<(), ShowError> {
        let show = show();
        let s = show.apply(ShowCommand::ToggleTimer, 1_000)?;
        assert!(s.timer.running());
        let s = show.apply(ShowCommand::ToggleTimer, 3_000)?;
        assert!(s.timer.started() && !s.timer.running());
        assert_eq!(s.timer.step_since, None);
        assert_eq!(s.timer.step_spent_ms["a"], 2_000);
        let s = show.apply(ShowCommand::ToggleTimer, 10_000)?;
        assert!(s.timer.running());
        assert_eq!(s.timer.paused_ms, 7_000);
        assert_eq!(s.timer.elapsed_ms(11_000), 3_000);
        assert_eq!(step_ms(&s, "a", 11_000), 3_000);
        Ok(())
    }

    #[test]
    fn start_timer_starts_and_resumes_but_never_pauses() -> Result<(), ShowError> {
        let show = show();
        let s = show.apply(ShowCommand::StartTimer, 1_000)?;
        assert!(s.timer.running());
        let again = show.apply(ShowCommand::StartTimer, 2_000)?;
        assert_eq!(again, s, "already running: no change");
        show.apply(ShowCommand::ToggleTimer, 3_000)?;
        let s = show.apply(ShowCommand::StartTimer, 4_000)?;
        assert!(s.timer.running());
        assert_eq!(s.timer.paused_ms, 1_000);
        Ok(())
    }

    #[test]
    fn going_back_and_forth_carries_on_a_steps_time() -> Result<(), ShowError> {
        let show = show();
        show.apply(ShowCommand::StartTimer, 0)?;
        show.apply(ShowCommand::Next, 1_000)?; // a: 1 s
        show.apply(ShowCommand::Next, 3_000)?; // b: 2 s
        show.apply(ShowCommand::GoTo { step: 0 }, 7_000)?; // c: 4 s
        let s = show.apply(ShowCommand::Next, 7_500)?; // a: 1.5 s
        assert_eq!(s.timer.step_spent_ms["a"], 1_500);
        assert_eq!(s.timer.step_spent_ms["c"], 4_000);
        // Back in b, which carries on from its 2 s.
        assert_eq!(step_ms(&s, "b", 8_000), 2_500);
        assert_eq!(step_ms(&s, "a", 8_000), 1_500);
        assert_eq!(s.timer.elapsed_ms(8_000), 8_000);
        Ok(())
    }

    #[test]
    fn a_step_left_while_paused_keeps_its_time() -> Result<(), ShowError> {
        let show = show();
        show.apply(ShowCommand::StartTimer, 0)?;
        show.apply(ShowCommand::ToggleTimer, 1_000)?;
        let s = show.apply(ShowCommand::Next, 5_000)?;
        assert_eq!(s.timer.step_spent_ms["a"], 1_000);
        assert_eq!(step_ms(&s, "b", 9_000), 0);
        let s = show.apply(ShowCommand::ToggleTimer, 9_000)?;
        assert_eq!(step_ms(&s, "b", 9_500), 500);
        assert_eq!(s.timer.elapsed_ms(9_500), 1_500);
        Ok(())
    }

    #[test]
    fn reset_clears_the_timer() -> Result<(), ShowError> {
        let show = show();
        show.apply(ShowCommand::Next, 0)?;
        show.apply(ShowCommand::ToggleTimer, 1_000)?;
        let s = show.apply(ShowCommand::ResetTimer, 2_000)?;
        assert_eq!(s.timer, Timer::default());
        assert!(!s.timer.started());
        // Not started again: the next step change starts it anew.
        let s = show.apply(ShowCommand::Next, 3_000)?;
        assert_eq!(s.timer.started_at, Some(3_000));
        Ok(())
    }

    #[test]
    fn next_at_the_end_and_previous_at_the_start_are_no_ops() -> Result<(), ShowError> {
        let show = show();
        let seen = record(&show, "presenter");
        let s = show.apply(ShowCommand::Previous, 1_000)?;
        assert_eq!((s.revision, s.current), (1, Some(0)));
        show.apply(ShowCommand::GoTo { step: 2 }, 2_000)?;
        let s = show.apply(ShowCommand::Next, 3_000)?;
        assert_eq!((s.revision, s.current), (2, Some(2)));
        assert_eq!(revisions(&seen), vec![1, 2]);
        Ok(())
    }

    #[test]
    fn no_op_commands_do_not_publish() -> Result<(), ShowError> {
        let show = show();
        let seen = record(&show, "presenter");
        let noops = [
            ShowCommand::GoTo { step: 0 },
            ShowCommand::SetMode { mode: Mode::Live },
            ShowCommand::SetStepMode {
                step_id: "a".into(),
                mode: None,
            },
            ShowCommand::ResetTimer,
            ShowCommand::SetBlank { blanked: false },
            ShowCommand::Playing { step_id: None },
            ShowCommand::Audience {
                open: false,
                monitor: None,
                fullscreen: false,
            },
            ShowCommand::ShowClock { on: false },
        ];
        for command in noops {
            let s = show.apply(command.clone(), 9_000)?;
            assert_eq!((s.revision, s.published_at), (1, 0), "{command:?}");
        }
        assert_eq!(revisions(&seen), vec![1]);
        let s = show.apply(ShowCommand::ToggleBlank, 9_000)?;
        assert_eq!((s.revision, s.published_at, s.blanked), (2, 9_000, true));
        assert_eq!(revisions(&seen), vec![1, 2]);
        Ok(())
    }

    #[test]
    fn commands_needing_a_runbook_fail_without_one() {
        let show = Show::new();
        for command in [
            ShowCommand::GoTo { step: 0 },
            ShowCommand::Next,
            ShowCommand::Previous,
            ShowCommand::SetStepMode {
                step_id: "a".into(),
                mode: Some(Mode::Playback),
            },
        ] {
            assert_eq!(show.apply(command, 0), Err(ShowError::NoRunbook));
        }
        assert_eq!(show.state(), ShowState::default());
        // The rest works without a runbook.
        assert!(show.apply(ShowCommand::ToggleBlank, 0).is_ok());
    }

    #[test]
    fn bad_steps_are_refused_and_change_nothing() {
        let show = show();
        assert_eq!(
            show.apply(ShowCommand::GoTo { step: 3 }, 0),
            Err(ShowError::StepOutOfRange { step: 3, steps: 3 })
        );
        let unknown = ShowCommand::SetStepMode {
            step_id: "zz".into(),
            mode: Some(Mode::Playback),
        };
        assert_eq!(
            show.apply(unknown, 0),
            Err(ShowError::UnknownStep("zz".into()))
        );
        let playing = ShowCommand::Playing {
            step_id: Some("zz".into()),
        };
        assert_eq!(
            show.apply(playing, 0),
            Err(ShowError::UnknownStep("zz".into()))
        );
        assert_eq!(show.state().revision, 1);
        assert_eq!(
            ShowError::StepOutOfRange { step: 3, steps: 3 }.to_string(),
            "step 3 is out of range: the runbook has 3 steps"
        );
    }

    #[test]
    fn step_mode_overrides_the_show_mode() -> Result<(), ShowError> {
        let show = show();
        let playback = Some(Mode::Playback);
        let s = show.apply(
            ShowCommand::SetStepMode {
                step_id: "b".into(),
                mode: playback,
            },
            0,
        )?;
        assert_eq!(
            (s.mode_of("a"), s.mode_of("b")),
            (Mode::Live, Mode::Playback)
        );
        let s = show.apply(
            ShowCommand::SetMode {
                mode: Mode::Playback,
            },
            0,
        )?;
        assert_eq!(s.mode_of("a"), Mode::Playback);
        let live = Some(Mode::Live);
        let s = show.apply(
            ShowCommand::SetStepMode {
                step_id: "c".into(),
                mode: live,
            },
            0,
        )?;
        assert_eq!(s.mode_of("c"), Mode::Live);
        let s = show.apply(
            ShowCommand::SetStepMode {
                step_id: "c".into(),
                mode: None,
            },
            0,
        )?;
        assert_eq!(s.mode_of("c"), Mode::Playback);
        // Switching the whole show drops every step's own choice.
        assert!(s.step_modes.is_empty(), "{:?}", s.step_modes);
        Ok(())
    }

    #[test]
    fn the_audience_grid_columns_and_terminals_are_kept_for_every_window() -> Result<(), ShowError>
    {
        let show = show();
        let s = show.apply(ShowCommand::AudienceColumns { columns: 10 }, 0)?;
        assert_eq!(s.audience.columns, *AUDIENCE_COLUMNS.start());
        let s = show.apply(ShowCommand::AudienceColumns { columns: 120 }, 0)?;
        assert_eq!(s.audience.columns, 120);
        let grid = Some(TerminalGrid {
            cols: 120,
            rows: 33,
        });
        // A grid out of reason comes back to the columns chosen and sane rows.
        let wild = Some(TerminalGrid {
            cols: 7,
            rows: 65_000,
        });
        let s = show.apply(ShowCommand::AudienceGrid { grid: wild }, 0)?;
        let sane = TerminalGrid {
            cols: AUDIENCE_MIN_TILE_COLUMNS,
            rows: 200,
        };
        assert_eq!(s.audience.grid, Some(sane));
        show.apply(ShowCommand::AudienceGrid { grid }, 0)?;
        let names = vec!["main".to_string(), "server".to_string()];
        let s = show.apply(
            ShowCommand::Terminals {
                names: names.clone(),
            },
            0,
        )?;
        assert_eq!((s.audience.grid, &s.terminals), (grid, &names));
        // Another runbook has terminals of its own; the audience window stays as it is.
        let s = show.open("other.md", ids(&["x"]), 0);
        assert!(s.terminals.is_empty());
        assert_eq!((s.audience.columns, s.audience.grid), (120, grid));
        Ok(())
    }

    #[test]
    fn the_audience_is_sent_no_path_ids_or_per_step_parts() -> Result<(), ShowError> {
        let show = show_in_progress()?;
        show.apply(
            ShowCommand::Playing {
                step_id: Some("b".into()),
            },
            2_000,
        )?;
        show.apply(ShowCommand::Next, 3_000)?; // b spent 2 s
        let full = show.state();
        let seen = full.for_audience();
        let json = serde_json::to_string(&seen).map_err(|_| ShowError::NoRunbook)?;
        for key in ["talk.md", "\"a\"", "\"b\"", "\"c\""] {
            assert!(!json.contains(key), "{key} in {json}");
        }
        // What it shows is all there: the step by position, blank, the talk clock.
        assert_eq!((seen.current, seen.blanked), (full.current, full.blanked));
        assert_eq!(seen.timer.elapsed_ms(9_000), full.timer.elapsed_ms(9_000));
        assert_eq!(
            (seen.revision, &seen.audience),
            (full.revision, &full.audience)
        );
        Ok(())
    }

    /// A show on step b, timer running since 1 s, b in playback, blanked, audience open.
    fn show_in_progress() -> Result<Show, ShowError> {
        let show = show();
        show.apply(ShowCommand::Next, 1_000)?;
        let b_playback = ShowCommand::SetStepMode {
            step_id: "b".into(),
            mode: Some(Mode::Playback),
        };
        show.apply(b_playback, 1_000)?;
        show.apply(ShowCommand::SetBlank { blanked: true }, 1_000)?;
        let audience = ShowCommand::Audience {
            open: true,
            monitor: Some("HDMI-1".into()),
            fullscreen: true,
        };
        show.apply(audience, 1_000)?;
        Ok(show)
    }

    #[test]
    fn reload_keeps_the_step_by_id_and_the_timer() -> Result<(), ShowError> {
        let show = show_in_progress()?;
        let before = show.state();
        let s = show.open("talk.md", ids(&["new", "a", "b", "c"]), 5_000);
        assert_eq!(
            (s.current, s.current_step_id.as_deref()),
            (Some(2), Some("b"))
        );
        assert_eq!(s.timer, before.timer);
        assert_eq!(s.mode_of("b"), Mode::Playback);
        assert!(s.blanked && s.audience.open);
        assert_eq!(s.revision, before.revision + 1);
        // The same steps again: the step and the clock stay; only the content
        // revision moves, so the windows fetch what may have been edited.
        let again = show.open("talk.md", ids(&["new", "a", "b", "c"]), 6_000);
        assert_eq!(again.content_revision, s.content_revision + 1);
        assert_eq!((again.current, &again.timer), (s.current, &s.timer));
        Ok(())
    }

    #[test]
    fn reload_without_the_current_step_takes_the_nearest() -> Result<(), ShowError> {
        let show = show_in_progress()?;
        show.apply(ShowCommand::Next, 2_000)?; // on c, b spent 1 s
        let s = show.open("talk.md", ids(&["a", "b"]), 5_000);
        assert_eq!(
            (s.current, s.current_step_id.as_deref()),
            (Some(1), Some("b"))
        );
        // c keeps what it ran; b carries on from its 1 s.
        assert_eq!(s.timer.step_spent_ms["c"], 3_000);
        assert_eq!(step_ms(&s, "b", 6_000), 2_000);
        assert_eq!(s.timer.elapsed_ms(6_000), 5_000);
        let s = show.open("talk.md", Vec::new(), 7_000);
        assert_eq!((s.current, s.current_step_id), (None, None));
        assert!(s.step_modes.is_empty());
        Ok(())
    }

    #[test]
    fn another_path_is_a_fresh_show_keeping_the_audience() -> Result<(), ShowError> {
        let show = show_in_progress()?;
        let playing = ShowCommand::Playing {
            step_id: Some("b".into()),
        };
        let before = show.apply(playing, 1_000)?;
        let s = show.open("other.md", ids(&["x", "y"]), 5_000);
        assert_eq!(s.runbook.as_deref(), Some("other.md"));
        assert_eq!(
            (s.current, s.current_step_id.as_deref()),
            (Some(0), Some("x"))
        );
        assert_eq!(s.timer, Timer::default());
        assert!(s.step_modes.is_empty() && s.playing.is_none() && !s.blanked);
        assert_eq!(s.audience, before.audience);
        assert_eq!((s.revision, s.published_at), (before.revision + 1, 5_000));
        let empty = show.open("empty.md", Vec::new(), 6_000);
        assert_eq!(empty.current, None);
        Ok(())
    }

    #[test]
    fn reconnecting_replaces_the_subscriber() -> Result<(), ShowError> {
        let show = show();
        show.apply(ShowCommand::Next, 1_000)?;
        let first = record(&show, "audience");
        let second = record(&show, "audience");
        // The second one got the whole state at once.
        let got = second.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(got, vec![show.state()]);
        show.apply(ShowCommand::Next, 2_000)?;
        assert_eq!(revisions(&first), vec![2]);
        assert_eq!(revisions(&second), vec![2, 3]);
        show.unsubscribe("audience");
        show.apply(ShowCommand::ToggleBlank, 3_000)?;
        assert_eq!(revisions(&second), vec![2, 3]);
        Ok(())
    }

    #[test]
    fn subscribe_returns_the_first_state() {
        let show = show();
        let state = show.subscribe("presenter", |_| {});
        assert_eq!(state, show.state());
    }

    #[test]
    fn revisions_arrive_strictly_increasing_from_many_threads() {
        let show = Arc::new(show());
        let seen = record(&show, "presenter");
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let show = show.clone();
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let _ = show.apply(ShowCommand::ToggleBlank, i);
                    }
                })
            })
            .collect();
        for t in threads {
            assert!(t.join().is_ok());
        }
        let revs = revisions(&seen);
        assert!(revs.windows(2).all(|w| w[0] < w[1]), "{revs:?}");
        assert_eq!(revs.len(), 201, "every state delivered");
        assert_eq!(revs.last().copied(), Some(show.state().revision));
    }

    #[test]
    fn a_subscriber_may_send_commands() -> Result<(), ShowError> {
        let show = Arc::new(show());
        let weak = Arc::downgrade(&show);
        // Unblanks whenever it sees a blank screen: a command sent from inside publish.
        show.subscribe("presenter", move |s| {
            if let (true, Some(show)) = (s.blanked, weak.upgrade()) {
                let _ = show.apply(ShowCommand::SetBlank { blanked: false }, 0);
            }
        });
        let seen = record(&show, "audience");
        show.apply(ShowCommand::ToggleBlank, 1_000)?;
        assert!(!show.state().blanked);
        let blanks: Vec<bool> = seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|s| s.blanked)
            .collect();
        assert_eq!(blanks, vec![false, true, false]);
        Ok(())
    }

    #[test]
    fn a_panicking_subscriber_does_not_poison_the_show() -> Result<(), ShowError> {
        let show = show();
        let seen = record(&show, "audience");
        show.subscribe("broken", |s| {
            if s.blanked {
                panic!("subscriber bug");
            }
        });
        show.apply(ShowCommand::ToggleBlank, 1_000)?;
        show.apply(ShowCommand::ToggleBlank, 2_000)?;
        assert_eq!(revisions(&seen), vec![1, 2, 3]);
        assert_eq!(show.state().revision, 3);
        Ok(())
    }

    #[test]
    fn show_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Show>();
    }

    #[test]
    fn serde_round_trip_and_shape() -> Result<(), Box<dyn std::error::Error>> {
        let show = show_in_progress()?;
        let state = show.state();
        let json = serde_json::to_value(&state)?;
        assert_eq!(json["currentStepId"], "b");
        assert_eq!(json["stepModes"]["b"], "playback");
        assert_eq!(json["mode"], "live");
        assert_eq!(json["timer"]["startedAt"], 1_000);
        assert_eq!(json["audience"]["showClock"], false);
        assert_eq!(json["publishedAt"], 1_000);
        let back: ShowState = serde_json::from_value(json)?;
        assert_eq!(back, state);
        Ok(())
    }

    #[test]
    fn commands_deserialize_from_the_ui_shape() -> Result<(), serde_json::Error> {
        let go_to: ShowCommand = serde_json::from_str(r#"{"kind":"goTo","step":2}"#)?;
        assert_eq!(go_to, ShowCommand::GoTo { step: 2 });
        let clear: ShowCommand =
            serde_json::from_str(r#"{"kind":"setStepMode","stepId":"a","mode":null}"#)?;
        let expected = ShowCommand::SetStepMode {
            step_id: "a".into(),
            mode: None,
        };
        assert_eq!(clear, expected);
        let next: ShowCommand = serde_json::from_str(r#"{"kind":"next"}"#)?;
        assert_eq!(next, ShowCommand::Next);
        let audience = ShowCommand::Audience {
            open: true,
            monitor: None,
            fullscreen: false,
        };
        let json = serde_json::to_value(&audience)?;
        assert_eq!(json["kind"], "audience");
        let playing: ShowCommand = serde_json::from_str(r#"{"kind":"playing","stepId":"b"}"#)?;
        assert_eq!(
            playing,
            ShowCommand::Playing {
                step_id: Some("b".into())
            }
        );
        Ok(())
    }
}
