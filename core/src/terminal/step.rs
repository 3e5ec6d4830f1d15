//! What a step asks a terminal to do, and what came of it; plus the adapter from the
//! runbook model's [`CodeBlock`] to step requests.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::runbook::{BlockKind, CodeBlock, Command, OutputPattern, Typing};

/// The terminal used when a block names none.
pub const DEFAULT_TERMINAL: &str = "main";

/// What to do in the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepAction {
    /// Top-level shell commands, each typed at a fresh prompt and waited for, in
    /// order; the first failure stops the rest.
    Commands(Vec<String>),
    /// A long-runner: typed at a fresh prompt, ready by its [`StepRequest::expect`],
    /// a port it listens on, a line saying it is up, or quiet output (see
    /// [`ReadyBy`]); left running.
    Background(String),
    /// An interactive program (a client, a REPL): typed at a fresh prompt, ready once
    /// it waits for input (it shows a prompt, or goes quiet); left running.
    Interactive(String),
    /// Lines typed into the program running in the terminal, one at a time, each
    /// once the program waits again. With a `prompt`, a line waits until the
    /// cursor's row ends with it.
    Input {
        lines: Vec<InputItem>,
        prompt: Option<String>,
    },
    /// Hidden setup commands (`#|` lines): run to their end before the block's own,
    /// with their echo and output kept from the screen, the views and the recording.
    Hidden(Vec<String>),
}

/// One line of an input step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputItem {
    /// Text, typed and followed by Enter.
    Line(String),
    /// A control key (`^C` is `'c'`): sent alone; for `c`, the program is given
    /// time to end.
    Control(char),
}

