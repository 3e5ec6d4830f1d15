//! The presentation state: which steps run, in what order, and what came of them.
//!
//! - [`run_all`]: run a runbook's steps in order in real terminals (rehearsal, Run All).
//! - [`block`]: run one block: its gate, then all its parts (terminals) at once.
//! - [`rehearse`]: a recorded rehearsal (run_all + recorder + probe samples).
//! - [`terminals`]: how a runbook's terminals start (folder, shell, env).
//! - [`gate`]: readiness gates (`waitFor`): a block runs once its services are up.
//! - [`state`]: the show state both windows share (step, modes, timer, blank, audience),
//!   changed by typed commands and published to every subscriber; [`timer`] its clock.
//! - [`junit`]: a rehearsal's report as JUnit XML, for CI systems.
//! - [`audience`]: what the audience window receives: the runbook without its notes, redacted.
//! - [`presenter`]: the runbook as the presenter window shows it: masked, unless the
//!   front matter lets the presenter see secrets.

pub mod audience;
pub mod block;
pub mod gate;
pub mod junit;
pub mod presenter;
pub mod rehearse;
pub mod run_all;
pub mod state;
pub mod terminals;
pub mod timer;
