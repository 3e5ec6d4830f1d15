//! The talk timer, kept as absolute timestamps so every window (and a reloaded one)
//! computes the same times from the same state, with no ticking on our side.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch: what JavaScript's `Date.now()` gives the windows.
pub type EpochMs = u64;

/// The wall clock in epoch milliseconds (0 on a clock set before 1970).
pub fn now_ms() -> EpochMs {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Talk time and time spent in each step. Not started, running, or paused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timer {
    pub started_at: Option<EpochMs>,
    pub paused_at: Option<EpochMs>,
    /// Total of finished pauses.
    pub paused_ms: u64,
    /// Time already spent in each step (finished segments), by step id.
    pub step_spent_ms: BTreeMap<String, u64>,
    /// When the current step's running segment began (None when paused or stopped).
    pub step_since: Option<EpochMs>,
}

impl Timer {
    pub fn started(&self) -> bool {
        self.started_at.is_some()
    }

    /// Started and not paused.
    pub fn running(&self) -> bool {
        self.started() && self.paused_at.is_none()
    }

    /// Talk time at `now`, pauses excluded. Saturating: a window whose clock lags the
    /// one that stamped the state sees 0, never an underflow.
    pub fn elapsed_ms(&self, now: EpochMs) -> u64 {
        let Some(started_at) = self.started_at else {
            return 0;
        };
        let end = self.paused_at.unwrap_or(now);
        end.saturating_sub(started_at)
            .saturating_sub(self.paused_ms)
    }

    /// Time spent in `step_id`: its finished segments, plus the running segment when
    /// it is the `current` step.
    pub fn step_elapsed_ms(&self, step_id: &str, current: Option<&str>, now: EpochMs) -> u64 {
        let spent = self.step_spent_ms.get(step_id).copied().unwrap_or(0);
        let running = match self.step_since {
            Some(since) if current == Some(step_id) => now.saturating_sub(since),
            _ => 0,
        };
        spent.saturating_add(running)
    }

    /// Starts from zero at `now`, the running segment belonging to the current step.
    pub(super) fn start(&mut self, now: EpochMs) {
        *self = Self {
            started_at: Some(now),
            step_since: Some(now),
            ..Self::default()
        };
    }

    /// Stops the clock at `now`; the current step keeps what it spent so far.
    pub(super) fn pause(&mut self, current: Option<&str>, now: EpochMs) {
        self.fold(current, now);
        self.paused_at = Some(now);
    }

    /// Carries on at `now`: the pause no longer counts, and a new segment begins.
    pub(super) fn resume(&mut self, now: EpochMs) {
        if let Some(paused_at) = self.paused_at.take() {
            self.paused_ms = self.paused_ms.saturating_add(now.saturating_sub(paused_at));
        }
        self.step_since = Some(now);
    }

    /// The presenter leaves `old` at `now`: while running, `old` keeps its segment and
    /// the next step's segment begins.
    pub(super) fn leave_step(&mut self, old: Option<&str>, now: EpochMs) {
        if self.running() {
            self.fold(old, now);
            self.step_since = Some(now);
        }
    }

    /// Ends the running segment, adding it to `current`'s spent time.
    fn fold(&mut self, current: Option<&str>, now: EpochMs) {
        let (Some(since), Some(step)) = (self.step_since.take(), current) else {
            return;
        };
        let spent = self.step_spent_ms.entry(step.to_string()).or_default();
        *spent = spent.saturating_add(now.saturating_sub(since));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started_at(at: EpochMs) -> Timer {
        let mut t = Timer::default();
        t.start(at);
        t
    }

    #[test]
    fn not_started_is_zero() {
        let t = Timer::default();
        assert!(!t.started() && !t.running());
        assert_eq!(t.elapsed_ms(5_000), 0);
        assert_eq!(t.step_elapsed_ms("a", Some("a"), 5_000), 0);
    }

    #[test]
    fn elapsed_without_pauses() {
        let t = started_at(1_000);
        assert!(t.running());
        assert_eq!(t.elapsed_ms(1_000), 0);
        assert_eq!(t.elapsed_ms(4_500), 3_500);
    }

    #[test]
    fn elapsed_excludes_pauses() {
        let mut t = started_at(1_000);
        t.pause(Some("a"), 3_000);
        assert!(t.started() && !t.running());
        // Frozen while paused.
        assert_eq!(t.elapsed_ms(3_000), 2_000);
        assert_eq!(t.elapsed_ms(60_000), 2_000);
        t.resume(10_000);
        assert_eq!(t.paused_ms, 7_000);
        assert_eq!(t.elapsed_ms(11_000), 3_000);
        t.pause(Some("a"), 12_000);
        t.resume(13_000);
        assert_eq!(t.paused_ms, 8_000);
        assert_eq!(t.elapsed_ms(14_000), 5_000);
    }

    #[test]
    fn elapsed_saturates_when_now_is_earlier() {
        let t = started_at(10_000);
        assert_eq!(t.elapsed_ms(9_000), 0);
        assert_eq!(t.step_elapsed_ms("a", Some("a"), 9_000), 0);
        let mut paused = started_at(10_000);
        paused.paused_ms = 50_000;
        assert_eq!(paused.elapsed_ms(20_000), 0);
    }

    #[test]
    fn pause_folds_the_running_segment() {
        let mut t = started_at(0);
        t.pause(Some("a"), 2_000);
        assert_eq!(t.step_since, None);
        assert_eq!(t.step_spent_ms["a"], 2_000);
        // Paused: no running segment, so the time stays put.
        assert_eq!(t.step_elapsed_ms("a", Some("a"), 9_000), 2_000);
        t.resume(9_000);
        assert_eq!(t.step_since, Some(9_000));
        assert_eq!(t.step_elapsed_ms("a", Some("a"), 10_000), 3_000);
    }

    #[test]
    fn a_step_carries_on_from_what_it_spent() {
        let mut t = started_at(0);
        t.leave_step(Some("a"), 1_000); // a: 1 s, now in b
        t.leave_step(Some("b"), 3_000); // b: 2 s, back in a
        assert_eq!(t.step_elapsed_ms("a", Some("a"), 3_500), 1_500);
        assert_eq!(t.step_elapsed_ms("b", Some("a"), 3_500), 2_000);
        // Not the current step: no running segment counted.
        assert_eq!(t.step_elapsed_ms("a", Some("b"), 3_500), 1_000);
    }

    #[test]
    fn leaving_a_step_while_paused_moves_no_time() {
        let mut t = started_at(0);
        t.pause(Some("a"), 1_000);
        t.leave_step(Some("a"), 5_000);
        assert_eq!(t.step_since, None);
        assert_eq!(t.step_spent_ms["a"], 1_000);
    }

    #[test]
    fn now_is_after_2020() {
        assert!(now_ms() > 1_577_836_800_000);
    }
}
