//! What a step asks a terminal to do, and what came of it; plus the adapter from the
//! runbook model's [`CodeBlock`] to step requests.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::runbook::{BlockKind, CodeBlock, OutputPattern};

/// The terminal used when a block names none.
pub const DEFAULT_TERMINAL: &str = "main";

/// What to do in the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepAction {
    /// Top-level shell commands, each typed at a fresh prompt and waited for, in
    /// order; the first failure stops the rest.
    Commands(Vec<String>),
    /// A long-runner: typed at a fresh prompt, ready when `expect` shows in its output
    /// or the timeout passes; left running.
    Background(String),
    /// Lines typed into the program running in the terminal, one at a time. With a
    /// `prompt`, each line waits until the cursor's row ends with it.
    Input {
        lines: Vec<String>,
        prompt: Option<String>,
    },
}

/// One step for one terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRequest {
    pub terminal: String,
    /// Sent as a marker to the sinks at the start and the end (`<label> (<status>)`).
    pub label: Option<String>,
    pub action: StepAction,
    /// Output to wait for (background readiness) or check (other kinds).
    pub expect: Option<OutputPattern>,
    /// Overrides the terminal's default step (or background) timeout.
    pub timeout: Option<Duration>,
}

impl StepRequest {
    /// Ordinary commands in `terminal`.
    pub fn commands<S: Into<String>>(
        terminal: &str,
        commands: impl IntoIterator<Item = S>,
    ) -> Self {
        Self::new(
            terminal,
            StepAction::Commands(commands.into_iter().map(Into::into).collect()),
        )
    }

    pub fn background(terminal: &str, command: impl Into<String>) -> Self {
        Self::new(terminal, StepAction::Background(command.into()))
    }

    pub fn input<S: Into<String>>(terminal: &str, lines: impl IntoIterator<Item = S>) -> Self {
        Self::new(
            terminal,
            StepAction::Input {
                lines: lines.into_iter().map(Into::into).collect(),
                prompt: None,
            },
        )
    }

    fn new(terminal: &str, action: StepAction) -> Self {
        Self {
            terminal: terminal.to_string(),
            label: None,
            action,
            expect: None,
            timeout: None,
        }
    }

    pub fn with_expect(mut self, expect: OutputPattern) -> Self {
        self.expect = Some(expect);
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// The requests that run `block`, in order (none for a shown-only block).
    ///
    /// Terminals come resolved from the parser (`# Terminal N` splits, a background
    /// block's own terminal). Consecutive commands for the same terminal form one
    /// request; in a background block, the last command of each terminal is the
    /// long-runner, and the ones before it (`cd deploy`) run to their end first.
    pub fn from_block(block: &CodeBlock) -> Vec<Self> {
        let attrs = &block.attributes;
        let finish = |mut r: Self| {
            r.label = Some(block.id.clone());
            r.expect = attrs.expect.clone();
            r.timeout = attrs.timeout_ms.map(Duration::from_millis);
            r
        };
        let terminal_of = |name: &str| {
            if name.is_empty() {
                DEFAULT_TERMINAL.to_string()
            } else {
                name.to_string()
            }
        };
        match block.kind {
            BlockKind::Shown => Vec::new(),
            BlockKind::Input => {
                let lines = block.input.iter().map(|l| l.text.clone());
                vec![finish(Self::input(&terminal_of(&block.terminal), lines))]
            }
            BlockKind::Run => {
                let mut groups: Vec<(String, Vec<String>)> = Vec::new();
                for c in &block.commands {
                    let terminal = terminal_of(&c.terminal);
                    match groups.last_mut() {
                        Some((t, cmds)) if *t == terminal => cmds.push(c.text.clone()),
                        _ => groups.push((terminal, vec![c.text.clone()])),
                    }
                }
                let mut out = Vec::new();
                for (terminal, mut cmds) in groups {
                    let long_runner = if block.background { cmds.pop() } else { None };
                    if !cmds.is_empty() {
                        let mut r = finish(Self::commands(&terminal, cmds));
                        if long_runner.is_some() {
                            // `expect` is the long-runner's readiness, not theirs.
                            r.expect = None;
                        }
                        out.push(r);
                    }
                    if let Some(cmd) = long_runner {
                        out.push(finish(Self::background(&terminal, cmd)));
                    }
                }
                out
            }
        }
    }
}

/// How a step (or one command of it) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StepStatus {
    /// Ran to its end with exit code 0 (or every input line was typed).
    Ok,
    /// Ended with a non-zero exit code, exited before it was ready, or could not run.
    Failed,
    /// Did not end within its timeout; it was stopped.
    TimedOut,
    /// Stopped on request.
    Stopped,
    /// A background step is ready and still running.
    Ready,
}