/// One step for one terminal.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRequest {
    pub terminal: String,
    /// Sent as a marker to the sinks at the start and the end (`<label> (<status>)`).
    pub label: Option<String>,
    pub action: StepAction,
    /// Output to wait for (background readiness) or check (other kinds).
    pub expect: Option<OutputPattern>,
    /// Overrides the terminal's default step (or background) timeout.
    pub timeout: Option<Duration>,
    /// Local ports a background command listens on: it is ready once one accepts
    /// connections.
    pub ports: Vec<u16>,
    /// Texts that say a background command is up (the step's own expectations),
    /// besides the usual "listening on", "ready", ... lines.
    pub ready_lines: Vec<String>,
    /// How the command is typed (`None`: pasted at once).
    pub typing: Option<Typing>,
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

    pub fn interactive(terminal: &str, command: impl Into<String>) -> Self {
        Self::new(terminal, StepAction::Interactive(command.into()))
    }

    pub fn input<S: Into<String>>(terminal: &str, lines: impl IntoIterator<Item = S>) -> Self {
        Self::new(
            terminal,
            StepAction::Input {
                lines: lines
                    .into_iter()
                    .map(|l| InputItem::Line(l.into()))
                    .collect(),
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
            ports: Vec::new(),
            ready_lines: Vec::new(),
            typing: None,
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

    pub fn with_ports(mut self, ports: impl IntoIterator<Item = u16>) -> Self {
        self.ports = ports.into_iter().collect();
        self
    }

    pub fn with_typing(mut self, typing: Typing) -> Self {
        self.typing = Some(typing);
        self
    }

    /// Whether the request types a command at the shell's prompt (so `typing` applies).
    pub fn types_a_command(&self) -> bool {
        matches!(
            self.action,
            StepAction::Commands(_) | StepAction::Background(_) | StepAction::Interactive(_)
        )
    }

    /// The requests that run `block`, in order (none for a shown-only block); see
    /// [`parts_of_block`] for which of them run at the same time.
    ///
    /// Terminals come resolved from the parser (`# Terminal N` splits, a background
    /// block's own terminal). Per terminal: the hidden setup lines first, then the
    /// commands; in a background or interactive block, the last command of each
    /// terminal is the long-runner, and the ones before it (`cd deploy`) run to
    /// their end first. Input lines go to the terminal of their target
    /// (`Client 1: > hi`), consecutive lines for one terminal forming one request.
    pub fn from_block(block: &CodeBlock) -> Vec<Self> {
        parts_of_block(block).into_iter().flatten().collect()
    }
}

/// The requests of `block`, grouped into parts that run at the same time, each
/// part's requests in order: one part per terminal of a runnable block (a
/// `# Terminal N` split starts every terminal at once), a single part for an input
/// block (its lines are typed in the order written, whichever terminal they go to).
pub fn parts_of_block(block: &CodeBlock) -> Vec<Vec<StepRequest>> {
    let attrs = &block.attributes;
    let finish = |mut r: StepRequest| {
        r.label = Some(block.id.clone());
        r.expect = attrs.expect.clone();
        r.timeout = attrs.timeout_ms.map(Duration::from_millis);
        r.typing = attrs.typing;
        r
    };
    match block.kind {
        BlockKind::Shown => Vec::new(),
        BlockKind::Input => vec![input_requests(block)
            .into_iter()
            .map(|mut r| {
                r.label = Some(block.id.clone());
                r.expect = attrs.expect.clone();
                r.timeout = attrs.timeout_ms.map(Duration::from_millis);
                r
            })
            .collect()],
        BlockKind::Run => {
            let mut parts: Vec<(String, Vec<String>, Vec<&Command>)> = Vec::new();
            let part =
                |parts: &mut Vec<(String, Vec<String>, Vec<&Command>)>, t: String| match parts
                    .iter()
                    .position(|(name, _, _)| *name == t)
                {
                    Some(i) => i,
                    None => {
                        parts.push((t, Vec::new(), Vec::new()));
                        parts.len() - 1
                    }
                };
            for h in &block.hidden {
                let i = part(&mut parts, terminal_of(&h.terminal, block));
                parts[i].1.push(h.text.clone());
            }
            for c in &block.commands {
                let i = part(&mut parts, terminal_of(&c.terminal, block));
                parts[i].2.push(c);
            }
            parts
                .into_iter()
                .map(|(terminal, hidden, mut cmds)| {
                    let mut out = Vec::new();
                    if !hidden.is_empty() {
                        let mut r = StepRequest::new(&terminal, StepAction::Hidden(hidden));
                        r.label = Some(block.id.clone());
                        r.timeout = attrs.timeout_ms.map(Duration::from_millis);
                        out.push(r);
                    }
                    let long_runner = if block.background || block.interactive {
                        cmds.pop()
                    } else {
                        None
                    };
                    if !cmds.is_empty() {
                        let mut r = finish(StepRequest::commands(
                            &terminal,
                            cmds.iter().map(|c| c.text.clone()),
                        ));
                        if long_runner.is_some() {
                            // `expect` is the long-runner's readiness, not theirs.
                            r.expect = None;
                        }
                        out.push(r);
                    }
                    if let Some(cmd) = long_runner {
                        let r = if block.interactive && !block.background {
                            StepRequest::interactive(&terminal, cmd.text.clone())
                        } else {
                            StepRequest::background(&terminal, cmd.text.clone())
                        };
                        out.push(finish(r).with_ports(cmd.ports.iter().copied()));
                    }
                    out
                })
                .filter(|p| !p.is_empty())
                .collect()
        }
    }
}

fn terminal_of(name: &str, block: &CodeBlock) -> String {
    if !name.is_empty() {
        name.to_string()
    } else if !block.terminal.is_empty() {
        block.terminal.clone()
    } else {
        DEFAULT_TERMINAL.to_string()
    }
}

/// An input block's lines, one request per run of lines for the same terminal.
fn input_requests(block: &CodeBlock) -> Vec<StepRequest> {
    let mut out: Vec<StepRequest> = Vec::new();
    for line in &block.input {
        let terminal = terminal_of(line.target.as_deref().unwrap_or(""), block);
        let item = match line.control {
            Some(key) => InputItem::Control(key),
            None => InputItem::Line(line.text.clone()),
        };
        match out.last_mut() {
            Some(StepRequest {
                terminal: t,
                action: StepAction::Input { lines, .. },
                ..
            }) if *t == terminal => lines.push(item),
            _ => out.push(StepRequest::new(
                &terminal,
                StepAction::Input {
                    lines: vec![item],
                    prompt: block.prompt.clone(),
                },
            )),
        }
    }
    out
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

/// What made a background or interactive step ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum ReadyBy {
    /// Its `expect` text or regex appeared (the text as written).
    Expect(String),
    /// Something accepts connections on this local port.
    Port(u16),
    /// It printed a line that says it is up (the text that matched).
    Line(String),
    /// It waits for input: the cursor's row ends with this prompt.
    Prompt(String),
    /// Its output went quiet for this many milliseconds.
    Quiet(u64),
    /// Its timeout passed while it kept running.
    Timeout,
}

impl ReadyBy {
    /// What the badge says: "ready: port 8080", "ready: 'Became LEADER'".
    pub fn describe(&self) -> String {
        match self {
            Self::Expect(text) | Self::Line(text) => format!("ready: '{text}'"),
            Self::Port(port) => format!("ready: port {port}"),
            Self::Prompt(prompt) => format!("ready: prompt '{prompt}'"),
            Self::Quiet(ms) => format!("ready: quiet {ms} ms"),
            Self::Timeout => "ready: timeout passed, still running".into(),
        }
    }
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
                    ports: Vec::new(),
                })
                .collect(),
            input: Vec::new(),
            background,
            substep: None,
            inferred: Vec::new(),
            wait_for: None,
            hidden: Vec::new(),
            display: String::new(),
            interactive: false,
            prompt: None,
            inferred_shell: false,
            not_sent: Vec::new(),
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
