//! Redaction of a live view (the audience window): output masked as it streams,
//! without waiting for a newline that a prompt, a typed command or a progress bar
//! never prints.
//!
//! [`LiveRedactor`] is the logic, synchronous: complete lines go out at once, the
//! unfinished end of the output is held until the output pauses
//! ([`LIVE_REDACT_QUIET`]), grows past [`MAX_PENDING`], or a marker or resize comes.
//! [`redacting_sink`] runs it on a small worker thread in front of another sink.
//!
//! # What a live view can and cannot hide
//!
//! Once part of an unfinished line has been shown, its continuation is redacted
//! together with the part already shown, so a secret straddling the two is matched
//! whole and every character of it that arrives later is masked. The part already
//! shown cannot be taken back: if the output paused in the middle of a secret and
//! what had arrived did not match yet (pattern `hunter2`: `pass: hunt`, a pause,
//! then `er2`), the audience saw that beginning (`pass: hunt***`). With the quiet period this happens only when
//! the output itself stopped mid-secret for [`LIVE_REDACT_QUIET`], for example a
//! secret typed key by key at a prompt; a secret a program prints in one go is
//! always masked whole. Patterns that match a secret's first characters (`sk-\w+`)
//! mask from there on even then.
//!
//! Also as in the recordings: a secret longer than [`MAX_PENDING`] cut by a batch
//! boundary is not matched whole. A secret split by escape sequences (a colour
//! change in its middle) is: [`Redactor::redact`] matches the visible text.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::redact::Redactor;
use super::writer::{incomplete_tail_len, MAX_PENDING};
use crate::terminal::{OutputSink, TermSize};

/// How long the output must pause before the unfinished end of a line is shown.
pub const LIVE_REDACT_QUIET: Duration = Duration::from_millis(40);

/// The streaming redaction of one terminal's output, without threads or clocks: the
/// caller pushes batches and flushes when the output pauses.
#[derive(Debug)]
pub struct LiveRedactor {
    redactor: Arc<Redactor>,
    /// Bytes of a UTF-8 character cut by a batch boundary, kept for the next batch.
    carry: Vec<u8>,
    /// The current unfinished line: the output since its last `\n`. Once shown, only
    /// its last [`MAX_PENDING`] bytes are kept as context.
    line: String,
    /// How many bytes at the start of `line` have been emitted.
    shown: usize,
}

impl LiveRedactor {
    pub fn new(redactor: Arc<Redactor>) -> Self {
        Self {
            redactor,
            carry: Vec::new(),
            line: String::new(),
            shown: 0,
        }
    }

