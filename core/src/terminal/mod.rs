//! The terminal engine: real shells in pseudo-terminals, steps typed at their
//! prompts and followed to their end, and the output path to screen, recorder and UI.
//!
//! - [`Session`]: one interactive shell in a PTY (portable-pty), started with shell
//!   integration ([`shell_integration`]) so its OSC 133 marks tell where each
//!   command's output starts and ends and its exit code ([`osc133`], tracker).
//! - Steps ([`StepRequest`] -> [`StepOutcome`], run by `runner`): commands (one
//!   bracketed paste each at a fresh prompt, or typed visibly by `typing`),
//!   background long-runners and interactive programs (ready by `readiness`: expect,
//!   port, an up line, a prompt, quiet output), input lines and control keys for a
//!   running program, hidden setup lines (muted output); Stop escalates
//!   Ctrl-C -> SIGTERM -> SIGKILL ([`stop`]); Restart runs the last command again.
//! - Output: reader thread -> [`batcher`] -> screen model ([`screen`], vt100) +
//!   [`OutputSink`]s (recorder, UI) + tracker, paced by [`flow`] control.
//! - [`TerminalManager`]: the named terminals of a runbook; closes them all on drop.
//!
//! The API is blocking: call it from a worker thread (`spawn_blocking` in Tauri).

pub mod batcher;
mod error;
pub mod flow;
pub mod frames;
mod manager;
pub mod osc133;
mod pipeline;
mod readiness;
mod runner;
pub mod screen;
mod scrollback;
mod session;
pub mod shell_integration;
mod sink;
mod step;
pub mod stop;
pub mod text;
mod tracker;
mod typing;

pub use batcher::BatchLimits;
pub use error::{Result, TerminalError};
pub use flow::{FlowLimits, FlowStats};
pub use manager::{StartHook, TerminalManager};
pub use readiness::{PROMPT_SETTLE, QUIET};
pub use runner::{StopOutcome, HIDDEN_SETUP_MARKER};
pub use screen::{ScreenSnapshot, TermSize};
pub use session::{Session, SessionOptions, Timeouts};
pub use shell_integration::ShellKind;
pub use sink::{Acknowledge, OutputSink, SinkId};
pub use step::{
    parts_of_block, CommandOutcome, InputItem, ReadyBy, StepAction, StepOutcome, StepRequest,
    StepStatus, DEFAULT_TERMINAL,
};
pub use tracker::ShellState;
pub use typing::{KEYS_CHUNK, REHEARSAL_CPS};
