//! Capture: what a presenter takes away from a rehearsal.
//!
//! - `snapshot`: a terminal's screen (from the screen model, or a cast replayed into
//!   one) as SVG, and PNG rendered from it with a bundled font.
//! - `bundle`: the backup bundle, one self-contained HTML file (or a folder) that
//!   plays a rehearsal offline.

pub mod bundle;
pub mod png;
pub mod snapshot;
pub mod svg;
