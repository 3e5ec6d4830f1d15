//! Coalescing of PTY reads into batches: one frame to the UI per batch, not per read.
//!
//! A batch is flushed when it holds `max_bytes`, or `max_delay` after its first byte.
//! A small read arriving when nothing is pending (a keystroke's echo, a prompt) is
//! flushed at once, so interactive latency does not pay the coalescing delay.

use std::time::{Duration, Instant};

/// How output is coalesced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchLimits {
    pub max_bytes: usize,
    pub max_delay: Duration,
    /// A read at most this long, arriving when no batch is pending, is sent at once.
    pub immediate_below: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024,
            max_delay: Duration::from_millis(4),
            immediate_below: 1024,
        }
    }
}

/// Accumulates reads until a batch is due.
#[derive(Debug)]
pub struct Batcher {
    limits: BatchLimits,
    buf: Vec<u8>,
    started: Option<Instant>,
}

impl Batcher {
    pub fn new(limits: BatchLimits) -> Self {
        Self {
            limits,
            buf: Vec::with_capacity(limits.max_bytes),
            started: None,
        }
    }

    /// Adds a read; returns true when the batch should be flushed now.
    pub fn push(&mut self, chunk: &[u8], now: Instant) -> bool {
        let was_empty = self.buf.is_empty();
        self.buf.extend_from_slice(chunk);
        if was_empty {
            self.started = Some(now);
            if chunk.len() <= self.limits.immediate_below {
                return true;
            }
        }
        self.buf.len() >= self.limits.max_bytes || self.is_due(now)
    }

    /// When the pending batch must be flushed at the latest.
    pub fn deadline(&self) -> Option<Instant> {
        self.started.map(|t| t + self.limits.max_delay)
    }

    pub fn is_due(&self, now: Instant) -> bool {
        self.deadline().is_some_and(|d| now >= d)
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Takes the pending batch (empty if none).
    pub fn take(&mut self) -> Vec<u8> {
        self.started = None;
        std::mem::replace(&mut self.buf, Vec::with_capacity(self.limits.max_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_isolated_read_is_flushed_at_once() {
        let mut b = Batcher::new(BatchLimits::default());
        assert!(b.push(b"x", Instant::now()));
        assert_eq!(b.take(), b"x");
        assert!(b.deadline().is_none());
    }

    #[test]
    fn large_reads_coalesce_until_size_or_delay() {
        let limits = BatchLimits::default();
        let mut b = Batcher::new(limits);
        let t0 = Instant::now();
        let chunk = vec![b'a'; 4096];
        assert!(!b.push(&chunk, t0));
        for _ in 0..14 {
            assert!(!b.push(&chunk, t0));
        }
        assert!(b.push(&chunk, t0), "16 x 4 KiB reaches 64 KiB");
        assert_eq!(b.take().len(), 64 * 1024);
        assert!(!b.push(&chunk, t0));
        assert!(b.is_due(t0 + limits.max_delay));
    }
}
