//! A 200 MB burst passes through the pipeline to a slow, acknowledging consumer:
//! every byte in order, memory bounded by the flow-control watermarks.

mod terminal_common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cuedeck_core::terminal::{Acknowledge, FlowLimits, Session, SinkId, StepStatus};
use terminal_common::{home, options};

/// Checks that the lines made only of digits count 1, 2, 3, ... without a gap.
#[derive(Default)]
struct SeqCheck {
    line: Vec<u8>,
    next: u64,
    errors: u64,
    bytes: u64,
}

impl SeqCheck {
    fn feed(&mut self, bytes: &[u8]) {
        self.bytes += bytes.len() as u64;
        let mut rest = bytes;
        while let Some(at) = memchr::memchr(b'\n', rest) {
            self.line.extend_from_slice(&rest[..at]);
            self.end_line();
            rest = &rest[at + 1..];
        }
        self.line.extend_from_slice(rest);
    }

    fn end_line(&mut self) {
        let mut line = std::mem::take(&mut self.line);
        // The first number shares its line with the `C` mark the shell printed.
        if let Some(at) = memchr::memrchr(0x07, &line) {
            line.drain(..=at);
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.is_empty() || !line.iter().all(u8::is_ascii_digit) {
            return;
        }
        let n: u64 = std::str::from_utf8(&line)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if n == self.next + 1 {
            self.next = n;
        } else {
            self.errors += 1;
        }
    }
}

#[test]
fn a_200_mb_burst_arrives_whole_in_order_with_bounded_buffering() {
    let home = home();
    let limits = FlowLimits {
        high: 1024 * 1024,
        low: 256 * 1024,
    };
    let s =
        Arc::new(Session::spawn(terminal_common_flow_options(home.path(), limits)).expect("spawn"));
    s.wait_ready(terminal_common::WAIT).unwrap();

    // The "UI": renders (checks) batches on its own thread and acknowledges them.
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let id: Arc<Mutex<Option<SinkId>>> = Arc::default();
    let sink_id = s.add_sink(
        Box::new(move |b: &[u8]| drop(tx.send(b.to_vec()))),
        Acknowledge::Required,
    );
    *id.lock().unwrap() = Some(sink_id);
    let ui_session = Arc::clone(&s);
    let ui = std::thread::spawn(move || {
        let mut check = SeqCheck::default();
        for batch in rx {
            check.feed(&batch);
            ui_session.ack(sink_id, batch.len());
        }
        check
    });

    // seq 1 24000000 writes 200 MB (before the PTY turns \n into \r\n).
    let n = 24_000_000u64;
    let out = s
        .run_command(&format!("seq 1 {n}"), Duration::from_secs(600))
        .unwrap();
    assert_eq!(out.status, StepStatus::Ok);
    assert!(out.output_truncated, "the step's text is capped");
    let stats = s.flow_stats();
    s.detach(sink_id);
    drop(s);
    let check = ui.join().unwrap();

    assert_eq!(check.errors, 0, "lines out of order or missing");
    assert_eq!(check.next, n, "every line arrived");
    assert!(check.bytes > 200_000_000, "{} bytes", check.bytes);
    assert!(
        stats.pauses > 0,
        "the reader was paused at least once: {stats:?}"
    );
    assert!(
        stats.max_buffered <= limits.high + 128 * 1024,
        "buffered bytes stay bounded: {stats:?}"
    );
}

fn terminal_common_flow_options(
    home: &std::path::Path,
    flow: FlowLimits,
) -> cuedeck_core::terminal::SessionOptions {
    cuedeck_core::terminal::SessionOptions {
        flow,
        ..options("burst", home)
    }
}
