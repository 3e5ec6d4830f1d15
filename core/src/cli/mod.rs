//! The `cuedeck` subcommands. Each returns the process exit code.

pub mod check;
pub mod demo_service;
pub mod preflight;
pub mod rehearse;
