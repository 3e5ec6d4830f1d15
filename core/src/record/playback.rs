//! Playing a rehearsed step back: its segment of every cast (its own terminal and
//! the background terminals' logs alongside) and of the probe samples, merged into
//! one timeline, then replayed at the recorded pace.
//!
//! Pacing: the timeline starts with its first cue (no wait for the step's leading
//! silence), every gap is capped at the idle limit and divided by the speed, and each
//! cue is sent at an absolute deadline from the start, so sleep errors never add up.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::cast::{self, CastError, EventCode};
use super::manifest::{Manifest, StepRecord};
use super::samples;
use crate::probe::ProbeEvent;

/// The slowest and fastest speeds offered.
pub const MIN_SPEED: f64 = 0.5;
pub const MAX_SPEED: f64 = 4.0;
/// The default cap on a silence in playback.
pub const DEFAULT_IDLE_CAP: Duration = Duration::from_secs(1);
/// How late a cue may come before a cancel is noticed, at worst.
const CANCEL_POLL: Duration = Duration::from_millis(20);

/// How to pace a playback.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pace {
    /// 1.0 plays as recorded; 2.0 twice as fast.
    pub speed: f64,
    /// Longer silences are shortened to this (before the speed applies); `None`
    /// keeps every silence.
    pub idle_cap: Option<Duration>,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            speed: 1.0,
            idle_cap: Some(DEFAULT_IDLE_CAP),
        }
    }
}

impl Pace {
    /// A pace with `speed` checked against the offered range.
    pub fn new(speed: f64, idle_cap: Option<Duration>) -> Result<Self, String> {
        if !(MIN_SPEED..=MAX_SPEED).contains(&speed) {
            return Err(format!(
                "speed {speed} is out of range: use ×{MIN_SPEED} to ×{MAX_SPEED}"
            ));
        }
        Ok(Self { speed, idle_cap })
    }
}

/// Something to show during playback.
#[derive(Debug, Clone, PartialEq)]
pub enum Cue {
    /// Output of terminal `terminal`.
    Output { terminal: String, data: String },
    /// A recorded probe event: a health light or a chart point.
    Probe(ProbeEvent),
}

/// A cue and when to show it, from the start of playback.
#[derive(Debug, Clone, PartialEq)]
pub struct Timed<T> {
    pub at: Duration,
    pub item: T,
}

/// Paces `items` (recorded times in seconds, any order): the first plays at once,
/// gaps are capped and divided by the speed.
pub fn schedule<T>(mut items: Vec<(f64, T)>, pace: Pace) -> Vec<Timed<T>> {
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    let cap = pace.idle_cap.map_or(f64::INFINITY, |c| c.as_secs_f64());
    // `Pace::new` checks the range; a pace built by hand is kept to it (NaN plays ×1).
    let speed = if pace.speed.is_nan() {
        1.0
    } else {
        pace.speed.clamp(MIN_SPEED, MAX_SPEED)
    };
    let mut previous = items.first().map_or(0.0, |i| i.0);
    let mut clock = 0.0_f64;
    items
        .into_iter()
        .map(|(time, item)| {
            clock += (time - previous).clamp(0.0, cap) / speed;
            previous = time;
            Timed {
                at: Duration::from_secs_f64(clock),
                item,
            }
        })
        .collect()
}

/// How a playback ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Played {
    Finished,
    Cancelled,
}

/// Sends each cue to `deliver` at its time, from now. Blocks until the last one or
/// until `cancel` is set.
pub fn play<T>(timeline: &[Timed<T>], cancel: &AtomicBool, mut deliver: impl FnMut(&T)) -> Played {
    let start = Instant::now();
    for cue in timeline {
        let deadline = start + cue.at;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Played::Cancelled;
            }
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::sleep((deadline - now).min(CANCEL_POLL));
        }
        deliver(&cue.item);
    }
    Played::Finished
}

