//! Redaction of a live view (the audience window): output masked as it streams,
//! without waiting for a newline that a prompt, a typed command or a progress bar
//! never prints.
//!
//! [`LiveRedactor`] is the logic, synchronous: complete lines go out at once, the
//! unfinished end of the output is held until the output pauses
//! ([`LIVE_REDACT_QUIET`]; a secret's possible beginning longer, see below) or grows
//! past [`MAX_PENDING`] (then all but its last [`HOLD_BACK`] bytes go out). [`Ordered`] keeps markers and resizes in their place
//! behind a held line, so they never cut it; the recordings
//! ([`super::writer::CastFile`]) use it too, without the quiet period.
//! [`redacting_sink`] runs it on a small worker thread in front of another sink.
//!
//! # What a live view can and cannot hide
//!
//! Once part of an unfinished line has been shown, its continuation is redacted
//! together with the part already shown, so a secret straddling the two is matched
//! whole and every character of it that arrives later is masked. When the output
//! pauses, the end of the line that may be a secret's beginning (pattern `hunter2`:
//! `pass: hunt`) is not shown with the rest: it is held until it is whole (then
//! masked), until what follows makes it no match, or until the output has been
//! quiet for [`MATCH_HOLD`] more. So a secret typed key by key (by Cuedeck's typing,
//! or by hand at a normal pace) or printed in pieces is never shown by its
//! beginning. What cannot be hidden: a secret's beginning after a pause longer than
//! [`MATCH_HOLD`], and the beginning of a secret that a pattern the lazy DFA cannot
//! run (a Unicode `\b` on non-ASCII text) describes. The part already shown cannot
//! be taken back.
//!
//! Also as in the recordings: a secret longer than [`HOLD_BACK`] that a long line's
//! cut splits is not matched whole. A secret split by escape sequences (a colour
//! change in its middle) is: [`Redactor::redact`] matches the visible text.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use super::redact::Redactor;
use super::writer::{incomplete_tail_len, MAX_PENDING};
use crate::terminal::{OutputSink, TermSize};

/// How long the output must pause before the unfinished end of a line is shown.
pub const LIVE_REDACT_QUIET: Duration = Duration::from_millis(40);

/// How long a match that may be under way at the end of the output
/// ([`Redactor::match_under_way`]) is held once the output has paused: longer than
/// the pauses between the keys of a secret typed (by Cuedeck's typing or by hand),
/// short enough that a line which only looked like a secret's beginning is not
/// held for long.
pub const MATCH_HOLD: Duration = Duration::from_millis(1500);

/// How much of an unfinished line past [`MAX_PENDING`] is still held back when the
/// rest of it goes out: a secret shorter than this that the cut would split is
/// still matched whole once the rest of it arrives.
pub const HOLD_BACK: usize = 1024;

