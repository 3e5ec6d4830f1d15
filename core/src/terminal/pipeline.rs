//! The output path of one terminal:
//!
//! ```text
//! PTY -> reader thread -> (channel) -> pipeline thread: batcher -> OSC 133 scan
//!                                          -> screen model -> sinks (recorder, UI)
//!                                          -> tracker (shell state, output text)
//! ```
//!
//! The reader stops reading while [`FlowControl`] says too much is buffered, so
//! memory stays bounded and nothing is dropped: the child blocks on its writes. A
//! window's view that falls behind does not hold the reader back for long: it skips
//! frames and is resynced from the screen model (see [`super::frames`]).
//!
//! While [`Shared::muted`] is set (hidden setup lines run), what is read goes to the
//! OSC 133 scan and the tracker only: the screen model and the sinks never see it.
//! The flag is read when the bytes are read, so output that came before it was set
//! is never hidden, and a batch never mixes muted and shown bytes.

use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use super::batcher::{BatchLimits, Batcher};
use super::error::{Result, TerminalError};
use super::flow::FlowControl;
use super::frames::{self, ViewLag};
use super::osc133::Osc133Scanner;
use super::screen::{Screen, ScreenSnapshot, TermSize};
use super::sink::{OutputSink, SinkId};
use super::tracker::Tracker;
use crate::record::live_redact::LiveRedactor;
use crate::record::redact::Redactor;

/// Size of one PTY read.
const READ_BUF: usize = 64 * 1024;

/// The screen model and the attached sinks, updated together under one lock, so a
/// late-joining window gets a snapshot and then exactly the bytes that follow it.
pub struct Outputs {
    pub screen: Screen,
    /// The screen as a masked view shows it, when the terminal's runbook redacts.
    masked: Option<MaskedScreen>,
    sinks: Vec<Attached>,
    /// The redaction set by [`Outputs::redaction`], given to each sink that joins
    /// after it (a window attached while a masked block runs).
    redaction: Option<Arc<Redactor>>,
}

/// A sink and, for a view that may skip frames, where it stands.
struct Attached {
    id: SinkId,
    sink: Box<dyn OutputSink>,
    lag: Option<ViewLag>,
}

impl Attached {
    /// Hands `bytes` to the sink; false if it panicked (it is then detached).
    ///
    /// The bytes are owed before the sink has them: a view may acknowledge them at
    /// once (from its own thread, or inside `on_output`), and an acknowledgement
    /// counted before its debt would leave the debt standing for good. A view owing
    /// bytes it drew long ago is never resynced again, and its terminal freezes.
    fn send(&mut self, bytes: &[u8], at: std::time::Duration, flow: &FlowControl) -> bool {
        flow.owe(self.id.0, bytes.len());
        let sink = &mut self.sink;
        let ok = std::panic::catch_unwind(AssertUnwindSafe(|| sink.on_output(bytes, at))).is_ok();
        if !ok {
            tracing::error!(sink = self.id.0, "an output sink panicked: detached");
        }
        ok
    }

    /// Sends the view the screen's whole state if it skipped output and is due.
    fn resync_if_due(
        &mut self,
        screen: &Screen,
        at: std::time::Duration,
        flow: &FlowControl,
        quiet: bool,
    ) -> bool {
        let Some(lag) = &mut self.lag else {
            return true;
        };
        let alternate = screen.alternate_screen();
        let now = Instant::now();
        if !lag.resync_due(flow.owed(self.id.0), now, quiet, alternate) {
            return true;
        }
        lag.resynced(alternate, now);
        flow.on_resync();
        let state = screen.resync();
        tracing::debug!(sink = self.id.0, bytes = state.len(), "view resynced");
        self.send(&state, at, flow)
    }
}

/// A second screen model fed with the output as masked views get it. A view that
/// attaches late starts from it: what a `{"redact": true}` block printed stays
/// masked on it after the block ended, which no masking of the plain screen could
/// tell apart from the rest.
struct MaskedScreen {
    live: LiveRedactor,
    screen: Screen,
}

impl MaskedScreen {
    /// Draws the unfinished end of the output that the redaction still holds, as a
    /// view would after a pause (a secret's possible beginning stays held).
    fn catch_up(&mut self) {
        let held = self.live.pause();
        self.screen.feed(&held);
    }
}

impl Outputs {
    /// `masked`: the patterns to keep a masked screen with (see
    /// [`crate::terminal::SessionOptions::masked_screen`]).
    pub fn new(screen: Screen, masked: Option<Arc<Redactor>>) -> Self {
        let masked = masked.map(|redactor| MaskedScreen {
            live: LiveRedactor::new(redactor),
            screen: Screen::new(screen.size(), 0),
        });
        Self {
            screen,
            masked,
            sinks: Vec::new(),
            redaction: None,
        }
    }

    /// Tells every sink, and those that join later, to mask with `redactor`.
    pub fn redaction(&mut self, redactor: &Arc<Redactor>) {
        for attached in &mut self.sinks {
            attached.sink.on_redaction(redactor);
        }
        if let Some(masked) = &mut self.masked {
            masked.live.set_redactor(Arc::clone(redactor));
        }
        self.redaction = Some(Arc::clone(redactor));
    }