    /// A batch of output; returns what can be shown now: every complete line (up to
    /// and including the last `\n`), redacted, and the unfinished end too if it has
    /// grown past [`MAX_PENDING`]. Without patterns, `bytes` unchanged.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        if self.redactor.is_empty() {
            return bytes.to_vec();
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(bytes);
        let keep = incomplete_tail_len(&buf);
        self.carry = buf.split_off(buf.len() - keep);
        if buf.is_empty() {
            return Vec::new();
        }
        self.line.push_str(&String::from_utf8_lossy(&buf));
        let mut out = String::new();
        if let Some(i) = self.line.rfind('\n') {
            let rest = self.line.split_off(i + 1);
            self.emit_held(&mut out);
            self.line = rest;
            self.shown = 0;
        }
        if self.line.len() - self.shown > MAX_PENDING {
            self.emit_held(&mut out);
        }
        out.into_bytes()
    }

    /// The unfinished end held back, redacted (the output paused, or a marker or
    /// resize comes). A character cut in its middle still waits for its other bytes.
    pub fn flush(&mut self) -> Vec<u8> {
        let mut out = String::new();
        self.emit_held(&mut out);
        out.into_bytes()
    }

    /// Everything still held, the output having ended: the unfinished end, and a
    /// character cut in its middle (as U+FFFD, as the recordings do).
    pub fn finish(&mut self) -> Vec<u8> {
        if !self.carry.is_empty() {
            let tail = std::mem::take(&mut self.carry);
            if self.redactor.is_empty() {
                return tail;
            }
            self.line.push_str(&String::from_utf8_lossy(&tail));
        }
        self.flush()
    }

    /// Whether text is held that [`LiveRedactor::flush`] would emit.
    pub fn holds(&self) -> bool {
        self.shown < self.line.len()
    }

    /// Appends the part of `line` not shown yet to `out`, redacted together with
    /// the part already shown: a match that started in the shown part masks every
    /// character of it that follows. Masks keep the width in characters, so the
    /// `n`th character of the redacted line stands for the `n`th of the line.
    fn emit_held(&mut self, out: &mut String) {
        if !self.holds() {
            return;
        }
        let redacted = self.redactor.redact(&self.line);
        debug_assert_eq!(redacted.chars().count(), self.line.chars().count());
        let skip = self.line[..self.shown].chars().count();
        let from = redacted
            .char_indices()
            .nth(skip)
            .map_or(redacted.len(), |(i, _)| i);
        out.push_str(&redacted[from..]);
        self.shown = self.line.len();
        if self.shown > MAX_PENDING {
            let mut cut = self.shown - MAX_PENDING;
            while !self.line.is_char_boundary(cut) {
                cut += 1;
            }
            self.line.drain(..cut);
            self.shown -= cut;
        }
    }
}

/// What the terminal's pipeline hands the worker, in order.
enum Event {
    Output(Vec<u8>, Duration),
    Marker(String, Duration),
    Resize(TermSize, Duration),
}

/// `inner` behind redaction: what reaches it never holds a match of `redactor`
/// (within the limits in the [module docs](self)). Without patterns, `inner` itself.
///
/// The returned sink only queues the batches: a worker thread (`redact-live-N`)
/// owns `inner` and calls it, with output redacted by a [`LiveRedactor`], the
/// unfinished end of a line shown after [`LIVE_REDACT_QUIET`] without output, and
/// markers and resizes forwarded after what was held, in order. Dropping the sink
/// returns at once; the worker then gives `inner` what it held, drops it and ends.
///
/// Redaction changes byte counts (a mask is one byte per character, U+FFFD three),
/// so a consumer that acknowledges bytes ([`crate::terminal::Acknowledge::Required`])
/// cannot count them from what it received.
pub fn redacting_sink(redactor: Arc<Redactor>, inner: Box<dyn OutputSink>) -> Box<dyn OutputSink> {
    if redactor.is_empty() {
        return inner;
    }
    static WORKERS: AtomicU64 = AtomicU64::new(0);
    let n = WORKERS.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = std::sync::mpsc::channel();
    let live = LiveRedactor::new(Arc::clone(&redactor));
    // The sink moves into the thread only if it starts; the spawn error hands
    // nothing back, so it is kept here until then.
    let slot = Arc::new(std::sync::Mutex::new(Some(inner)));
    let theirs = Arc::clone(&slot);
    let spawned = std::thread::Builder::new()
        .name(format!("redact-live-{n}"))
        .spawn(move || {
            let inner = theirs.lock().unwrap_or_else(|e| e.into_inner()).take();
            drop(theirs);
            if let Some(inner) = inner {
                run_worker(&rx, live, inner);
            }
        });
    match spawned {
        Ok(_) => Box::new(QueueSink { tx, lost: false }),
        Err(e) => {
            // Cannot happen short of exhausting the system; the view still gets its
            // output, redacted batch by batch on the pipeline thread.
            tracing::error!(error = %e, "cannot start the redaction thread: redacting inline");
            let inner = slot
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .expect("the thread never ran");
            Box::new(InlineSink {
                live: LiveRedactor::new(redactor),
                inner,
                last_at: Duration::ZERO,
            })
        }
    }
}

