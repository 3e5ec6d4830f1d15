//! Terminal pipeline benchmark (prints a table; `cargo bench -p cuedeck-core --bench pipeline`).
//!
//! 1. Throughput: a child writing ~500 MB into a PTY, read raw (portable-pty, one
//!    reader loop) vs through the whole pipeline (reader thread, batcher, OSC 133
//!    scan, vt100 screen model, text tracker, and an acknowledging sink on its own
//!    thread, as the UI is), then the same with the asciicast recorder attached too.
//!    Goal: pipeline (with recording on) >= 80 % of raw.
//! 2. Keystroke -> echo latency through the PTY, bash's readline and the pipeline to
//!    the sink, p50 / p99. Goal: p99 < 16 ms.
//! 3. A 10 000-line burst (`seq 1 10000`): from typing the command to the last line
//!    at the sink.
//!
//! `CUEDECK_BENCH_MB` changes the throughput volume (default 500).

use std::io::Read;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cuedeck_core::record::cast::Header;
use cuedeck_core::record::writer::{CastFile, CastSink};
use cuedeck_core::terminal::{Acknowledge, Session, SessionOptions, StepStatus};
use portable_pty::{native_pty_system, CommandBuilder, PtySize};

const LINE: &str = "the quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJ";
const WAIT: Duration = Duration::from_secs(600);

fn volume() -> u64 {
    std::env::var("CUEDECK_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
        * 1_000_000
}

fn generator(bytes: u64) -> String {
    format!("yes '{LINE}' | head -c {bytes}")
}

fn mb_per_s(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64()
}

/// Reads a PTY with one plain loop until end of file.
fn raw_throughput(bytes: u64) -> Result<(u64, Duration), Box<dyn std::error::Error>> {
    let pair = native_pty_system().openpty(PtySize {
        rows: 30,
        cols: 120,
        pixel_width: 0,
        pixel_height: 0,
    })?;
    let mut cmd = CommandBuilder::new("sh");
    cmd.args(["-c", &generator(bytes)]);
    cmd.env("TERM", "xterm-256color");
    let started = Instant::now();
    let mut child = pair.slave.spawn_command(cmd)?;
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader()?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let took = started.elapsed();
    child.wait()?;
    Ok((total, took))
}

fn session() -> Result<Arc<Session>, Box<dyn std::error::Error>> {
    let home = std::env::temp_dir();
    let s = Session::spawn(SessionOptions {
        login: false,
        env: vec![("HOME".into(), home.display().to_string())],
        ..SessionOptions::named("bench")
    })?;
    s.wait_ready(WAIT)?;
    Ok(Arc::new(s))
}

/// The same generator typed into a shell, through the whole pipeline; with
/// `record_to`, a recorder writes the terminal's cast there too.
fn pipeline_throughput(
    bytes: u64,
    record_to: Option<&Path>,
) -> Result<(u64, Duration, u64), Box<dyn std::error::Error>> {
    let s = session()?;
    if let Some(path) = record_to {
        let file = CastFile::create(path, &Header::v2(120, 30), Instant::now(), Arc::default())?;
        s.add_sink(
            Box::new(CastSink(Arc::new(Mutex::new(file)))),
            Acknowledge::Never,
        );
    }
    let (tx, rx) = mpsc::channel::<usize>();
    let id = s.add_sink(
        Box::new(move |b: &[u8]| {
            let _ = tx.send(b.len());
        }),
        Acknowledge::Required,
    );
    let ui_session = Arc::clone(&s);
    let ui = std::thread::spawn(move || {
        let mut total = 0u64;
        for n in rx {
            total += n as u64;
            ui_session.ack(id, n);
        }
        total
    });
    let started = Instant::now();
    let out = s.run_command(&generator(bytes), WAIT)?;
    let took = started.elapsed();
    assert_eq!(out.status, StepStatus::Ok);
    let pauses = s.flow_stats().pauses;
    s.detach(id);
    drop(s);
    let total = ui.join().map_err(|_| "sink thread panicked")?;
    Ok((total, took, pauses))
}

/// Types one key and waits for its echo at the sink, `n` times (key, then backspace).
fn echo_latency(n: usize) -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
    let s = session()?;
    let (tx, rx) = mpsc::channel::<Instant>();
    s.add_sink(
        Box::new(move |_: &[u8]| {
            let _ = tx.send(Instant::now());
        }),
        Acknowledge::Never,
    );
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        while rx.try_recv().is_ok() {}
        let key: &[u8] = if i % 2 == 0 { b"x" } else { b"\x7f" };
        let sent = Instant::now();
        s.write(key)?;
        let got = rx.recv_timeout(Duration::from_secs(10))?;
        samples.push(got.saturating_duration_since(sent));
    }
    samples.sort();
    Ok(samples)
}

/// From typing `seq 1 10000` to the last line arriving at the sink.
fn burst_time() -> Result<Duration, Box<dyn std::error::Error>> {
    let s = session()?;
    let (tx, rx) = mpsc::channel::<Instant>();
    let mut tail = Vec::new();
    s.add_sink(
        Box::new(move |b: &[u8]| {
            tail.extend_from_slice(b);
            if tail.windows(8).any(|w| w == b"\n10000\r\n") {
                let _ = tx.send(Instant::now());
            }
            let keep = tail.len().saturating_sub(9);
            tail.drain(..keep);
        }),
        Acknowledge::Never,
    );
    let started = Instant::now();
    s.run_command("seq 1 10000", WAIT)?;
    let last = rx.recv_timeout(WAIT)?;
    Ok(last - started)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|a| a == "--list") {
        return Ok(());
    }
    let bytes = volume();
    let (raw_bytes, raw_took) = raw_throughput(bytes)?;
    let (pipe_bytes, pipe_took, pauses) = pipeline_throughput(bytes, None)?;
    let cast_dir = tempfile::tempdir()?;
    let cast_path = cast_dir.path().join("bench.cast");
    let (rec_bytes, rec_took, rec_pauses) = pipeline_throughput(bytes, Some(&cast_path))?;
    let cast_size = std::fs::metadata(&cast_path)?.len();
    let raw = mb_per_s(raw_bytes, raw_took);
    let pipe = mb_per_s(pipe_bytes, pipe_took);
    let rec = mb_per_s(rec_bytes, rec_took);
    let latency = echo_latency(1000)?;
    let burst = burst_time()?;
    println!("| measure | value |");
    println!("|---|---|");
    println!("| raw PTY read | {raw:.0} MB/s ({raw_bytes} bytes in {raw_took:.2?}) |");
    println!("| whole pipeline | {pipe:.0} MB/s ({pipe_bytes} bytes in {pipe_took:.2?}, {pauses} flow pauses) |");
    println!(
        "| pipeline / raw | {:.0} % (goal >= 80 %) |",
        pipe / raw * 100.0
    );
    println!("| whole pipeline + recording | {rec:.0} MB/s ({rec_bytes} bytes in {rec_took:.2?}, {rec_pauses} flow pauses, cast {} MB) |", cast_size / 1_000_000);
    println!(
        "| pipeline + recording / raw | {:.0} % (goal >= 80 %) |",
        rec / raw * 100.0
    );
    println!("| keystroke -> echo p50 | {:.2?} |", pct(&latency, 0.5));
    println!(
        "| keystroke -> echo p99 | {:.2?} (goal < 16 ms) |",
        pct(&latency, 0.99)
    );
    println!("| 10 000-line burst to sink | {burst:.2?} |");
    Ok(())
}
