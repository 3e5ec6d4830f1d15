//! Running a runbook's steps in order, as a rehearsal does: every runnable block of
//! every selected step, in real terminals, each waited for to end (or to be ready),
//! with the expectations that quote output checked against what the step printed.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::Serialize;

use crate::probe::ServiceStatus;
use crate::record::manifest::ExpectationCheck;
use crate::runbook::{BlockKind, Runbook, Step};
use crate::show::gate;
use crate::terminal::{StepOutcome, StepRequest, StepStatus, TerminalManager};

/// Which steps to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Start at this step (id, 1-based number, or title).
    pub from: Option<String>,
    /// Run only these steps (ids, numbers or titles); optional steps named here run too.
    pub only: Vec<String>,
    /// Stop at the first failing step.
    pub fail_fast: bool,
    /// Leave the terminals open at the end (the app's, which the window shows).
    pub keep_terminals: bool,
}

/// What happened to one block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockResult {
    pub block: String,
    pub line: usize,
    pub outcomes: Vec<StepOutcome>,
}

/// What happened to one step.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    /// 1-based position in the runbook.
    pub number: usize,
    pub id: String,
    pub title: String,
    pub line: usize,
    pub status: StepStatus,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    /// Expectations quoting output: how many were seen in the step's output, of how many.
    pub expectations_met: Option<(usize, usize)>,
    /// Each expectation quoting output, and whether it was seen.
    pub expectations: Vec<ExpectationCheck>,
    pub message: Option<String>,
    pub blocks: Vec<BlockResult>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub runbook: String,
    pub steps: Vec<StepResult>,
    /// Processes that survived closing the terminals (0 when cleanup worked).
    pub leftover_processes: usize,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.steps.iter().filter(|s| is_failure(s.status)).count()
    }
}

fn is_failure(status: StepStatus) -> bool {
    matches!(
        status,
        StepStatus::Failed | StepStatus::TimedOut | StepStatus::Stopped
    )
}

/// Why a selection names no step.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    #[error("no step matches `{0}` (use a step id, its number, or its title)")]
    NoSuchStep(String),
}

/// Finds a step by id, 1-based number, or case-insensitive title.
pub fn find_step(runbook: &Runbook, key: &str) -> Option<usize> {
    let key = key.trim();
    if let Ok(n) = key.parse::<usize>() {
        return (1..=runbook.steps.len()).contains(&n).then(|| n - 1);
    }
    let lower = key.to_lowercase();
    runbook.steps.iter().position(|s| s.id == key).or_else(|| {
        runbook
            .steps
            .iter()
            .position(|s| s.title.to_lowercase() == lower)
    })
}

/// The indices of the steps a selection runs, in order.
pub fn select(runbook: &Runbook, selection: &Selection) -> Result<Vec<usize>, SelectionError> {
    let resolve = |key: &String| {
        find_step(runbook, key).ok_or_else(|| SelectionError::NoSuchStep(key.clone()))
    };
    let only: Vec<usize> = selection
        .only
        .iter()
        .map(resolve)
        .collect::<Result<_, _>>()?;
    let start = selection
        .from
        .as_ref()
        .map(resolve)
        .transpose()?
        .unwrap_or(0);
    Ok((start..runbook.steps.len())
        .filter(|i| {
            if only.is_empty() {
                !runbook.steps[*i].optional
            } else {
                only.contains(i)
            }
        })
        .filter(|i| runnable_blocks(&runbook.steps[*i]).next().is_some())
        .collect())
}

fn runnable_blocks(step: &Step) -> impl Iterator<Item = &crate::runbook::CodeBlock> {
    step.blocks.iter().filter(|b| {
        b.kind != BlockKind::Shown && !b.attributes.exclude_from_run_all && !b.attributes.ignore
    })
}

/// Hears of each step as it starts and finishes (a recorder marks them; the CLI
/// prints them). Any `FnMut(&StepResult)` hears of finished steps.
pub trait Progress {
    fn step_started(&mut self, _step: &Step) {}
    /// A block's gate found its services up: their statuses (a recorder keeps them,
    /// so playback shows the lights the step saw).
    fn services_up(&mut self, _statuses: &[ServiceStatus]) {}
    fn step_finished(&mut self, step: &Step, result: &StepResult);
}