/// What made a background step ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ReadyBy {
    /// Its `expect` text or regex appeared.
    Expect,
    /// Its timeout passed while it kept running.
    Timeout,
}

/// One command of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandOutcome {
    pub command: String,
    pub status: StepStatus,
    /// From the `D` mark; absent when the command did not end.
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    /// Plain text of the output (escape sequences removed), up to 256 KiB.
    pub output: String,
    /// The start of the output did not fit and was left out.
    pub output_truncated: bool,
}

/// The result of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepOutcome {
    pub terminal: String,
    pub status: StepStatus,
    /// The exit code of the last command that ended.
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub commands: Vec<CommandOutcome>,
    /// Whether `expect` was seen; absent without `expect`.
    pub expectation_met: Option<bool>,
    pub ready_by: Option<ReadyBy>,
    /// Why it failed, in words, when the exit code does not say it all.
    pub message: Option<String>,
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::{CellAttributes, Command};

    fn block(kind: BlockKind, background: bool, cmds: &[(&str, &str)]) -> CodeBlock {
        CodeBlock {
            id: "b1".into(),
            terminal: cmds.first().map_or("main", |c| c.0).into(),
            line: 1,
            end_line: 3,
            lang: Some("bash".into()),
            info: "bash".into(),
            attributes: CellAttributes {
                expect: Some(OutputPattern::Text("up".into())),
                timeout_ms: Some(5000),
                ..CellAttributes::default()
            },
            kind,
            source: String::new(),
            commands: cmds
                .iter()
                .map(|(t, c)| Command {
                    terminal: (*t).into(),
                    text: (*c).into(),
                    comment: None,
                    line: 2,
                })
                .collect(),
            input: Vec::new(),
            background,
            substep: None,
            inferred: Vec::new(),
            wait_for: None,
        }
    }

    #[test]
    fn commands_are_grouped_by_terminal() {
        let b = block(
            BlockKind::Run,
            false,
            &[("main", "a"), ("main", "b"), ("t2", "c")],
        );
        let reqs = StepRequest::from_block(&b);
        assert_eq!(reqs.len(), 2);
        assert_eq!(
            reqs[0].action,
            StepAction::Commands(vec!["a".into(), "b".into()])
        );
        assert_eq!(reqs[1].terminal, "t2");
        assert_eq!(reqs[0].timeout, Some(Duration::from_secs(5)));
        assert_eq!(reqs[0].label.as_deref(), Some("b1"));
    }

    #[test]
    fn background_commands_get_their_own_terminal() {
        let b = block(
            BlockKind::Run,
            true,
            &[
                ("server", "cd deploy"),
                ("server", "serve"),
                ("node2", "serve2"),
            ],
        );
        let reqs = StepRequest::from_block(&b);
        assert_eq!(reqs.len(), 3);
        assert_eq!(reqs[0].terminal, "server");
        assert_eq!(
            reqs[0].action,
            StepAction::Commands(vec!["cd deploy".into()])
        );
        assert_eq!(reqs[0].expect, None);
        assert_eq!(reqs[1].action, StepAction::Background("serve".into()));
        assert_eq!(reqs[1].terminal, "server");
        assert_eq!(reqs[2].terminal, "node2");
        assert!(StepRequest::from_block(&block(BlockKind::Shown, false, &[])).is_empty());
    }
}
