//! The `cuedeck` subcommands. Each returns the process exit code.

pub mod check;