impl<F: FnMut(&StepResult)> Progress for F {
    fn step_finished(&mut self, _step: &Step, result: &StepResult) {
        self(result);
    }
}

/// Runs the selected steps, telling `progress` of each.
pub fn run_all(
    runbook: &Runbook,
    manager: &TerminalManager,
    selection: &Selection,
    mut progress: impl Progress,
) -> Result<Report, SelectionError> {
    let mut steps = Vec::new();
    for index in select(runbook, selection)? {
        let step = &runbook.steps[index];
        progress.step_started(step);
        let result = run_step(runbook, index, manager, &mut progress);
        progress.step_finished(step, &result);
        let stop = selection.fail_fast && is_failure(result.status);
        steps.push(result);
        if stop {
            break;
        }
    }
    Ok(Report {
        runbook: runbook
            .path
            .clone()
            .unwrap_or_else(|| runbook.title.clone()),
        steps,
        leftover_processes: if selection.keep_terminals {
            0
        } else {
            manager.close_all()
        },
    })
}

fn run_step(
    runbook: &Runbook,
    index: usize,
    manager: &TerminalManager,
    progress: &mut impl Progress,
) -> StepResult {
    let step = &runbook.steps[index];
    let started = Instant::now();
    let mut blocks = Vec::new();
    let mut terminals = Vec::new();
    for block in runnable_blocks(step) {
        let mut outcomes = Vec::new();
        match gate::pass(runbook, block, &AtomicBool::new(false), |_| {}) {
            Ok(statuses) => progress.services_up(&statuses),
            Err(why) => {
                outcomes.push(gate_failed(block, &why.to_string()));
                blocks.push(BlockResult {
                    block: block.id.clone(),
                    line: block.line,
                    outcomes,
                });
                continue;
            }
        }
        for request in StepRequest::from_block(&gate::gated_block(block)) {
            if !terminals.contains(&request.terminal) {
                terminals.push(request.terminal.clone());
            }
            let outcome = manager
                .run(&request)
                .unwrap_or_else(|e| could_not_run(&request, &e.to_string()));
            let failed = is_failure(outcome.status);
            outcomes.push(outcome);
            if failed {
                break;
            }
        }
        blocks.push(BlockResult {
            block: block.id.clone(),
            line: block.line,
            outcomes,
        });
    }
    let mut outcomes = blocks.iter().flat_map(|b| &b.outcomes);
    let last_failure = outcomes.clone().rfind(|o| is_failure(o.status));
    let last = outcomes.next_back();
    let deciding = last_failure.or(last);
    let expectations = check_expectations(step, &blocks, &terminals, manager);
    StepResult {
        number: index + 1,
        id: step.id.clone(),
        title: step.title.clone(),
        line: step.line,
        status: deciding.map_or(StepStatus::Ok, |o| o.status),
        exit_code: deciding.and_then(|o| o.exit_code),
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        expectations_met: (!expectations.is_empty()).then(|| {
            let met = expectations.iter().filter(|e| e.met).count();
            (met, expectations.len())
        }),
        expectations,
        message: deciding.and_then(|o| o.message.clone()),
        blocks,
    }
}

/// A block whose services never came up: timed out at its gate, nothing typed.
fn gate_failed(block: &crate::runbook::CodeBlock, why: &str) -> StepOutcome {
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

fn could_not_run(request: &StepRequest, why: &str) -> StepOutcome {
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

/// Expectations that quote output, looked for in what the step's commands printed
/// and in the recent screen text of the terminals it used (answers to input lines).
fn check_expectations(
    step: &Step,
    blocks: &[BlockResult],
    terminals: &[String],
    manager: &TerminalManager,
) -> Vec<ExpectationCheck> {
    let wanted: Vec<&str> = step
        .expectations
        .iter()
        .filter_map(|e| e.output.as_deref())
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut seen = String::new();
    for command in blocks
        .iter()
        .flat_map(|b| &b.outcomes)
        .flat_map(|o| &o.commands)
    {
        seen.push_str(&command.output);
        seen.push('\n');
    }
    for session in terminals.iter().filter_map(|t| manager.get(t)) {
        seen.push_str(&session.recent_text());
    }
    wanted
        .iter()
        .map(|w| ExpectationCheck {
            expected: (*w).to_string(),
            met: seen.contains(*w),
        })
        .collect()
}
