//! The output path of one terminal:
//!
//! ```text
//! PTY -> reader thread -> (channel) -> pipeline thread: batcher -> OSC 133 scan
//!                                          -> screen model -> sinks (recorder, UI)
//!                                          -> tracker (shell state, output text)
//! ```
//!
//! The reader stops reading while [`FlowControl`] says too much is buffered, so
//! memory stays bounded and nothing is dropped: the child blocks on its writes.

use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use super::batcher::{BatchLimits, Batcher};
use super::error::{Result, TerminalError};
use super::flow::FlowControl;
use super::osc133::Osc133Scanner;
use super::screen::{Screen, TermSize};
use super::sink::{OutputSink, SinkId};
use super::tracker::Tracker;

/// Size of one PTY read.
const READ_BUF: usize = 64 * 1024;

/// The screen model and the attached sinks, updated together under one lock, so a
/// late-joining window gets a snapshot and then exactly the bytes that follow it.
pub struct Outputs {
    pub screen: Screen,
    sinks: Vec<(SinkId, Box<dyn OutputSink>)>,
}

impl Outputs {
    pub fn new(screen: Screen) -> Self {
        Self {
            screen,
            sinks: Vec::new(),
        }
    }

    /// Feeds the screen and every sink. A sink that panics is detached (its id is
    /// returned); the terminal and the other sinks go on.
    pub(crate) fn deliver(&mut self, batch: &[u8], started: Instant) -> Vec<SinkId> {
        self.screen.feed(batch);
        let at = started.elapsed();
        let mut failed = Vec::new();
        self.sinks.retain_mut(|(id, sink)| {
            let call = AssertUnwindSafe(|| sink.on_output(batch, at));
            let ok = std::panic::catch_unwind(call).is_ok();
            if !ok {
                tracing::error!(sink = id.0, "an output sink panicked: detached");
                failed.push(*id);
            }
            ok
        });
        failed
    }

    pub fn add(&mut self, id: SinkId, sink: Box<dyn OutputSink>) {
        self.sinks.push((id, sink));
    }

    pub fn remove(&mut self, id: SinkId) -> bool {
        let before = self.sinks.len();
        self.sinks.retain(|(sid, _)| *sid != id);
        self.sinks.len() != before
    }

    pub fn marker(&mut self, label: &str, started: Instant) {
        let at = started.elapsed();
        for (_, sink) in &mut self.sinks {
            sink.on_marker(label, at);
        }
    }

    pub fn resize(&mut self, size: TermSize, started: Instant) {
        self.screen.resize(size);
        let at = started.elapsed();
        for (_, sink) in &mut self.sinks {
            sink.on_resize(size, at);
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
    next_sink: AtomicU64,
}

impl Shared {
    pub fn new(name: String, flow: FlowControl, screen: Screen) -> Self {
        Self {
            name,
            started: Instant::now(),
            flow,
            outputs: Mutex::new(Outputs::new(screen)),
            tracker: Tracker::default(),
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

/// Starts the reader thread: PTY reads -> `tx`, paced by flow control.
pub fn spawn_reader(
    shared: Arc<Shared>,
    mut reader: Box<dyn Read + Send>,
    tx: Sender<Vec<u8>>,
) -> Result<JoinHandle<()>> {
    spawn_named(format!("pty-read-{}", shared.name), move || {
        let mut buf = vec![0u8; READ_BUF];
        while shared.flow.wait_for_room() {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    shared.flow.on_read(n);
                    if tx.send(buf[..n].to_vec()).is_err() {
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
    rx: Receiver<Vec<u8>>,
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
}

impl Pipeline {
    fn new(shared: Arc<Shared>, limits: BatchLimits) -> Self {
        Self {
            shared,
            batcher: Batcher::new(limits),
            scanner: Osc133Scanner::new(),
            marks: Vec::new(),
        }
    }

    fn run(&mut self, rx: &Receiver<Vec<u8>>) {
        loop {
            let next = match self.batcher.deadline() {
                Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match next {
                Ok(chunk) => {
                    if self.batcher.push(&chunk, Instant::now()) {
                        self.flush();
                    }
                }
                Err(RecvTimeoutError::Timeout) => self.flush(),
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self.flush();
        self.shared.tracker.update(|st| st.eof = true);
    }

    fn flush(&mut self) {
        let batch = self.batcher.take();
        if batch.is_empty() {
            return;
        }
        self.marks.clear();
        self.scanner.scan(&batch, &mut self.marks);
        let failed = self.shared.outputs().deliver(&batch, self.shared.started);
        for id in failed {
            self.shared.flow.remove_consumer(id.0);
        }
        self.shared.flow.on_delivered(batch.len());
        self.shared.tracker.on_batch(&batch, &self.marks);
    }
}