/// The pipeline's side of [`redacting_sink`]: queues everything for the worker.
struct QueueSink {
    tx: Sender<Event>,
    /// The worker is gone (its sink panicked): logged once, the rest dropped.
    lost: bool,
}

impl QueueSink {
    fn send(&mut self, event: Event) {
        if self.tx.send(event).is_err() && !self.lost {
            self.lost = true;
            tracing::error!("the redaction thread has ended: its view gets no more output");
        }
    }
}

impl OutputSink for QueueSink {
    fn on_output(&mut self, bytes: &[u8], at: Duration) {
        self.send(Event::Output(bytes.to_vec(), at));
    }

    fn on_marker(&mut self, label: &str, at: Duration) {
        self.send(Event::Marker(label.to_owned(), at));
    }

    fn on_resize(&mut self, size: TermSize, at: Duration) {
        self.send(Event::Resize(size, at));
    }
}

fn emit(inner: &mut dyn OutputSink, bytes: &[u8], at: Duration) {
    if !bytes.is_empty() {
        inner.on_output(bytes, at);
    }
}

/// The worker of [`redacting_sink`]: until the sink is dropped, then what it holds
/// goes out and `inner` is dropped. Held text goes out at the time it is shown
/// (the last event's time plus the time since).
fn run_worker(rx: &Receiver<Event>, mut live: LiveRedactor, mut inner: Box<dyn OutputSink>) {
    let mut last = (Duration::ZERO, Instant::now());
    let now = |last: &(Duration, Instant)| last.0 + last.1.elapsed();
    loop {
        let event = if live.holds() {
            match rx.recv_timeout(LIVE_REDACT_QUIET) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    emit(&mut *inner, &live.flush(), now(&last));
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(event) => event,
                Err(_) => break,
            }
        };
        match event {
            Event::Output(bytes, at) => {
                last = (at, Instant::now());
                emit(&mut *inner, &live.push(&bytes), at);
            }
            Event::Marker(label, at) => {
                last = (at, Instant::now());
                emit(&mut *inner, &live.flush(), at);
                inner.on_marker(&label, at);
            }
            Event::Resize(size, at) => {
                last = (at, Instant::now());
                emit(&mut *inner, &live.flush(), at);
                inner.on_resize(size, at);
            }
        }
    }
    emit(&mut *inner, &live.finish(), now(&last));
}

/// [`redacting_sink`] without its thread: each batch is shown at once (as if the
/// output paused after it), so only a secret cut by a batch boundary can show its
/// beginning.
struct InlineSink {
    live: LiveRedactor,
    inner: Box<dyn OutputSink>,
    last_at: Duration,
}

impl OutputSink for InlineSink {
    fn on_output(&mut self, bytes: &[u8], at: Duration) {
        self.last_at = at;
        let mut out = self.live.push(bytes);
        out.extend(self.live.flush());
        emit(&mut *self.inner, &out, at);
    }

    fn on_marker(&mut self, label: &str, at: Duration) {
        self.inner.on_marker(label, at);
    }

    fn on_resize(&mut self, size: TermSize, at: Duration) {
        self.inner.on_resize(size, at);
    }
}

