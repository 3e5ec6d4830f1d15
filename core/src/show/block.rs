//! Running one block the way a presenter does: past its gate (`waitFor`), then every
//! part at once (a block split by `# Terminal N` comments starts all its terminals
//! together), each part's requests in order. A rehearsal and the app's Run both run
//! blocks through here, so they behave alike.

use std::sync::atomic::AtomicBool;

use crate::probe::ServiceStatus;
use crate::record::redact::BlockScope;
use crate::runbook::{CodeBlock, Runbook, Step, Typing};
use crate::show::gate::{self, GateRefused};
use crate::terminal::{
    parts_of_block, StepAction, StepOutcome, StepRequest, StepStatus, TerminalManager,
    REHEARSAL_CPS,
};

/// How commands with a `typing` attribute (or front-matter default) are typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TypingPolicy {
    /// As written: at their speed, or on the presenter's keys (the app).
    #[default]
    AsWritten,
    /// Pasted at once (a rehearsal, unless asked to type).
    FullSpeed,
    /// At their speed; `typing: keys` at [`REHEARSAL_CPS`], as nobody presses keys
    /// (a rehearsal run with `--typing`).
    Unattended,
}

/// What the caller hears while a block runs. Called from the parts' threads.
pub trait BlockProgress: Sync {
    /// The gate waits for services ("waiting for gateway…").
    fn gated(&self, _waiting: &str) {}
    /// A request starts in its terminal.
    fn started(&self, _request: &StepRequest) {}
    /// A request has ended (or is ready).
    fn finished(&self, _request: &StepRequest, _outcome: &StepOutcome) {}
}

/// Hears nothing.
pub struct Quietly;

impl BlockProgress for Quietly {}

/// What came of a block.
#[derive(Debug, Clone)]
pub struct BlockReport {
    /// The services' statuses when the gate let the block through (empty without one).
    pub gate: Result<Vec<ServiceStatus>, GateRefused>,
    /// Every request's outcome: part by part, in order within a part.
    pub outcomes: Vec<StepOutcome>,
}

impl BlockReport {
    /// The outcome that decides the block's status: its last failure, else its last.
    pub fn deciding(&self) -> Option<&StepOutcome> {
        self.outcomes
            .iter()
            .rfind(|o| is_failure(o.status))
            .or(self.outcomes.last())
    }

    /// What the badge says: why it failed, or what made each long-runner ready
    /// ("ready: port 8080", "ready: Node 1: port 5101 · Node 2: quiet 500 ms").
    pub fn summary(&self) -> Option<String> {
        if let Some(failed) = self.outcomes.iter().rfind(|o| is_failure(o.status)) {
            return failed.message.clone();
        }
        let ready: Vec<&StepOutcome> = self
            .outcomes
            .iter()
            .filter(|o| o.ready_by.is_some())
            .collect();
        match ready.as_slice() {
            [] => None,
            [one] => one.ready_by.as_ref().map(|r| r.describe()),
            many => {
                let each: Vec<String> = many
                    .iter()
                    .filter_map(|o| {
                        let by = o.ready_by.as_ref()?.describe();
                        let by = by.strip_prefix("ready: ").unwrap_or(&by).to_string();
                        Some(format!("{}: {by}", o.terminal))
                    })
                    .collect();
                Some(format!("ready: {}", each.join(" · ")))
            }
        }
    }
}

pub fn is_failure(status: StepStatus) -> bool {
    matches!(
        status,
        StepStatus::Failed | StepStatus::TimedOut | StepStatus::Stopped
    )
}

/// Runs `block` of `step`: its gate, then its parts at once. `cancel` ends a wait
/// at the gate (the presenter chose playback instead).
pub fn run_block(
    manager: &TerminalManager,
    runbook: &Runbook,
    step: &Step,
    block: &CodeBlock,
    typing: TypingPolicy,
    cancel: &AtomicBool,
    progress: &dyn BlockProgress,
) -> BlockReport {
    let gate = gate::pass(runbook, block, cancel, |waiting| progress.gated(waiting));
    if gate.is_err() {
        return BlockReport {
            gate,
            outcomes: Vec::new(),
        };
    }
    let mut parts = parts_of_block(&gate::gated_block(block));
    for request in parts.iter_mut().flatten() {
        prepare(request, runbook, step, typing);
    }
    // Hidden setup lines run first, every terminal's at once; then every part at once.
    let (setup, visible): (Vec<_>, Vec<_>) = parts
        .into_iter()
        .map(|part| {
            part.into_iter()
                .partition::<Vec<_>, _>(|r| matches!(r.action, StepAction::Hidden(_)))
        })
        .unzip();
    let split = visible.iter().filter(|p| !p.is_empty()).count() > 1;
    let scope = BlockScope::of(runbook, block);
    let scope = (scope.as_ref(), runbook);
    let mut outcomes = run_at_once(manager, &setup, split, scope, progress);
    if !outcomes.iter().any(|o| is_failure(o.status)) {
        outcomes.extend(run_at_once(manager, &visible, split, scope, progress));
    }
    BlockReport { gate, outcomes }
}