/// Why a step cannot be played.
#[derive(Debug, thiserror::Error)]
pub enum PlaybackError {
    #[error("{0}")]
    Cast(#[from] CastError),
    #[error("cannot read the samples {path}: {source}")]
    Samples {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The cues of `step` in the rehearsal at `dir`: the output of every terminal and
/// every probe sample between the step's start and end, in recorded time.
pub fn step_cues(
    dir: &Path,
    manifest: &Manifest,
    step: &StepRecord,
) -> Result<Vec<(f64, Cue)>, PlaybackError> {
    let mut cues = Vec::new();
    // The end marker is written at `end`: take everything up to and including it.
    let end = step.end + 1e-6;
    for terminal in &manifest.terminals {
        let cast = cast::read(&dir.join(&terminal.file))?;
        for event in cast.between(step.start, end) {
            if event.code == EventCode::Output {
                cues.push((
                    event.time,
                    Cue::Output {
                        terminal: terminal.name.clone(),
                        data: event.data.clone(),
                    },
                ));
            }
        }
    }
    if let Some(file) = &manifest.samples {
        let path = dir.join(file);
        let (samples, _) = samples::read(&path).map_err(|source| PlaybackError::Samples {
            path: path.clone(),
            source,
        })?;
        cues.extend(
            samples
                .into_iter()
                .filter(|s| s.t >= step.start && s.t <= end)
                .map(|s| (s.t, Cue::Probe(s.event))),
        );
    }
    Ok(cues)
}

/// The probe state at the step's start: the last recorded status of each service
/// and poll of each metrics source before it, so the lights and charts are right
/// from the first frame of playback.
pub fn probe_state_before(dir: &Path, manifest: &Manifest, at: f64) -> Vec<ProbeEvent> {
    let Some(file) = &manifest.samples else {
        return Vec::new();
    };
    let Ok((samples, _)) = samples::read(&dir.join(file)) else {
        return Vec::new();
    };
    // Keyed by kind and name: each service's last status, each metrics source's last
    // poll (its points, or its error, replacing a live error under the charts).
    let mut last: std::collections::BTreeMap<(u8, String), ProbeEvent> = Default::default();
    for s in samples.into_iter().take_while(|s| s.t < at) {
        let key = match &s.event {
            ProbeEvent::Service(status) => (0, status.service.clone()),
            ProbeEvent::Metrics { source, .. } => (1, source.clone()),
            ProbeEvent::System(_) => continue,
        };
        last.insert(key, s.event);
    }
    last.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_capped_then_sped_up() {
        let pace = Pace {
            speed: 2.0,
            idle_cap: Some(Duration::from_secs(1)),
        };
        let t = schedule(
            vec![(10.0, 'a'), (10.5, 'b'), (20.0, 'c'), (20.2, 'd')],
            pace,
        );
        let at: Vec<u128> = t.iter().map(|c| c.at.as_millis()).collect();
        assert_eq!(at, vec![0, 250, 750, 850]);
        let items: String = t.iter().map(|c| c.item).collect();
        assert_eq!(items, "abcd");
    }

    #[test]
    fn plays_in_order_and_stops_when_cancelled() {
        let t = schedule(vec![(0.0, 1), (0.01, 2), (0.02, 3)], Pace::default());
        let mut got = Vec::new();
        assert_eq!(
            play(&t, &AtomicBool::new(false), |i| got.push(*i)),
            Played::Finished
        );
        assert_eq!(got, vec![1, 2, 3]);
        let cancel = AtomicBool::new(true);
        assert_eq!(
            play(&t, &cancel, |_| panic!("nothing plays")),
            Played::Cancelled
        );
    }

    #[test]
    fn the_state_before_a_step_is_each_service_and_source_last_sample() {
        use crate::probe::{Health, ServiceStatus};
        use crate::record::samples::Sample;
        let dir = tempfile::tempdir().unwrap();
        let status = |health, at| {
            ProbeEvent::Service(ServiceStatus {
                service: "api".into(),
                url: String::new(),
                health,
                at,
                latency_ms: None,
                http_status: None,
                error: None,
            })
        };
        let poll = |error: Option<&str>| ProbeEvent::Metrics {
            source: "m".into(),
            at: 1,
            points: Vec::new(),
            error: error.map(str::to_string),
        };
        let lines: Vec<String> = [
            (0.1, status(Health::Down, 1)),
            (0.2, poll(Some("refused"))),
            (0.5, status(Health::Up, 2)),
            (0.6, poll(None)),
            (2.0, status(Health::Down, 3)),
        ]
        .into_iter()
        .map(|(t, event)| serde_json::to_string(&Sample { t, event }).unwrap())
        .collect();
        std::fs::write(dir.path().join("samples.jsonl"), lines.join("\n") + "\n").unwrap();
        let manifest = Manifest {
            format: 1,
            cuedeck: String::new(),
            runbook: String::new(),
            runbook_sha256: String::new(),
            started: String::new(),
            finished: None,
            terminals: Vec::new(),
            samples: Some("samples.jsonl".into()),
            steps: Vec::new(),
        };
        let before = probe_state_before(dir.path(), &manifest, 1.0);
        assert_eq!(before, vec![status(Health::Up, 2), poll(None)]);
    }

    #[test]
    fn speed_outside_the_range_is_refused() {
        assert!(Pace::new(8.0, None).is_err());
        assert!(Pace::new(0.5, None).is_ok());
    }
}
