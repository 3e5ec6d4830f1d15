//! Flow control between a PTY reader and the consumers of its output.
//!
//! Bytes are *buffered* from the moment the reader reads them until every
//! acknowledging consumer (a UI window rendering them) has acknowledged them; bytes
//! only queued for the pipeline count too. Above the high watermark the reader stops
//! reading the PTY (the child then blocks on write: nothing is dropped); it resumes
//! once the buffered bytes fall below the low watermark. Consumers that do not
//! acknowledge (recorder, headless runs) never hold the reader back.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};

/// Watermarks, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowLimits {
    pub high: usize,
    pub low: usize,
}

impl Default for FlowLimits {
    fn default() -> Self {
        Self {
            high: 1024 * 1024,
            low: 256 * 1024,
        }
    }
}

/// Counters of the flow of one terminal, for tests, benchmarks and diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// Bytes read from the PTY so far.
    pub read: u64,
    /// Bytes read but not yet processed or acknowledged.
    pub buffered: usize,
    /// The most bytes ever buffered at once.
    pub max_buffered: usize,
    /// How many times the reader was paused at the high watermark.
    pub pauses: u64,
    /// How many times a view that fell behind was sent the whole screen state
    /// instead of the bytes it skipped (see [`super::frames`]).
    pub resyncs: u64,
}

#[derive(Debug, Default)]
struct State {
    queued: usize,
    unacked: BTreeMap<u64, usize>,
    paused: bool,
    closed: bool,
    stats: FlowStats,
}

impl State {
    fn buffered(&self) -> usize {
        self.queued + self.unacked.values().copied().max().unwrap_or(0)
    }
}

/// Shared between the reader thread, the pipeline thread and acknowledging consumers.
#[derive(Debug)]
pub struct FlowControl {
    limits: FlowLimits,
    state: Mutex<State>,
    cond: Condvar,
}

impl FlowControl {
    pub fn new(limits: FlowLimits) -> Self {
        Self {
            limits,
            state: Mutex::new(State::default()),
            cond: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocks the reader while paused. Returns false once closed.
    pub fn wait_for_room(&self) -> bool {
        let mut st = self.lock();
        while st.paused && !st.closed {
            st = self.cond.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        !st.closed
    }

    /// The reader read `n` bytes.
    pub fn on_read(&self, n: usize) {
        let mut st = self.lock();
        st.queued += n;
        st.stats.read += n as u64;
        self.update(&mut st);
    }

    /// The pipeline took `n` queued bytes (handed them on, or kept them from every
    /// consumer: hidden setup output).
    pub fn on_processed(&self, n: usize) {
        let mut st = self.lock();
        st.queued = st.queued.saturating_sub(n);
        self.update(&mut st);
    }

    /// `n` bytes were handed to the consumer `id`: if it acknowledges, it owes them.
    pub fn owe(&self, id: u64, n: usize) {
        let mut st = self.lock();
        if let Some(owed) = st.unacked.get_mut(&id) {
            *owed += n;
            self.update(&mut st);
        }
    }

    /// Bytes the consumer `id` was handed and has not acknowledged (0 if it does
    /// not acknowledge).
    pub fn owed(&self, id: u64) -> usize {
        self.lock().unacked.get(&id).copied().unwrap_or(0)
    }

    /// A view that skipped output was sent the whole screen state.
    pub fn on_resync(&self) {
        self.lock().stats.resyncs += 1;
    }

    /// A consumer that acknowledges bytes was attached.
    pub fn add_consumer(&self, id: u64) {
        self.lock().unacked.insert(id, 0);
    }

    /// The consumer is gone: what it owed no longer holds the reader back.
    pub fn remove_consumer(&self, id: u64) {
        let mut st = self.lock();
        st.unacked.remove(&id);
        self.update(&mut st);
    }

    /// The consumer `id` has rendered `n` more bytes.
    pub fn ack(&self, id: u64, n: usize) {
        let mut st = self.lock();
        if let Some(owed) = st.unacked.get_mut(&id) {
            *owed = owed.saturating_sub(n);
        }
        self.update(&mut st);
    }

    /// Wakes the reader for good.
    pub fn close(&self) {
        self.lock().closed = true;
        self.cond.notify_all();
    }

    pub fn stats(&self) -> FlowStats {
        let st = self.lock();
        FlowStats {
            buffered: st.buffered(),
            ..st.stats
        }
    }

    fn update(&self, st: &mut State) {
        let buffered = st.buffered();
        st.stats.max_buffered = st.stats.max_buffered.max(buffered);
        if !st.paused && buffered >= self.limits.high {
            st.paused = true;
            st.stats.pauses += 1;
        } else if st.paused && buffered <= self.limits.low {
            st.paused = false;
            self.cond.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_above_high_and_resumes_below_low() {
        let flow = FlowControl::new(FlowLimits { high: 100, low: 20 });
        flow.add_consumer(1);
        flow.on_read(60);
        flow.on_processed(60);
        flow.owe(1, 60);
        flow.on_read(50);
        assert_eq!(flow.stats().pauses, 1);
        flow.on_processed(50);
        flow.owe(1, 50);
        flow.ack(1, 60);
        assert!(flow.lock().paused, "50 owed is above the low watermark");
        flow.ack(1, 40);
        assert!(!flow.lock().paused);
        assert!(flow.wait_for_room());
        assert_eq!(flow.stats().max_buffered, 110);
    }

    #[test]
    fn removing_a_consumer_releases_the_reader() {
        let flow = FlowControl::new(FlowLimits { high: 10, low: 5 });
        flow.add_consumer(7);
        flow.on_read(20);
        flow.on_processed(20);
        flow.owe(7, 20);
        assert_eq!(flow.owed(7), 20);
        assert!(flow.lock().paused);
        flow.remove_consumer(7);
        assert!(!flow.lock().paused);
        flow.close();
        assert!(!flow.wait_for_room());
    }
}