/// The streaming redaction of one terminal's output, without threads or clocks: the
/// caller pushes batches and flushes when the output pauses.
#[derive(Debug)]
pub struct LiveRedactor {
    redactor: Arc<Redactor>,
    /// The redactor to switch to once the current line ends: a switch in the middle
    /// of a line masks that line with both ([`LiveRedactor::set_redactor`]).
    next: Option<Arc<Redactor>>,
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
            next: None,
            carry: Vec::new(),
            line: String::new(),
            shown: 0,
        }
    }

    /// Masks with `redactor` from now on. In the middle of a line, that line is
    /// masked with the old patterns and the new ones until it ends: what it held
    /// came under the old ones, and a secret running across the switch is still
    /// matched whole.
    pub fn set_redactor(&mut self, redactor: Arc<Redactor>) {
        if self.line.is_empty() {
            self.redactor = redactor;
            self.next = None;
        } else {
            self.redactor = Arc::new(self.redactor.union(&redactor));
            self.next = Some(redactor);
        }
    }

    /// A batch of output; returns what can be shown now: every complete line (up to
    /// and including the last `\n`), redacted, and most of the unfinished end too if
    /// it has grown past [`MAX_PENDING`]. Without patterns, `bytes` unchanged.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<u8> {
        if self.passes_through() {
            return bytes.to_vec();
        }
        let text = self.decode(bytes);
        self.push_text(&text).into_bytes()
    }

    /// Nothing to mask and nothing held: output can go out as it came.
    fn passes_through(&self) -> bool {
        self.redactor.is_empty()
            && self.next.is_none()
            && self.carry.is_empty()
            && self.line.is_empty()
    }

    /// `bytes` decoded as UTF-8, joined to the character cut at the end of the last
    /// batch; a character cut at the end waits for the next (invalid bytes become
    /// U+FFFD). Give the result to [`LiveRedactor::push_text`].
    pub fn decode(&mut self, bytes: &[u8]) -> String {
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(bytes);
        let keep = incomplete_tail_len(&buf);
        self.carry = buf.split_off(buf.len() - keep);
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// Decoded output (see [`LiveRedactor::decode`]); returns what can be shown
    /// now, redacted, as [`LiveRedactor::push`] does. The result stands for the
    /// characters pushed so far and not yet returned, one for one and in order.
    pub fn push_text(&mut self, text: &str) -> String {
        let mut out = String::new();
        if text.is_empty() {
            return out;
        }
        self.line.push_str(text);
        if self.next.is_some() {
            // The line the patterns switched in ends here: it goes out masked with
            // both, and what follows with the new ones only.
            if let Some(i) = self.line.find('\n') {
                let rest = self.line.split_off(i + 1);
                self.emit_held(&mut out);
                self.line = rest;
                self.shown = 0;
                if let Some(next) = self.next.take() {
                    self.redactor = next;
                }
            }
        }
        if let Some(i) = self.line.rfind('\n') {
            let rest = self.line.split_off(i + 1);
            self.emit_held(&mut out);
            self.line = rest;
            self.shown = 0;
        }
        if self.line.len() - self.shown > MAX_PENDING {
            // Most of a long line goes out; its end stays held, so a secret the
            // cut would split is matched whole once the rest of it comes.
            let mut end = self.line.len() - HOLD_BACK;
            while !self.line.is_char_boundary(end) {
                end -= 1;
            }
            self.emit_upto(&mut out, end);
        }
        out
    }

    /// The output paused: the unfinished end held back goes out, redacted, all but
    /// a match that may be under way at its end ([`Redactor::match_under_way`]),
    /// which stays held until it is whole, stops being a possible match, or
    /// [`LiveRedactor::flush`] lets it out.
    pub fn pause(&mut self) -> Vec<u8> {
        self.pause_text().into_bytes()
    }

    /// [`LiveRedactor::pause`] as text.
    pub fn pause_text(&mut self) -> String {
        let mut out = String::new();
        let end = match self.redactor.match_under_way(&self.line) {
            Some(at) => at.max(self.shown),
            None => self.line.len(),
        };
        self.emit_upto(&mut out, end);
        out
    }

    /// The unfinished end held back, all of it, redacted (the output has paused
    /// long enough, or a marker or resize comes). A character cut in its middle
    /// still waits for its other bytes.
    pub fn flush(&mut self) -> Vec<u8> {
        self.flush_text().into_bytes()
    }

    /// [`LiveRedactor::flush`] as text.
    pub fn flush_text(&mut self) -> String {
        let mut out = String::new();
        self.emit_held(&mut out);
        out
    }

    /// Everything still held, the output having ended: the unfinished end, and a
    /// character cut in its middle (as U+FFFD, as the recordings do).
    pub fn finish(&mut self) -> Vec<u8> {
        if self.passes_through() {
            return Vec::new();
        }
        let tail = self.end_text();
        let mut out = self.push_text(&tail);
        out.push_str(&self.flush_text());
        out.into_bytes()
    }

    /// The character the output ended in the middle of, as U+FFFD (empty if none):
    /// the last text to push.
    pub fn end_text(&mut self) -> String {
        let tail = std::mem::take(&mut self.carry);
        String::from_utf8_lossy(&tail).into_owned()
    }

    /// Whether text is held that [`LiveRedactor::flush`] would emit.
    pub fn holds(&self) -> bool {
        self.shown < self.line.len()
    }

    fn emit_held(&mut self, out: &mut String) {
        self.emit_upto(out, self.line.len());
    }

    /// Appends the part of `line` from what was shown to `end` (a character
    /// boundary) to `out`, redacted together with the whole line: a match that
    /// started in the shown part masks every character of it that follows, and one
    /// that runs on past `end` is masked as far as `end` already. Masks keep the
    /// width in characters, so the `n`th character of the redacted line stands for
    /// the `n`th of the line.
    fn emit_upto(&mut self, out: &mut String, end: usize) {
        if end <= self.shown {
            return;
        }
        let redacted = self.redactor.redact(&self.line);
        debug_assert_eq!(redacted.chars().count(), self.line.chars().count());
        let skip = self.line[..self.shown].chars().count();
        let take = self.line[self.shown..end].chars().count();
        let from = redacted
            .char_indices()
            .nth(skip)
            .map_or(redacted.len(), |(i, _)| i);
        let to = redacted[from..]
            .char_indices()
            .nth(take)
            .map_or(redacted.len(), |(i, _)| from + i);
        out.push_str(&redacted[from..to]);
        self.shown = end;
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

/// What an [`Ordered`] lets out, in the order it came in.
#[derive(Debug, PartialEq)]
pub enum Release<E> {
    /// Redacted output, with the time its first character arrived.
    Text(String, Duration),
    /// An event that came after the text before it.
    Event(E),
}

#[derive(Debug)]
enum Queued<E> {
    /// This many characters of output not let out yet, that arrived at `at`.
    Text {
        chars: usize,
        at: Duration,
    },
    Event(E),
}

/// A [`LiveRedactor`] that keeps other events (markers, resizes) in their place in
/// the output: an event that comes while part of a line is held waits behind it,
/// so it never cuts the line (a secret running across it is matched whole), and
/// each piece of output keeps its own time. The recordings and the redacted views
/// both go through it.
#[derive(Debug)]
pub struct Ordered<E> {
    live: LiveRedactor,
    queue: VecDeque<Queued<E>>,
    last_at: Duration,
}

impl<E> Ordered<E> {
    pub fn new(redactor: Arc<Redactor>) -> Self {
        Self {
            live: LiveRedactor::new(redactor),
            queue: VecDeque::new(),
            last_at: Duration::ZERO,
        }
    }

    /// See [`LiveRedactor::set_redactor`].
    pub fn set_redactor(&mut self, redactor: Arc<Redactor>) {
        self.live.set_redactor(redactor);
    }

    /// `text` (a marker's label) masked on its own with the current patterns.
    pub fn redact_alone(&self, text: &str) -> String {
        self.live.redactor.redact(text).into_owned()
    }

    /// A batch of output that arrived at `at`: what can go out now.
    pub fn output(&mut self, bytes: &[u8], at: Duration) -> Vec<Release<E>> {
        let text = self.live.decode(bytes);
        self.text(&text, at)
    }

    fn text(&mut self, text: &str, at: Duration) -> Vec<Release<E>> {
        self.last_at = at;
        let chars = text.chars().count();
        if chars > 0 {
            self.queue.push_back(Queued::Text { chars, at });
        }
        let out = self.live.push_text(text);
        self.release(&out)
    }

    /// An event: out at once if nothing is held, else after what is.
    pub fn event(&mut self, event: E) -> Vec<Release<E>> {
        if self.queue.is_empty() {
            return vec![Release::Event(event)];
        }
        self.queue.push_back(Queued::Event(event));
        Vec::new()
    }

    /// Whether output is held (and maybe events behind it).
    pub fn holds(&self) -> bool {
        !self.queue.is_empty()
    }

    /// The output paused: what is held goes out but for a match that may be under
    /// way (see [`LiveRedactor::pause`]), and the events behind what went out.
    pub fn pause(&mut self) -> Vec<Release<E>> {
        let out = self.live.pause_text();
        self.release(&out)
    }

    /// Everything held goes out (see [`LiveRedactor::flush`]).
    pub fn flush(&mut self) -> Vec<Release<E>> {
        let out = self.live.flush_text();
        self.release(&out)
    }

    /// The output ended: everything goes out, a character cut at the end as U+FFFD.
    pub fn finish(&mut self) -> Vec<Release<E>> {
        let tail = self.live.end_text();
        let mut out = self.text(&tail, self.last_at);
        out.extend(self.flush());
        out
    }

    /// Hands out `text` (the next redacted characters) piece by piece, each with
    /// its own time, and the events queued between and after them.
    fn release(&mut self, text: &str) -> Vec<Release<E>> {
        let mut out = Vec::new();
        let mut rest = text;
        loop {
            match self.queue.front_mut() {
                Some(Queued::Event(_)) => {
                    if let Some(Queued::Event(e)) = self.queue.pop_front() {
                        out.push(Release::Event(e));
                    }
                }
                Some(Queued::Text { chars, at }) if !rest.is_empty() => {
                    let (end, n) = rest
                        .char_indices()
                        .nth(*chars)
                        .map_or((rest.len(), rest.chars().count()), |(i, _)| (i, *chars));
                    out.push(Release::Text(rest[..end].to_string(), *at));
                    rest = &rest[end..];
                    *chars -= n;
                    if *chars == 0 {
                        self.queue.pop_front();
                    }
                }
                _ => break,
            }
        }
        debug_assert!(rest.is_empty(), "more text out than came in");
        out
    }
}

/// What the terminal's pipeline hands the worker, in order.
enum Event {
    Output(Vec<u8>, Duration),
    Other(Other),
    Redaction(Arc<Redactor>),
}

/// The events a redacted view gets in their place in the output.
#[derive(Debug)]
enum Other {
    Marker(String, Duration),
    Resize(TermSize, Duration),
}

/// `inner` behind redaction: what reaches it never holds a match of `redactor`
/// (within the limits in the [module docs](self)). Without patterns, `inner` itself
/// (so a runbook whose blocks can switch redaction on, `"redact": true`, passes a
/// redactor that is not empty, or uses [`redacting_sink_always`]).
///
/// The returned sink only queues the batches: a worker thread (`redact-live-N`)
/// owns `inner` and calls it, with output redacted by a [`LiveRedactor`], the
/// unfinished end of a line shown after [`LIVE_REDACT_QUIET`] without output, and
/// markers and resizes forwarded in their place after the output before them.
/// Dropping the sink returns at once; the worker then gives `inner` what it held,
/// drops it and ends.
///
/// Redaction changes byte counts (a mask is one byte per character, U+FFFD three),
/// so a consumer that acknowledges bytes ([`crate::terminal::Acknowledge::Required`])
/// cannot count them from what it received.
pub fn redacting_sink(redactor: Arc<Redactor>, inner: Box<dyn OutputSink>) -> Box<dyn OutputSink> {
    if redactor.is_empty() {
        return inner;
    }
    redacting_sink_always(redactor, inner)
}

/// [`redacting_sink`] even without patterns: for a terminal whose blocks may mask
/// their output later ([`crate::terminal::Session::set_redaction`]).
pub fn redacting_sink_always(
    redactor: Arc<Redactor>,
    inner: Box<dyn OutputSink>,
) -> Box<dyn OutputSink> {
    static WORKERS: AtomicU64 = AtomicU64::new(0);
    let n = WORKERS.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = std::sync::mpsc::channel();
    let ordered = Ordered::new(Arc::clone(&redactor));
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
                run_worker(&rx, ordered, inner);
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
                ordered: Ordered::new(redactor),
                inner,
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
        self.send(Event::Other(Other::Marker(label.to_owned(), at)));
    }

    fn on_resize(&mut self, size: TermSize, at: Duration) {
        self.send(Event::Other(Other::Resize(size, at)));
    }

    fn on_redaction(&mut self, redactor: &Arc<Redactor>) {
        self.send(Event::Redaction(Arc::clone(redactor)));
    }
}

/// Gives `inner` what an [`Ordered`] let out.
fn emit(inner: &mut dyn OutputSink, released: Vec<Release<Other>>) {
    for r in released {
        match r {
            Release::Text(text, at) => {
                if !text.is_empty() {
                    inner.on_output(text.as_bytes(), at);
                }
            }
            Release::Event(Other::Marker(label, at)) => inner.on_marker(&label, at),
            Release::Event(Other::Resize(size, at)) => inner.on_resize(size, at),
        }
    }
}

/// The worker of [`redacting_sink`]: until the sink is dropped, then what it holds
/// goes out and `inner` is dropped. Output that waited for the quiet period goes
/// out with the time it arrived.
fn run_worker(rx: &Receiver<Event>, mut ordered: Ordered<Other>, mut inner: Box<dyn OutputSink>) {
    // A pause left a match under way held: it goes out after MATCH_HOLD more quiet.
    let mut under_way = false;
    loop {
        let event = if ordered.holds() {
            let wait = if under_way {
                MATCH_HOLD
            } else {
                LIVE_REDACT_QUIET
            };
            match rx.recv_timeout(wait) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    if under_way {
                        emit(&mut *inner, ordered.flush());
                        under_way = false;
                    } else {
                        emit(&mut *inner, ordered.pause());
                        under_way = ordered.holds();
                    }
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
        under_way = false;
        match event {
            Event::Output(bytes, at) => emit(&mut *inner, ordered.output(&bytes, at)),
            Event::Other(other) => emit(&mut *inner, ordered.event(other)),
            Event::Redaction(redactor) => ordered.set_redactor(redactor),
        }
    }
    emit(&mut *inner, ordered.finish());
}

/// [`redacting_sink`] without its thread: each batch is shown at once (as if the
/// output paused after it), so only a secret cut by a batch boundary can show its
/// beginning.
struct InlineSink {
    ordered: Ordered<Other>,
    inner: Box<dyn OutputSink>,
}

impl OutputSink for InlineSink {
    fn on_output(&mut self, bytes: &[u8], at: Duration) {
        let mut out = self.ordered.output(bytes, at);
        out.extend(self.ordered.flush());
        emit(&mut *self.inner, out);
    }

    fn on_marker(&mut self, label: &str, at: Duration) {
        let out = self.ordered.event(Other::Marker(label.to_owned(), at));
        emit(&mut *self.inner, out);
    }

    fn on_resize(&mut self, size: TermSize, at: Duration) {
        let out = self.ordered.event(Other::Resize(size, at));
        emit(&mut *self.inner, out);
    }

    fn on_redaction(&mut self, redactor: &Arc<Redactor>) {
        self.ordered.set_redactor(Arc::clone(redactor));
    }
}

impl Drop for InlineSink {
    fn drop(&mut self) {
        let out = self.ordered.finish();
        emit(&mut *self.inner, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Instant;

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
    fn a_pause_holds_what_may_be_a_secrets_beginning() {
        let mut l = live();
        assert_eq!(text(l.push(b"pass: hunt")), "");
        assert_eq!(text(l.pause()), "pass: ", "`hunt` may begin `hunter2`");
        assert_eq!(text(l.push(b"er")), "");
        assert_eq!(text(l.pause()), "", "`hunter` still may");
        assert_eq!(text(l.push(b"2 ok\n")), "******* ok\n");
        assert_eq!(text(l.push(b"the hun")), "");
        assert_eq!(text(l.pause()), "the ");
        assert_eq!(text(l.push(b"ting")), "");
        assert_eq!(text(l.pause()), "hunting", "no longer a possible match");
        assert_eq!(text(l.push(b" sk-")), "");
        assert_eq!(text(l.pause()), " ", "`sk-` needs a word character more");
        assert_eq!(text(l.flush()), "sk-", "the hold is over: out as it is");
        assert_eq!(text(l.push(b"a1\n")), "**\n", "the match goes on masked");
        assert_eq!(text(l.push(b"key=sk-ab")), "");
        assert_eq!(
            text(l.pause()),
            "key=*****",
            "a whole match is shown masked"
        );
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
        assert_eq!(out.len(), long.len() - HOLD_BACK, "its end is held back");
        assert!(out.chars().all(|c| c == 'x'));
        let rest = text(l.push(b"cd ok\n"));
        assert!(rest.ends_with("xx******* ok\n"), "masked whole: {rest}");

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
    fn a_secret_split_at_the_long_line_cut_is_masked_whole() {
        let mut l = LiveRedactor::new(redactor(&["zq9xk7vw[a-z0-9]+"]));
        let mut first = "y".repeat(4090);
        first.push_str("zq9xk7vw");
        let mut out = text(l.push(first.as_bytes()));
        out.push_str(&text(l.push(b"qj3mpp8t yy\n")));
        assert_eq!(out, format!("{}{} yy\n", "y".repeat(4090), "*".repeat(16)));
    }

    #[test]
    fn a_switch_of_patterns_applies_both_to_the_line_under_way() {
        let mut l = LiveRedactor::new(redactor(&["sk-\\w+"]));
        assert_eq!(text(l.push(b"$ ")), "");
        l.set_redactor(redactor(&["sk-\\w+", ".+"]));
        assert_eq!(text(l.push(b"run\nsecret\n")), "*****\n******\n");
        l.set_redactor(redactor(&["sk-\\w+"]));
        assert_eq!(text(l.push(b"ok\n")), "ok\n", "no line under way: at once");
        assert_eq!(text(l.push(b"tail")), "");
        l.set_redactor(redactor(&[".+"]));
        l.set_redactor(redactor(&["sk-\\w+"]));
        assert_eq!(text(l.push(b" end\nsk-1 x\n")), "********\n**** x\n");
    }

    #[test]
    fn events_wait_behind_a_held_line_and_pieces_keep_their_times() {
        let mut o: Ordered<&str> = Ordered::new(redactor(&["zq9xk7vw[a-z0-9]+"]));
        let t = Duration::from_millis;
        assert_eq!(o.event("first"), [Release::Event("first")]);
        assert!(o.output(b"a zq9x", t(1)).is_empty());
        assert!(o.event("marker").is_empty());
        assert!(o.output(b"k7vw", t(2)).is_empty());
        assert!(o.event("resize").is_empty());
        assert!(o.holds());
        assert_eq!(
            o.output("qj3m é\nnext".as_bytes(), t(3)),
            [
                Release::Text("a ****".into(), t(1)),
                Release::Event("marker"),
                Release::Text("****".into(), t(2)),
                Release::Event("resize"),
                Release::Text("**** é\n".into(), t(3)),
            ]
        );
        assert!(o.event("after").is_empty());
        assert!(o.output(b"\xe2", t(4)).is_empty());
        assert_eq!(
            o.finish(),
            [
                Release::Text("next".into(), t(3)),
                Release::Event("after"),
                Release::Text("\u{fffd}".into(), t(4)),
            ]
        );
        assert!(!o.holds());
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