    /// The screen as a masked view shows it: the masked screen if one is kept, else
    /// the screen itself (which the caller masks as best it can).
    pub fn masked_snapshot(&mut self) -> ScreenSnapshot {
        match &mut self.masked {
            Some(masked) => {
                masked.catch_up();
                masked.screen.snapshot()
            }
            None => self.screen.snapshot(),
        }
    }

    /// The redaction last set, if any.
    pub fn current_redaction(&self) -> Option<Arc<Redactor>> {
        self.redaction.clone()
    }

    /// Feeds the screen and every sink, and tells `flow` what each acknowledging
    /// sink now owes. A view that is behind skips the batch (and is resynced when
    /// due). A sink that panics is detached (its id is returned); the terminal and
    /// the other sinks go on.
    pub(crate) fn deliver(
        &mut self,
        batch: &[u8],
        started: Instant,
        flow: &FlowControl,
    ) -> Vec<SinkId> {
        self.screen.feed(batch);
        if let Some(masked) = &mut self.masked {
            let shown = masked.live.push(batch);
            masked.screen.feed(&shown);
        }
        let at = started.elapsed();
        let now = Instant::now();
        let screen = &self.screen;
        let mut failed = Vec::new();
        self.sinks.retain_mut(|attached| {
            let id = attached.id.0;
            let admitted = match &mut attached.lag {
                Some(lag) => lag.admit(flow.owed(id), now),
                None => true,
            };
            let ok = (!admitted || attached.send(batch, at, flow))
                && attached.resync_if_due(screen, at, flow, false);
            if !ok {
                failed.push(attached.id);
            }
            ok
        });
        failed
    }

    /// Output is quiet: views that skipped are resynced as soon as they caught up.
    /// Returns whether one is still behind (to be looked at again).
    pub(crate) fn resync_quiet_views(
        &mut self,
        started: Instant,
        flow: &FlowControl,
    ) -> (bool, Vec<SinkId>) {
        let at = started.elapsed();
        let screen = &self.screen;
        let mut failed = Vec::new();
        self.sinks.retain_mut(|attached| {
            let ok = attached.resync_if_due(screen, at, flow, true);
            if !ok {
                failed.push(attached.id);
            }
            ok
        });
        (self.any_view_behind(), failed)
    }

    /// Whether a view skips output now.
    pub(crate) fn any_view_behind(&self) -> bool {
        self.sinks
            .iter()
            .any(|a| a.lag.as_ref().is_some_and(ViewLag::is_behind))
    }

    /// Attaches a sink. `skips`: it is a view that acknowledges what it drew and may
    /// skip frames when it falls behind (a plain view; masked views get every byte,
    /// since their masking is a stream).
    pub fn add(&mut self, id: SinkId, mut sink: Box<dyn OutputSink>, skips: bool) {
        if let Some(redactor) = &self.redaction {
            sink.on_redaction(redactor);
        }
        self.sinks.push(Attached {
            id,
            sink,
            lag: skips.then(ViewLag::default),
        });
    }

    pub fn remove(&mut self, id: SinkId) -> bool {
        let before = self.sinks.len();
        self.sinks.retain(|a| a.id != id);
        self.sinks.len() != before
    }

    pub fn marker(&mut self, label: &str, started: Instant) {
        let at = started.elapsed();
        for attached in &mut self.sinks {
            attached.sink.on_marker(label, at);
        }
    }

    pub fn resize(&mut self, size: TermSize, started: Instant) {
        self.screen.resize(size);
        if let Some(masked) = &mut self.masked {
            masked.catch_up();
            masked.screen.resize(size);
        }
        let at = started.elapsed();
        for attached in &mut self.sinks {
            attached.sink.on_resize(size, at);
        }
    }
}

/// What the threads of one terminal share.
pub struct Shared {
    pub name: String,
    pub started: Instant,
    pub flow: FlowControl,
    pub outputs: Mutex<Outputs>,
    pub tracker: Tracker,
    /// Output read while set reaches neither the screen model nor any sink.
    pub muted: AtomicBool,
    next_sink: AtomicU64,
}

impl Shared {
    pub fn new(
        name: String,
        flow: FlowControl,
        screen: Screen,
        masked: Option<Arc<Redactor>>,
    ) -> Self {
        Self {
            name,
            started: Instant::now(),
            flow,
            outputs: Mutex::new(Outputs::new(screen, masked)),
            tracker: Tracker::default(),
            muted: AtomicBool::new(false),
            next_sink: AtomicU64::new(1),
        }
    }

    pub fn outputs(&self) -> MutexGuard<'_, Outputs> {
        self.outputs.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn new_sink_id(&self) -> SinkId {
        SinkId(self.next_sink.fetch_add(1, Ordering::Relaxed))
    }
}

fn spawn_named(name: String, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name)
        .spawn(f)
        .map_err(TerminalError::Thread)
}

/// One PTY read, and whether output was muted when it was read.
pub struct Chunk {
    bytes: Vec<u8>,
    muted: bool,
}

