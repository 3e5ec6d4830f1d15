//! Playback benchmark (prints tables; `cargo bench -p cuedeck-core --bench playback`).
//!
//! 1. Timing. A synthetic recording (~6000 output events at irregular times, ~10 ms
//!    apart on average, with pauses up to 0.5 s; a fixed seed) is scheduled with
//!    `Pace { speed, idle_cap: None }` and played by `record::playback::play` into a
//!    sink that notes when each event arrives. Lateness = arrival - the time the pace
//!    asked for (p50 / p99 / max over every event); drift at the end = the last
//!    arrival - the recording's length (divided by the speed). At ×1 and ×4. Baseline
//!    in the same run: the naive player that sleeps each gap in turn
//!    (`thread::sleep(gap)`), whose errors add up.
//!    Goal: playback drift under 10 ms over a 60 s recording.
//! 2. Round trip. A real terminal runs a command printing mixed UTF-8 and escape
//!    sequences, recorded by `CastSink` into a cast file with a collecting sink
//!    attached alongside; the cast is read back with `cast::read` and replayed by
//!    `play` at ×4. Both must give exactly the bytes the collecting sink got.
//!
//! `CUEDECK_BENCH_PLAYBACK_SECS` sets the synthetic recording's length (default 60).

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cuedeck_core::record::cast::{self, EventCode, Header};
use cuedeck_core::record::playback::{play, schedule, Pace, Played, Timed};
use cuedeck_core::record::writer::{CastFile, CastSink};
use cuedeck_core::terminal::{Acknowledge, Session, SessionOptions, StepStatus};

const GOAL: Duration = Duration::from_millis(10);
const WAIT: Duration = Duration::from_secs(120);

fn seconds() -> f64 {
    std::env::var("CUEDECK_BENCH_PLAYBACK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|s: &f64| *s > 0.0)
        .unwrap_or(60.0)
}

/// xorshift64: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    /// Uniform in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Recorded event times (seconds) over `length` seconds, starting at 0: gaps uniform
/// in 0..15 ms, and one in a hundred a pause of up to 0.5 s (mean gap ~10 ms).
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
            0.015 * rng.next()
        };
    }
    events
}

struct Lateness {
    sorted: Vec<Duration>,
    /// The last event's lateness: where playback stands when the recording ends.
    end: Duration,
}

impl Lateness {
    fn pct(&self, p: f64) -> Duration {
        let i = ((self.sorted.len() as f64 - 1.0) * p).round() as usize;
        self.sorted[i]
    }

    fn max(&self) -> Duration {
        self.sorted.last().copied().unwrap_or_default()
    }
}

fn measure(timeline: &[Timed<usize>], arrivals: &[Instant], start: Instant) -> Lateness {
    assert_eq!(timeline.len(), arrivals.len(), "every event arrived");
    let mut late: Vec<Duration> = timeline
        .iter()
        .zip(arrivals)
        .map(|(cue, got)| got.saturating_duration_since(start + cue.at))
        .collect();
    let end = *late.last().unwrap_or(&Duration::ZERO);
    late.sort();
    Lateness { sorted: late, end }
}

/// `record::playback::play`: every event at an absolute deadline from the start.
fn ours(timeline: &[Timed<usize>]) -> Lateness {
    let mut arrivals = Vec::with_capacity(timeline.len());
    let start = Instant::now();
    let played = play(timeline, &AtomicBool::new(false), |_| {
        arrivals.push(Instant::now())
    });
    assert_eq!(played, Played::Finished);
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
        l.max(),
        l.end
    );
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn timing() {
    let length = seconds();
    let events = recording(length);
    let n = events.len();
    let paced = |speed: f64| {
        schedule(
            events.clone(),
            Pace {
                speed,
                idle_cap: None,
            },
        )
    };
    let (at_1, at_4) = (paced(1.0), paced(4.0));
    let span = |t: &[Timed<usize>]| t.last().map_or(Duration::ZERO, |c| c.at);
    let gaps = events
        .windows(2)
        .filter(|w| w[1].0 - w[0].0 > 0.015)
        .count();

    println!(
        "playback timing: {n} output events over {:.1} s ({gaps} pauses over 15 ms, longest {:.0} ms)\n",
        events.last().map_or(0.0, |e| e.0),
        events
            .windows(2)
            .map(|w| w[1].0 - w[0].0)
            .fold(0.0, f64::max)
            * 1000.0
    );
    println!("| player | events | length | late p50 | late p99 | late max | drift at the end |");
    println!("|---|---|---|---|---|---|---|");
    let ours_1 = ours(&at_1);
    row("play ×1", n, span(&at_1), &ours_1);
    let naive_1 = naive(&at_1);
    row(
        "naive sleep per gap ×1 (baseline)",
        n,
        span(&at_1),
        &naive_1,
    );
    let ours_4 = ours(&at_4);
    row("play ×4", n, span(&at_4), &ours_4);
    let naive_4 = naive(&at_4);
    row(
        "naive sleep per gap ×4 (baseline)",
        n,
        span(&at_4),
        &naive_4,
    );

    let ratio = |naive: &Lateness, ours: &Lateness| {
        naive.end.as_secs_f64() / ours.end.as_secs_f64().max(1e-6)
    };
    println!(
        "\nnaive / play drift at the end: ×1 {:.0}× ({:.2?} vs {:.2?}), ×4 {:.0}× ({:.2?} vs {:.2?})",
        ratio(&naive_1, &ours_1),
        naive_1.end,
        ours_1.end,
        ratio(&naive_4, &ours_4),
        naive_4.end,
        ours_4.end,
    );
    // The goal is about drift: error that accumulates over the recording. With
    // absolute deadlines, one late event (the thread scheduled out) does not carry
    // over to the next, so the worst single event is reported beside it, not mixed in.
    println!(
        "goal: playback drift < 10 ms over a {length:.0} s recording: drift at the end {:.2?} at ×1, {:.2?} at ×4 -> {}",
        ours_1.end,
        ours_4.end,
        verdict(ours_1.end < GOAL && ours_4.end < GOAL)
    );
    println!(
        "every event within 10 ms of its time (stricter): ×1 max {:.2?} -> {}, ×4 max {:.2?} -> {}",
        ours_1.max(),
        verdict(ours_1.max() < GOAL),
        ours_4.max(),
        verdict(ours_4.max() < GOAL)
    );
}

