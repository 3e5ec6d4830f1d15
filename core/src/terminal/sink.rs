//! Consumers of a terminal's output: the recorder and the UI.
//!
//! The bytes a sink receives are exactly the bytes the PTY produced, in order and
//! batched, OSC 133 marks included (xterm.js, asciinema and vt100 ignore them).
//! Sinks are called on the terminal's pipeline thread: they must be quick and must
//! not call back into the session, except [`super::Session::ack`].

use std::sync::Arc;
use std::time::Duration;

use super::screen::TermSize;
use crate::record::redact::Redactor;

/// Receives a terminal's output. `at` is the time since the terminal started.
pub trait OutputSink: Send {
    /// A batch of raw output bytes.
    fn on_output(&mut self, bytes: &[u8], at: Duration);

    /// A labelled point in the stream: a step's start or end (see [`super::Session::mark`]).
    fn on_marker(&mut self, _label: &str, _at: Duration) {}

    /// The terminal was resized.
    fn on_resize(&mut self, _size: TermSize, _at: Duration) {}

    /// From now on the output is to be masked with `redactor` (a block whose output
    /// is masked whole starts or ends: see [`super::Session::set_redaction`]). Sinks
    /// that redact (a recording, a redacted view) switch to it; others ignore it.
    fn on_redaction(&mut self, _redactor: &Arc<Redactor>) {}
}

/// Any `FnMut(&[u8])` is a sink of output bytes (markers and resizes ignored): the
/// Tauri side wraps `Channel::send(InvokeResponseBody::Raw(bytes.to_vec()))` in one.
impl<F> OutputSink for F
where
    F: FnMut(&[u8]) + Send,
{
    fn on_output(&mut self, bytes: &[u8], _at: Duration) {
        self(bytes)
    }
}

/// Identifies an attached sink, to acknowledge bytes or detach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SinkId(pub(crate) u64);

/// Whether a sink holds the reader back until it acknowledges what it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acknowledge {
    /// The consumer calls [`super::Session::ack`] with each rendered byte count (a UI).
    Required,
    /// The bytes count as consumed once handed over (recorder, tests, headless).
    Never,
}
