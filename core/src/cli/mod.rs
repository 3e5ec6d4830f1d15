//! The `cuedeck` subcommands. Each returns the process exit code.

pub mod check;
pub mod demo_service;
pub mod export;
pub mod play;
pub mod preflight;
pub mod rehearsals;
pub mod rehearse;
pub mod snapshot;
