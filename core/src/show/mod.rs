//! The presentation state: which steps run, in what order, and what came of them.
//!
//! - [`run_all`]: run a runbook's steps in order in real terminals (rehearsal, Run All).

pub mod run_all;