/// Mixed UTF-8 (2, 3 and 4 bytes), SGR colours and attributes, OSC titles, cursor
/// moves and clears; ~1.3 MB. `tee` and `cat` print it in big writes, so PTY reads,
/// and batches, end at arbitrary bytes, inside characters too. The typed command is
/// ASCII (octal escapes), so readline echoes it as is.
const COMMAND: &str = concat!(
    "for i in $(seq 1 3000); do printf '",
    "\\033[3%dm%05d\\033[0m h\\303\\251llo \\342\\206\\222 w\\303\\266rld ",
    "\\360\\237\\216\\211 \\346\\227\\245\\346\\234\\254\\350\\252\\236 ",
    "\\033[1mbold\\033[22m \\033[38;5;208m\\342\\226\\210\\342\\226\\221\\033[39m",
    "\\033]0;t%d\\007 tab\\there\\r\\n' $((i % 8)) $i $i; done | tee \"$HOME/mixed\"; ",
    "cat \"$HOME/mixed\" \"$HOME/mixed\" \"$HOME/mixed\"; ",
    "sleep 0.3; printf '\\033[2J\\033[H\\033[5;10Hdone \\342\\234\\223\\033[K\\n'",
);

fn round_trip() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("round-trip.cast");
    let s = Session::spawn(SessionOptions {
        login: false,
        env: vec![("HOME".into(), dir.path().display().to_string())],
        ..SessionOptions::named("bench")
    })?;
    s.wait_ready(WAIT)?;

    // Both attached while the shell idles at its prompt, so both see the same batches.
    let file = CastFile::create(&path, &Header::v2(120, 30), Instant::now(), Arc::default())?;
    s.add_sink(
        Box::new(CastSink(Arc::new(Mutex::new(file)))),
        Acknowledge::Never,
    );
    let got = Arc::new(Mutex::new(Vec::<u8>::new()));
    let batches = Arc::new(Mutex::new((0usize, 0usize)));
    let (sink_got, sink_batches) = (Arc::clone(&got), Arc::clone(&batches));
    s.add_sink(
        Box::new(move |b: &[u8]| {
            sink_got.lock().unwrap().extend_from_slice(b);
            let mut counts = sink_batches.lock().unwrap();
            counts.0 += 1;
            // A batch that ends inside a UTF-8 character.
            if matches!(std::str::from_utf8(b), Err(e) if e.error_len().is_none()) {
                counts.1 += 1;
            }
        }),
        Acknowledge::Never,
    );
    let out = s.run_command(COMMAND, WAIT)?;
    assert_eq!(out.status, StepStatus::Ok);
    // Closing joins the pipeline thread: every batch has reached both sinks.
    s.close();
    drop(s);
    let got = std::mem::take(&mut *got.lock().unwrap());
    let (batch_count, cut_batches) = *batches.lock().unwrap();

    let cast = cast::read(&path)?;
    let recorded = cast.output();
    let outputs: Vec<(f64, String)> = cast
        .events
        .iter()
        .filter(|e| e.code == EventCode::Output)
        .map(|e| (e.time, e.data.clone()))
        .collect();
    let events = outputs.len();
    let timeline = schedule(
        outputs,
        Pace {
            speed: 4.0,
            idle_cap: None,
        },
    );
    let mut replayed = String::with_capacity(recorded.len());
    let started = Instant::now();
    let played = play(&timeline, &AtomicBool::new(false), |data| {
        replayed.push_str(data)
    });
    let took = started.elapsed();

    let cast_same = recorded.as_bytes() == got.as_slice();
    let replay_same = replayed.as_bytes() == got.as_slice();
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!("\nround trip: a live terminal recorded with CastSink, read back, replayed at ×4\n");
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| bytes at the collecting sink | {} in {batch_count} batches ({cut_batches} ending inside a UTF-8 character) |",
        got.len()
    );
    println!(
        "| cast | {} bytes on disk, {events} output events over {:.2} s, {} lines skipped, truncated: {} |",
        std::fs::metadata(&path)?.len(),
        cast.duration(),
        cast.skipped.len(),
        yes(cast.truncated)
    );
    println!(
        "| cast output = sink bytes | {} ({} bytes) |",
        yes(cast_same),
        recorded.len()
    );
    println!(
        "| replayed (×4) = sink bytes | {} ({} bytes, {played:?} in {took:.2?}; recorded span {:.2} s / 4 = {:.2} s) |",
        yes(replay_same),
        replayed.len(),
        timeline.last().map_or(0.0, |c| c.at.as_secs_f64() * 4.0),
        timeline.last().map_or(0.0, |c| c.at.as_secs_f64()),
    );
    if !cast_same {
        let at = recorded
            .bytes()
            .zip(&got)
            .position(|(a, b)| a != *b)
            .unwrap_or(recorded.len().min(got.len()));
        println!("| first difference | byte {at} |");
    }
    println!(
        "\nround trip: {} bytes, identical: {}",
        got.len(),
        yes(cast_same && replay_same)
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    timing();
    round_trip()
}
