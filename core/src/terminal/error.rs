//! The errors of the terminal engine.

use std::time::Duration;

/// Everything that can go wrong while starting, driving or stopping a terminal.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("could not open a pseudo-terminal: {0}")]
    OpenPty(String),
    #[error("could not start the shell `{shell}`: {reason}")]
    Spawn { shell: String, reason: String },
    #[error("could not write the shell integration files: {0}")]
    Integration(#[source] std::io::Error),
    #[error("could not start a terminal thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("could not write to terminal `{terminal}`: {source}")]
    Write {
        terminal: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not resize terminal `{terminal}`: {reason}")]
    Resize { terminal: String, reason: String },
    #[error("the shell of terminal `{0}` has exited")]
    ShellExited(String),
    #[error("terminal `{0}` has been closed")]
    Closed(String),
    #[error("terminal `{terminal}` did not show a prompt within {waited:?}")]
    NoPrompt { terminal: String, waited: Duration },
    #[error("terminal `{0}` is still running a program: a step is only typed at a fresh prompt")]
    Busy(String),
    #[error(
        "no program is running in terminal `{0}`: input lines would be typed into the shell itself"
    )]
    NoProgramRunning(String),
    #[error("invalid expectation regex `{pattern}`: {reason}")]
    InvalidPattern { pattern: String, reason: String },
    #[error("the step has nothing to run")]
    EmptyStep,
    #[error("nothing has run in terminal `{0}` yet: there is no command to restart")]
    NothingToRestart(String),
}

/// Result alias of the terminal engine.
pub type Result<T, E = TerminalError> = std::result::Result<T, E>;
