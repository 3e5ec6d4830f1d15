//! Running a runbook's steps in order, as a rehearsal does: every runnable block of
//! every selected step, in real terminals, each waited for to end (or to be ready),
//! with the expectations that quote output checked against what the step printed.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::probe::ServiceStatus;
use crate::record::manifest::ExpectationCheck;
use crate::record::redact::Redactor;
use crate::runbook::{BlockKind, Runbook, Step};
use crate::show::block::{self, is_failure, Quietly, TypingPolicy};
use crate::terminal::{ReadyBy, StepOutcome, StepStatus, TerminalManager};

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
    /// Type commands that have a `typing` speed at that speed (`typing: keys` at
    /// [`crate::terminal::REHEARSAL_CPS`]); otherwise everything is pasted at once.
    pub typing: bool,
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

impl StepResult {
    /// Masks what the step's output can reach in its result: its message (a hidden
    /// setup line's output, a probe's answer at a gate), and each outcome's message,
    /// its commands' output, and what made it ready (a line it printed, its prompt). Everything that shows
    /// or stores a result (the CLI's report, the manifest, the app) gets it masked.
    pub fn redact(&mut self, redactor: &Redactor) {
        if redactor.is_empty() {
            return;
        }
        let mask = |text: &mut String| *text = redactor.redact_string(text);
        if let Some(m) = &mut self.message {
            mask(m);
        }
        for e in &mut self.expectations {
            mask(&mut e.expected);
        }
        for outcome in self.blocks.iter_mut().flat_map(|b| &mut b.outcomes) {
            if let Some(m) = &mut outcome.message {
                mask(m);
            }
            for command in &mut outcome.commands {
                mask(&mut command.command);
                mask(&mut command.output);
            }
            if let Some(ReadyBy::Expect(t) | ReadyBy::Line(t) | ReadyBy::Prompt(t)) =
                &mut outcome.ready_by
            {
                mask(t);
            }
        }
    }
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
        .filter(|i| has_runnable_blocks(&runbook.steps[*i]))
        .collect())
}

/// Whether `step` has a block a rehearsal runs (a step of prose only has none).
pub fn has_runnable_blocks(step: &Step) -> bool {
    runnable_blocks(step).next().is_some()
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
        let mut result = run_step(runbook, index, manager, selection, &mut progress);
        result.redact(&Redactor::for_step(runbook, step));
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
            settle(manager);
            manager.close_all()
        },
    })
}

fn run_step(
    runbook: &Runbook,
    index: usize,
    manager: &TerminalManager,
    selection: &Selection,
    progress: &mut impl Progress,
) -> StepResult {
    let step = &runbook.steps[index];
    let started = Instant::now();
    let typing = if selection.typing {
        TypingPolicy::Unattended
    } else {
        TypingPolicy::FullSpeed
    };
    let mut blocks = Vec::new();
    let mut terminals = Vec::new();
    let text_before = text_positions(manager);
    for block in runnable_blocks(step) {
        let cancel = AtomicBool::new(false);
        let report = block::run_block(manager, runbook, step, block, typing, &cancel, &Quietly);
        let outcomes = match &report.gate {
            Ok(statuses) => {
                progress.services_up(statuses);
                report.outcomes
            }
            Err(why) => vec![block::gate_failed(block, &why.to_string())],
        };
        for o in &outcomes {
            if !terminals.contains(&o.terminal) {
                terminals.push(o.terminal.clone());
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
    let failed = deciding.is_some_and(|o| is_failure(o.status));
    let expectations = if failed {
        check_expectations(step, &blocks, &text_before, manager)
    } else {
        await_expectations(step, &blocks, &text_before, manager)
    };
    let message = deciding.and_then(|o| o.message.clone()).or_else(|| {
        let ready: Vec<String> = blocks
            .iter()
            .flat_map(|b| &b.outcomes)
            .filter_map(|o| {
                Some(format!(
                    "{}: {}",
                    o.terminal,
                    o.ready_by.as_ref()?.describe()
                ))
            })
            .collect();
        (!ready.is_empty()).then(|| ready.join(" · "))
    });
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
        message,
        blocks,
    }
}

/// Before the terminals close, what the programs still print (a node catching up,
/// a server's last log line) is given this long to stop...
const SETTLE_QUIET: Duration = Duration::from_millis(300);
/// ...but no longer than this in all.
const SETTLE_MAX: Duration = Duration::from_secs(3);

/// Waits until every terminal has been quiet for [`SETTLE_QUIET`] (at most
/// [`SETTLE_MAX`]), so the recording ends with what was on the screens.
fn settle(manager: &TerminalManager) {
    let deadline = Instant::now() + SETTLE_MAX;
    let sessions: Vec<_> = manager
        .names()
        .iter()
        .filter_map(|n| manager.get(n))
        .collect();
    while Instant::now() < deadline {
        let busiest = sessions.iter().map(|s| s.quiet_for()).min();
        match busiest {
            Some(quiet) if quiet < SETTLE_QUIET => std::thread::sleep(SETTLE_QUIET - quiet),
            _ => return,
        }
    }
}

/// How long a step's "You should see …" texts are waited for once its blocks are
/// done or ready: a leader is elected a moment after the nodes listen, and the
/// recording should show it within the step.
const EXPECTATION_WAIT: Duration = Duration::from_secs(5);
const EXPECTATION_POLL: Duration = Duration::from_millis(100);

/// [`check_expectations`], looked at again until all are met or
/// [`EXPECTATION_WAIT`] has passed.
fn await_expectations(
    step: &Step,
    blocks: &[BlockResult],
    text_before: &[(String, usize)],
    manager: &TerminalManager,
) -> Vec<ExpectationCheck> {
    let deadline = Instant::now() + EXPECTATION_WAIT;
    loop {
        let checks = check_expectations(step, blocks, text_before, manager);
        if checks.iter().all(|c| c.met) || Instant::now() >= deadline {
            return checks;
        }
        std::thread::sleep(EXPECTATION_POLL);
    }
}

/// Where each started terminal's text ends: what a step prints comes after.
fn text_positions(manager: &TerminalManager) -> Vec<(String, usize)> {
    manager
        .names()
        .into_iter()
        .filter_map(|name| Some((name.clone(), manager.get(&name)?.text_end())))
        .collect()
}

/// Expectations that quote output, looked for in what the step's commands printed
/// and in what every terminal printed while the step ran (answers to input lines,
/// a node that became leader in another terminal).
fn check_expectations(
    step: &Step,
    blocks: &[BlockResult],
    text_before: &[(String, usize)],
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
    for name in manager.names() {
        let from = text_before
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, at)| *at);
        if let Some(session) = manager.get(&name) {
            seen.push_str(&session.text_since(from));
        }
    }
    wanted
        .iter()
        .map(|w| ExpectationCheck {
            expected: (*w).to_string(),
            met: seen.contains(*w),
        })
        .collect()
}
