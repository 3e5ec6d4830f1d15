//! Floods through the pipeline: the recording (which never acknowledges) gets every
//! byte in order; a slow view that acknowledges what it drew falls behind, skips
//! frames and is resynced from the screen model, ending exactly where every byte
//! would have taken it; memory stays bounded by the flow-control watermarks.

mod terminal_common;

use std::num::NonZeroU16;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cuedeck_core::terminal::screen::VIEW_SCROLLBACK;
use cuedeck_core::terminal::{Acknowledge, FlowLimits, Session, SinkId, StepStatus, TermSize};
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

/// A view that draws slowly: a vt100 with a view's scrollback, fed on its own
/// thread, acknowledging each batch once drawn.
struct SlowView {
    screen: Arc<Mutex<vt100::Parser>>,
    drawn: mpsc::Receiver<()>,
    thread: std::thread::JoinHandle<()>,
    id: SinkId,
}

impl SlowView {
    fn attach(s: &Arc<Session>, size: TermSize, per_batch: Duration) -> Self {
        let rows = NonZeroU16::new(size.rows).unwrap();
        let cols = NonZeroU16::new(size.cols).unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, VIEW_SCROLLBACK)));
        let (tx, rx) = mpsc::channel::<Vec<u8>>();
        let (drawn_tx, drawn) = mpsc::channel();
        let (id, start) = s.attach(
            Box::new(move |b: &[u8]| drop(tx.send(b.to_vec()))),
            Acknowledge::Required,
        );
        screen.lock().unwrap().process(&start.redraw);
        let (view, session) = (Arc::clone(&screen), Arc::clone(s));
        let thread = std::thread::spawn(move || {
            for batch in rx {
                std::thread::sleep(per_batch);
                view.lock().unwrap().process(&batch);
                session.ack(id, batch.len());
                let _ = drawn_tx.send(());
            }
        });
        Self {
            screen,
            drawn,
            thread,
            id,
        }
    }

    /// Waits (batch by batch) until the view shows what the screen model shows.
    fn await_screen(&self, s: &Session) -> String {
        let deadline = Instant::now() + terminal_common::WAIT;
        loop {
            let want = s.snapshot().text;
            let shown = self.screen.lock().unwrap().screen().contents();
            if shown == want {
                return shown;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return shown;
            }
            let _ = self.drawn.recv_timeout(left.min(Duration::from_millis(50)));
        }
    }
}

/// The scrollback (oldest first) and screen of a vt100, row by row, with colours.
fn rows_of(parser: &mut vt100::Parser) -> Vec<String> {
    let (rows, cols) = parser.screen().size();
    let row_text = |screen: &vt100::Screen, r: u16| -> String {
        (0..cols.get())
            .filter_map(|c| screen.cell(r, c))
            .map(|cell| format!("{}{:?}", cell.contents(), cell.fgcolor()))
            .collect()
    };
    parser.screen_mut().set_scrollback(usize::MAX);
    let kept = parser.screen().scrollback();
    let mut out = Vec::new();
    for offset in (1..=kept).rev() {
        parser.screen_mut().set_scrollback(offset);
        out.push(row_text(parser.screen(), 0));
    }
    parser.screen_mut().set_scrollback(0);
    out.extend((0..rows.get()).map(|r| row_text(parser.screen(), r)));
    out
}

#[test]
fn a_slow_view_skips_a_flood_and_ends_as_if_it_drew_every_byte() {
    let home = home();
    let size = TermSize { rows: 24, cols: 80 };
    let s = Arc::new(
        Session::spawn(cuedeck_core::terminal::SessionOptions {
            size,
            ..options("flood", home.path())
        })
        .expect("spawn"),
    );
    s.wait_ready(terminal_common::WAIT).unwrap();
    // Every byte, as a recording gets it.
    let every: Arc<Mutex<Vec<u8>>> = Arc::default();
    let all = Arc::clone(&every);
    s.add_sink(
        Box::new(move |b: &[u8]| all.lock().unwrap().extend_from_slice(b)),
        Acknowledge::Never,
    );
    let view = SlowView::attach(&s, size, Duration::from_millis(3));
    // Coloured lines, long ones that wrap, then a plain flood the screen model skips.
    let command = "for i in $(seq 1 1000); do printf '\\033[3%dm%s\\033[m %s\\n' $((i % 7)) $i \"$(printf '%*s' $((i % 150)) | tr ' ' x)\"; done; seq 1 200000";
    let out = s.run_command(command, terminal_common::WAIT).unwrap();
    assert_eq!(out.status, StepStatus::Ok, "{out:?}");
    let shown = view.await_screen(&s);
    let stats = s.flow_stats();
    assert!(
        stats.resyncs > 0,
        "the view fell behind and was resynced: {stats:?}"
    );
    assert!(shown.contains("200000"), "{shown}");

    let mut reference = vt100::Parser::new(
        NonZeroU16::new(size.rows).unwrap(),
        NonZeroU16::new(size.cols).unwrap(),
        VIEW_SCROLLBACK,
    );
    reference.process(&every.lock().unwrap());
    let want = rows_of(&mut reference);
    let got = rows_of(&mut view.screen.lock().unwrap());
    assert_eq!(got.len(), want.len(), "scrollback and screen rows");
    let differ = got.iter().zip(&want).position(|(g, w)| g != w);
    assert_eq!(differ, None, "first row that differs (of {})", want.len());
    assert_eq!(
        view.screen.lock().unwrap().screen().cursor_position(),
        reference.screen().cursor_position()
    );
    s.detach(view.id);
    drop(s);
    view.thread.join().unwrap();
}

#[test]
fn a_200_mb_burst_reaches_the_recording_whole_in_order_with_bounded_buffering() {
    let home = home();
    let limits = FlowLimits {
        high: 1024 * 1024,
        low: 256 * 1024,
    };
    let s =
        Arc::new(Session::spawn(terminal_common_flow_options(home.path(), limits)).expect("spawn"));
    s.wait_ready(terminal_common::WAIT).unwrap();

    // The recording: checks every line, on its own thread, never acknowledging.
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    s.add_sink(
        Box::new(move |b: &[u8]| drop(tx.send(b.to_vec()))),
        Acknowledge::Never,
    );
    let recording = std::thread::spawn(move || {
        let mut check = SeqCheck::default();
        for batch in rx {
            check.feed(&batch);
        }
        check
    });
    // And a window's view, slower than the flood.
    let view = SlowView::attach(&s, TermSize::default(), Duration::from_millis(2));

    // seq 1 24000000 writes 200 MB (before the PTY turns \n into \r\n).
    let n = 24_000_000u64;
    let out = s
        .run_command(&format!("seq 1 {n}"), Duration::from_secs(600))
        .unwrap();
    assert_eq!(out.status, StepStatus::Ok);
    assert!(out.output_truncated, "the step's text is capped");
    let shown = view.await_screen(&s);
    assert!(
        shown.contains(&n.to_string()),
        "the view ends on the last line: {shown}"
    );
    let stats = s.flow_stats();
    s.detach(view.id);
    drop(s);
    let check = recording.join().unwrap();
    view.thread.join().unwrap();

    assert_eq!(check.errors, 0, "lines out of order or missing");
    assert_eq!(check.next, n, "every line arrived");
    assert!(check.bytes > 200_000_000, "{} bytes", check.bytes);
    assert!(stats.resyncs > 0, "the view skipped frames: {stats:?}");
    assert!(
        stats.max_buffered <= limits.high + 2 * 1024 * 1024,
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