/// How a block's terminals redact: its [`BlockScope`] if it masks its whole output,
/// and the runbook (to go back to the runbook's own after an earlier block's).
type Scope<'a> = (Option<&'a BlockScope>, &'a Runbook);

/// Runs `request` in its terminal under the block's redaction: a block masked whole
/// switches its terminal's sinks to mask everything before it types anything, and
/// back once its command ended (a long-runner's stays until the terminal's next
/// block, as what it prints is its own). A terminal an earlier such block left
/// masked goes back to the runbook's redaction first.
fn run_scoped(
    manager: &TerminalManager,
    request: &StepRequest,
    (scope, runbook): Scope<'_>,
) -> crate::terminal::Result<StepOutcome> {
    let session = manager.session(&request.terminal)?;
    match scope {
        Some(scope) => {
            session.set_redaction(&scope.during);
            let outcome = session.run(request);
            if !matches!(
                request.action,
                StepAction::Background(_) | StepAction::Interactive(_)
            ) {
                session.set_redaction(&scope.after);
            }
            outcome
        }
        None => {
            if session.redaction().is_some() {
                let after = crate::record::redact::Redactor::for_runbook(runbook);
                session.set_redaction(&std::sync::Arc::new(after));
            }
            session.run(request)
        }
    }
}

/// Runs `parts` at the same time (the empty ones skipped), each part's requests in
/// order; the outcomes part by part.
fn run_at_once(
    manager: &TerminalManager,
    parts: &[Vec<StepRequest>],
    split: bool,
    redaction: Scope<'_>,
    progress: &dyn BlockProgress,
) -> Vec<StepOutcome> {
    let parts: Vec<&Vec<StepRequest>> = parts.iter().filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => Vec::new(),
        [only] => run_part(manager, only, split, redaction, progress),
        _ => std::thread::scope(|scope| {
            let running: Vec<_> = parts
                .iter()
                .map(|part| scope.spawn(|| run_part(manager, part, split, redaction, progress)))
                .collect();
            running
                .into_iter()
                .zip(&parts)
                .flat_map(|(thread, part)| {
                    thread.join().unwrap_or_else(|_| {
                        vec![could_not_run(&part[0], "its runner panicked (a bug)")]
                    })
                })
                .collect()
        }),
    }
}

/// One part's requests in order, up to the first failure. In a split block the
/// outcome's message names the part's terminal.
fn run_part(
    manager: &TerminalManager,
    part: &[StepRequest],
    split: bool,
    redaction: Scope<'_>,
    progress: &dyn BlockProgress,
) -> Vec<StepOutcome> {
    let mut outcomes = Vec::new();
    for request in part {
        progress.started(request);
        let mut outcome = run_scoped(manager, request, redaction)
            .unwrap_or_else(|e| could_not_run(request, &e.to_string()));
        let failed = is_failure(outcome.status);
        if failed && split {
            let why = outcome.message.take().unwrap_or_else(|| {
                let exit = outcome
                    .exit_code
                    .map_or_else(|| "none".into(), |c| c.to_string());
                format!("{:?} (exit {exit})", outcome.status).to_lowercase()
            });
            outcome.message = Some(format!("terminal `{}`: {why}", request.terminal));
        }
        progress.finished(request, &outcome);
        outcomes.push(outcome);
        if failed {
            break;
        }
    }
    outcomes
}

/// Fills in what the request does not know from its block: the typing default of
/// the front matter (then the policy), and the step's expectation texts as lines
/// that say a long-runner is up.
fn prepare(request: &mut StepRequest, runbook: &Runbook, step: &Step, policy: TypingPolicy) {
    if request.types_a_command() {
        let typing = request.typing.or(runbook.front_matter.typing);
        request.typing = match (policy, typing) {
            (TypingPolicy::AsWritten, t) => t,
            (TypingPolicy::FullSpeed, _) => None,
            (TypingPolicy::Unattended, Some(Typing::Keys)) => Some(Typing::Cps(REHEARSAL_CPS)),
            (TypingPolicy::Unattended, t) => t,
        };
    }
    request.ready_lines = step
        .expectations
        .iter()
        .filter_map(|e| e.output.clone())
        .filter(|text| !text.trim().is_empty())
        .collect();
}

/// A request that could not start (no terminal, a bad pattern): failed, saying why.
pub fn could_not_run(request: &StepRequest, why: &str) -> StepOutcome {
    StepOutcome {
        terminal: request.terminal.clone(),
        status: StepStatus::Failed,
        exit_code: None,
        duration_ms: 0,
        commands: Vec::new(),
        expectation_met: None,
        ready_by: None,
        message: Some(format!(
            "could not run in terminal `{}`: {why}",
            request.terminal
        )),
    }
}

/// A block whose services never came up: timed out at its gate, nothing typed.
pub fn gate_failed(block: &CodeBlock, why: &str) -> StepOutcome {
    StepOutcome {
        terminal: block.terminal.clone(),
        status: StepStatus::TimedOut,
        exit_code: None,
        duration_ms: block.wait_for.as_ref().map_or(0, |w| w.timeout_ms),
        commands: Vec::new(),
        expectation_met: None,
        ready_by: None,
        message: Some(why.to_string()),
    }
}
