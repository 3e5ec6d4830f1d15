//! Playback timing benchmark (prints a table; `cargo bench -p cuedeck-core --bench playback`).
//!
//! A synthetic recording (events at irregular times, ~10 ms apart on average, with
//! pauses up to 0.5 s; a fixed seed) is played by `record::playback::play` into a sink
//! that notes when each event arrives. Lateness = arrival - the time the pace asked for.
//! Goal (issue 6): drift under 10 ms over a 60 s recording. Baseline in the same run:
//! the naive player that sleeps each gap in turn, whose errors add up.
//!
//! `CUEDECK_BENCH_PLAYBACK_SECS` sets the recording's length (60).

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cuedeck_core::record::playback::{play, schedule, Pace, Timed};

fn seconds() -> f64 {
    std::env::var("CUEDECK_BENCH_PLAYBACK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60.0)
}

/// xorshift64: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Event times (seconds) over `length` seconds.
fn recording(length: f64) -> Vec<(f64, usize)> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut t = 0.0;
    let mut events = Vec::new();
    while t < length {
        events.push((t, events.len()));
        let r = rng.next();
        t += if r < 0.01 {
            0.5 * rng.next()
        } else {
            0.02 * rng.next()
        };
    }
    events
}

struct Lateness {
    sorted: Vec<Duration>,
    end: Duration,
}

impl Lateness {
    fn pct(&self, p: f64) -> Duration {
        let i = ((self.sorted.len() as f64 - 1.0) * p).round() as usize;
        self.sorted[i]
    }
}

fn measure(timeline: &[Timed<usize>], arrivals: &[Instant], start: Instant) -> Lateness {
    let mut late: Vec<Duration> = timeline
        .iter()
        .zip(arrivals)
        .map(|(cue, got)| got.saturating_duration_since(start + cue.at))
        .collect();
    let end = *late.last().unwrap_or(&Duration::ZERO);
    late.sort();
    Lateness { sorted: late, end }
}

fn ours(timeline: &[Timed<usize>]) -> Lateness {
    let mut arrivals = Vec::with_capacity(timeline.len());
    let start = Instant::now();
    play(timeline, &AtomicBool::new(false), |_| {
        arrivals.push(Instant::now())
    });
    measure(timeline, &arrivals, start)
}

/// Sleeps each gap after the previous event, as a simple player does.
fn naive(timeline: &[Timed<usize>]) -> Lateness {
    let mut arrivals = Vec::with_capacity(timeline.len());
    let start = Instant::now();
    let mut previous = Duration::ZERO;
    for cue in timeline {
        std::thread::sleep(cue.at - previous);
        previous = cue.at;
        arrivals.push(Instant::now());
    }
    measure(timeline, &arrivals, start)
}

fn row(name: &str, events: usize, length: Duration, l: &Lateness) {
    println!(
        "| {name} | {events} | {length:.1?} | {:.2?} | {:.2?} | {:.2?} | {:.2?} |",
        l.pct(0.5),
        l.pct(0.99),
        l.sorted.last().copied().unwrap_or_default(),
        l.end
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let length = seconds();
    let events = recording(length);
    let n = events.len();
    let at_1 = schedule(
        events.clone(),
        Pace {
            speed: 1.0,
            idle_cap: None,
        },
    );
    let at_4 = schedule(
        events,
        Pace {
            speed: 4.0,
            idle_cap: None,
        },
    );
    let span = |t: &[Timed<usize>]| t.last().map_or(Duration::ZERO, |c| c.at);

    println!("| player | events | length | late p50 | late p99 | late max | drift at the end |");
    println!("|---|---|---|---|---|---|---|");
    let ours_1 = ours(&at_1);
    row("ours ×1", n, span(&at_1), &ours_1);
    let ours_4 = ours(&at_4);
    row("ours ×4", n, span(&at_4), &ours_4);
    let naive_1 = naive(&at_1);
    row(
        "naive sleep per gap ×1 (baseline)",
        n,
        span(&at_1),
        &naive_1,
    );
    let worst = ours_1.sorted.last().copied().unwrap_or_default();
    println!(
        "\nours ×1: drift {:.2?}, worst lateness {worst:.2?} over {:.0} s: {} (goal < 10 ms); \
         the naive player drifts {:.0}× as much ({:.2?})",
        ours_1.end,
        length,
        if worst < Duration::from_millis(10) {
            "PASS"
        } else {
            "FAIL"
        },
        naive_1.end.as_secs_f64() / ours_1.end.as_secs_f64().max(1e-6),
        naive_1.end
    );
}
