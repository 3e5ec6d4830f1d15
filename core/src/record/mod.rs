//! Rehearsal recordings and their playback.
//!
//! - [`cast`]: the asciicast format; the reader (v1, v2, v3, tolerant of a cut last
//!   line, naming corrupt lines).
//! - [`writer`]: a terminal's cast written as it happens ([`writer::CastSink`]).
//! - [`samples`]: probe and system samples beside the casts, as JSON lines.
//! - [`redact`]: secrets masked before anything is written.
//! - [`live_redact`]: secrets masked in a live view (the audience window) as it streams.
//! - [`manifest`], [`store`]: a rehearsal folder's manifest; where folders live and
//!   which recording stands in for each step (latest passing, flagged stale).
//! - [`rehearsal`]: recording one rehearsal ([`rehearsal::Recorder`]).
//! - [`playback`]: a step's segment replayed at its recorded pace.
//! - [`check`]: a rehearsal folder verified (manifest against casts).

pub mod cast;
pub mod check;
pub mod live_redact;
pub mod manifest;
pub mod playback;
pub mod redact;
pub mod rehearsal;
pub mod samples;
pub mod store;
pub mod writer;

pub use rehearsal::{RecordError, Recorder};
