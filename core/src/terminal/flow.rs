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

    /// The pipeline handed `n` bytes to every consumer; acknowledging ones now owe them.
    pub fn on_delivered(&self, n: usize) {
        let mut st = self.lock();
        st.queued = st.queued.saturating_sub(n);
        for owed in st.unacked.values_mut() {
            *owed += n;
        }
        self.update(&mut st);
    }

    /// The pipeline kept `n` bytes from every consumer (hidden setup output): none owe them.
    pub fn on_discarded(&self, n: usize) {
        let mut st = self.lock();
        st.queued = st.queued.saturating_sub(n);
        self.update(&mut st);
    }

    /// `n` bytes that did not come from the PTY (a recording played back) were
    /// handed to every consumer: acknowledging ones owe them too.
    pub fn on_injected(&self, n: usize) {
        let mut st = self.lock();
        for owed in st.unacked.values_mut() {
            *owed += n;
        }
        self.update(&mut st);
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
        flow.on_delivered(60);
        flow.on_read(50);
        assert_eq!(flow.stats().pauses, 1);
        flow.on_delivered(50);
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
        flow.on_delivered(20);
        assert!(flow.lock().paused);
        flow.remove_consumer(7);
        assert!(!flow.lock().paused);
        flow.close();
        assert!(!flow.wait_for_room());
    }
}