/// Starts the reader thread: PTY reads -> `tx`, paced by flow control.
pub fn spawn_reader(
    shared: Arc<Shared>,
    mut reader: Box<dyn Read + Send>,
    tx: Sender<Chunk>,
) -> Result<JoinHandle<()>> {
    spawn_named(format!("pty-read-{}", shared.name), move || {
        let mut buf = vec![0u8; READ_BUF];
        while shared.flow.wait_for_room() {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    shared.flow.on_read(n);
                    let chunk = Chunk {
                        bytes: buf[..n].to_vec(),
                        muted: shared.muted.load(Ordering::SeqCst),
                    };
                    if tx.send(chunk).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::debug!(terminal = %shared.name, error = %e, "PTY read ended");
                    break;
                }
            }
        }
        tracing::debug!(terminal = %shared.name, "PTY reader finished");
    })
}

/// Starts the pipeline thread: batches from `rx` -> screen, sinks, tracker.
pub fn spawn_pipeline(
    shared: Arc<Shared>,
    rx: Receiver<Chunk>,
    limits: BatchLimits,
) -> Result<JoinHandle<()>> {
    spawn_named(format!("pty-out-{}", shared.name), move || {
        let mut pipeline = Pipeline::new(shared, limits);
        pipeline.run(&rx);
    })
}

struct Pipeline {
    shared: Arc<Shared>,
    batcher: Batcher,
    scanner: Osc133Scanner,
    marks: Vec<(usize, super::osc133::Mark)>,
    /// Whether the batch being gathered is muted output.
    batch_muted: bool,
}

impl Pipeline {
    fn new(shared: Arc<Shared>, limits: BatchLimits) -> Self {
        Self {
            shared,
            batcher: Batcher::new(limits),
            scanner: Osc133Scanner::new(),
            marks: Vec::new(),
            batch_muted: false,
        }
    }

    fn run(&mut self, rx: &Receiver<Chunk>) {
        let mut views_behind = false;
        loop {
            let tick = views_behind.then(|| Instant::now() + frames::TICK);
            let next = match self.batcher.deadline().into_iter().chain(tick).min() {
                Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match next {
                Ok(chunk) => {
                    if chunk.muted != self.batch_muted {
                        self.flush();
                        self.batch_muted = chunk.muted;
                    }
                    if self.batcher.push(&chunk.bytes, Instant::now()) {
                        self.flush();
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    let pending = self.batcher.deadline().is_some();
                    self.flush();
                    if !pending {
                        views_behind = self.resync_quiet_views();
                        continue;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            views_behind = self.shared.outputs().any_view_behind();
        }
        self.flush();
        self.resync_quiet_views();
        self.shared.tracker.update(|st| st.eof = true);
    }

    /// See [`Outputs::resync_quiet_views`].
    fn resync_quiet_views(&self) -> bool {
        let (behind, failed) = self
            .shared
            .outputs()
            .resync_quiet_views(self.shared.started, &self.shared.flow);
        for id in failed {
            self.shared.flow.remove_consumer(id.0);
        }
        behind
    }

    fn flush(&mut self) {
        let batch = self.batcher.take();
        if batch.is_empty() {
            return;
        }
        self.marks.clear();
        self.scanner.scan(&batch, &mut self.marks);
        if !self.batch_muted {
            let flow = &self.shared.flow;
            let failed = self
                .shared
                .outputs()
                .deliver(&batch, self.shared.started, flow);
            for id in failed {
                flow.remove_consumer(id.0);
            }
        }
        self.shared.flow.on_processed(batch.len());
        self.shared.tracker.on_batch(&batch, &self.marks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terminal::flow::FlowLimits;

    /// A view that acknowledges each batch as it is handed it, as the sink contract
    /// allows, and as a fast view's thread can before the pipeline moves on.
    struct AcksAtOnce {
        flow: Arc<FlowControl>,
        id: u64,
    }

    impl OutputSink for AcksAtOnce {
        fn on_output(&mut self, bytes: &[u8], _at: std::time::Duration) {
            self.flow.ack(self.id, bytes.len());
        }
    }

    #[test]
    fn a_view_that_acknowledges_at_once_owes_nothing_and_never_falls_behind() {
        let flow = Arc::new(FlowControl::new(FlowLimits::default()));
        let mut outputs = Outputs::new(Screen::new(TermSize::default(), 100), None);
        let id = SinkId(1);
        flow.add_consumer(id.0);
        let sink = AcksAtOnce {
            flow: Arc::clone(&flow),
            id: id.0,
        };
        outputs.add(id, Box::new(sink), true);
        let started = Instant::now();
        let line = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n";
        let batch = line.repeat(1024);
        for _ in 0..20 {
            let failed = outputs.deliver(&batch, started, &flow);
            assert!(failed.is_empty());
        }
        assert_eq!(
            flow.owed(id.0),
            0,
            "every byte handed over was acknowledged"
        );
        assert!(!outputs.any_view_behind(), "a view that drew everything");
        assert_eq!(flow.stats().resyncs, 0);
    }
}