impl Drop for InlineSink {
    fn drop(&mut self) {
        let out = self.live.finish();
        emit(&mut *self.inner, &out, self.last_at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn redactor(patterns: &[&str]) -> Arc<Redactor> {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        Arc::new(Redactor::new(&patterns))
    }

    fn live() -> LiveRedactor {
        LiveRedactor::new(redactor(&["sk-\\w+", "hunter2"]))
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("valid UTF-8 out")
    }

    #[test]
    fn a_secret_in_one_batch_is_masked_at_once() {
        let mut l = live();
        assert_eq!(
            text(l.push(b"token: sk-abc123 ok\nnext")),
            "token: ********* ok\n"
        );
        assert!(l.holds());
        assert_eq!(text(l.flush()), "next");
        assert!(!l.holds());
        assert_eq!(text(l.flush()), "");
    }

    #[test]
    fn a_secret_cut_across_two_batches_within_a_line_is_masked_whole() {
        let mut l = live();
        assert_eq!(text(l.push(b"key=sk-ab")), "", "the unfinished line waits");
        assert_eq!(text(l.push(b"c123 done\n")), "key=********* done\n");
        assert_eq!(text(l.push(b"pass hun")), "");
        assert_eq!(text(l.push(b"ter2!")), "");
        assert_eq!(text(l.flush()), "pass *******!");
    }

    #[test]
    fn a_secret_split_by_colours_is_masked_whole() {
        let mut l = live();
        assert_eq!(text(l.push(b"\x1b[01;31m\x1b[Ksk-")), "");
        assert_eq!(
            text(l.push(b"\x1b[m\x1b[Kabc123\n")),
            "\x1b[01;31m\x1b[K***\x1b[m\x1b[K******\n"
        );
        // A pause in the middle of an escape sequence shows it as it came.
        assert_eq!(text(l.push(b"x \x1b[3")), "");
        assert_eq!(text(l.flush()), "x \x1b[3");
        assert_eq!(text(l.push(b"1msk-a\x1b[0mb\n")), "1m****\x1b[0m*\n");
    }

    #[test]
    fn a_character_split_across_batches_is_joined() {
        let mut l = live();
        let input = "héllo → 🎉 sk-ü1\n";
        let mut out = Vec::new();
        for b in input.as_bytes() {
            out.extend(l.push(std::slice::from_ref(b)));
        }
        assert_eq!(text(out), "héllo → 🎉 *****\n");

        // A flush in the middle of a character never shows half of it.
        assert_eq!(text(l.push(b"ab\xf0\x9f")), "");
        assert_eq!(text(l.flush()), "ab");
        assert!(!l.holds());
        assert_eq!(text(l.push(b"\x8e")), "");
        assert_eq!(text(l.flush()), "");
        assert_eq!(text(l.push(b"\x89")), "");
        assert_eq!(text(l.flush()), "🎉");

        let mut l = live();
        assert_eq!(text(l.push(b"bad \xff byte\n")), "bad \u{fffd} byte\n");
        assert_eq!(text(l.push(b"cut \xe2\x86")), "");
        assert_eq!(text(l.flush()), "cut ");
        assert_eq!(
            text(l.finish()),
            "\u{fffd}",
            "a character the output ended in"
        );
    }

    #[test]
    fn a_partial_line_shown_after_the_quiet_period_keeps_its_secret_masked() {
        let mut l = live();
        assert_eq!(text(l.push(b"key=sk-abc")), "");
        assert_eq!(text(l.flush()), "key=******", "matched already: masked");
        assert_eq!(text(l.push(b"def more")), "");
        assert_eq!(text(l.flush()), "*** more");
        assert_eq!(text(l.push(b" sk-")), "");
        assert_eq!(text(l.flush()), " sk-");
        assert_eq!(text(l.push(b"xyz\n")), "***\n");
        // The limit: what did not match yet when shown stays shown, but every
        // character of the secret that comes after is masked.
        assert_eq!(text(l.push(b"pass: hunt")), "");
        assert_eq!(text(l.flush()), "pass: hunt");
        assert_eq!(text(l.push(b"er2 ok\n")), "*** ok\n");
    }

    #[test]
    fn crlf_lines_go_out_whole() {
        let mut l = live();
        assert_eq!(text(l.push(b"a sk-x1\r")), "");
        assert_eq!(text(l.push(b"\nnext\r\nprompt$ ")), "a *****\r\nnext\r\n");
        assert_eq!(text(l.flush()), "prompt$ ");
        assert_eq!(text(l.push(b"\r\n")), "\r\n");
        assert!(!l.holds());
    }

    #[test]
    fn a_line_longer_than_the_limit_goes_out_without_waiting() {
        let mut l = live();
        let mut long = "x".repeat(MAX_PENDING - 2);
        long.push_str("sk-ab");
        let out = text(l.push(long.as_bytes()));
        assert_eq!(out.len(), long.len());
        assert!(out.ends_with("xx*****"), "{}", &out[out.len() - 10..]);
        assert_eq!(text(l.push(b"cd ok\n")), "** ok\n");

        // A line that never ends (a progress bar) keeps bounded context.
        let mut shown = 0;
        for _ in 0..100 {
            shown += l.push("é".repeat(1000).as_bytes()).len();
            assert!(l.line.len() <= 2 * MAX_PENDING + 2000, "{}", l.line.len());
        }
        shown += l.flush().len();
        assert_eq!(shown, 100 * 2000);
    }

    #[test]
    fn without_patterns_bytes_pass_through_unchanged() {
        let mut l = LiveRedactor::new(Arc::default());
        assert_eq!(l.push(b"sk-abc \xff\xe2"), b"sk-abc \xff\xe2");
        assert!(!l.holds());
        assert!(l.flush().is_empty() && l.finish().is_empty());

        let inner: Box<dyn OutputSink> = Box::new(Probe(Arc::default()));
        let before = std::ptr::addr_of!(*inner).cast::<()>();
        let same = redacting_sink(Arc::default(), inner);
        assert_eq!(std::ptr::addr_of!(*same).cast::<()>(), before);
    }

    /// Records what reaches it, and on which thread, and when it is dropped.
    #[derive(Default)]
    struct Seen {
        events: Vec<String>,
        threads: Vec<String>,
        dropped: bool,
    }

    struct Probe(Arc<Mutex<Seen>>);

    impl Probe {
        fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
            self.0.lock().unwrap()
        }
        fn note(&self, event: String) {
            let mut s = self.seen();
            s.events.push(event);
            let thread = std::thread::current().name().unwrap_or("").to_owned();
            s.threads.push(thread);
        }
    }

    impl OutputSink for Probe {
        fn on_output(&mut self, bytes: &[u8], _at: Duration) {
            self.note(format!("out {}", String::from_utf8_lossy(bytes)));
        }
        fn on_marker(&mut self, label: &str, _at: Duration) {
            self.note(format!("marker {label}"));
        }
        fn on_resize(&mut self, size: TermSize, _at: Duration) {
            self.note(format!("resize {}x{}", size.cols, size.rows));
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.seen().dropped = true;
        }
    }

    fn wait_for(seen: &Arc<Mutex<Seen>>, what: &str, done: impl Fn(&Seen) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(&seen.lock().unwrap()) {
            assert!(
                Instant::now() < deadline,
                "no {what}: {:?}",
                seen.lock().unwrap().events
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn the_sink_shows_a_paused_line_and_forwards_markers_after_what_it_held() {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let mut sink = redacting_sink(redactor(&["sk-\\w+"]), Box::new(Probe(Arc::clone(&seen))));
        let at = Duration::from_secs(1);
        sink.on_output(b"one sk-1\nprompt$ ", at);
        wait_for(&seen, "paused prompt", |s| s.events.len() == 2);
        sink.on_output(b"key=sk-ab", at);
        sink.on_marker("end step", at);
        sink.on_output(b"cd\n", at);
        sink.on_resize(
            TermSize {
                rows: 30,
                cols: 100,
            },
            at,
        );
        sink.on_output(b"last sk-z", at);
        let started = Instant::now();
        drop(sink);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "drop returns at once"
        );
        wait_for(&seen, "drop of the inner sink", |s| s.dropped);
        let s = seen.lock().unwrap();
        assert_eq!(
            s.events,
            [
                "out one ****\n",
                "out prompt$ ",
                "out key=*****",
                "marker end step",
                "out **\n",
                "resize 100x30",
                "out last ****",
            ]
        );
        assert!(
            s.threads.iter().all(|t| t.starts_with("redact-")),
            "{:?}",
            s.threads
        );
    }
}
