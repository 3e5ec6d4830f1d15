//! The runbook model: what the parser infers from a Markdown runbook.
//!
//! These types are exactly what the UI receives (serialized with serde, camelCase),
//! mirrored by hand in `ui/src/shared/model.ts`. Every element keeps the 1-based line of the
//! source it came from, so findings and the UI can point back at the file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A parsed runbook.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Runbook {
    /// Where the runbook was read from, as given (absent for in-memory sources).
    pub path: Option<String>,
    /// Front matter `title`, else the first level-1 heading, else the file name.
    pub title: String,
    pub front_matter: FrontMatter,
    /// Every heading, in document order: the table of contents.
    pub outline: Vec<Heading>,
    /// The presentable steps, in document order.
    pub steps: Vec<Step>,
    /// Rows of a "0:00-1:00 | Demo" timeline table, matched to steps where possible.
    pub timeline: Vec<TimelineEntry>,
    /// All `- [ ]` items: the pre-flight list.
    pub checklist: Vec<ChecklistItem>,
    /// Health endpoints: declared in front matter, or proposed from localhost URLs.
    pub services: Vec<ServiceProbe>,
    /// Metrics endpoints: declared in front matter, or proposed from localhost URLs.
    pub metrics: Vec<MetricSource>,
    /// Named terminals the runbook uses, `main` first.
    pub terminals: Vec<String>,
    /// Problems found while parsing (invalid attributes, unclosed fences, ...).
    pub diagnostics: Vec<Diagnostic>,
    /// How many code blocks the Markdown holds (as pulldown-cmark reports them): every
    /// one is in some step's `blocks`, and `cuedeck check` says so or errs.
    #[serde(default)]
    pub code_blocks_in_source: usize,
    /// Terminals the prose proposes ("Terminal 1: the API server" under "Terminal
    /// Windows"), with what each is for.
    #[serde(default)]
    pub proposed_terminals: Vec<ProposedTerminal>,
}

/// A terminal named in the runbook's prose, with the role the author gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposedTerminal {
    /// As `# Terminal 1` comments name it: `Terminal 1`.
    pub name: String,
    /// What the author said it is for ("API server logs").
    pub purpose: String,
    pub line: usize,
}

/// Front matter keys Cuedeck and Runme understand. Unknown keys are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FrontMatter {
    pub title: Option<String>,
    pub shell: Option<String>,
    pub cwd: Option<String>,
    pub env: BTreeMap<String, String>,
    /// The line each `env` name is written on (for the trust sheet and findings).
    #[serde(skip)]
    pub env_lines: BTreeMap<String, usize>,
    pub skip_prompts: Option<bool>,
    /// Regular expressions whose matches never reach disk, screenshots or the audience.
    pub redact: Vec<String>,
    /// `redact_presenter: false` shows the presenter's own terminals unmasked; by
    /// default (`None`) they are masked like the audience's
    /// ([`FrontMatter::redacts_presenter`]).
    pub redact_presenter: Option<bool>,
    /// `end: "14:30"`: the local wall-clock time the talk must finish by, as "HH:MM"
    /// (24 h). When both are given, the talk is timed against this, not `duration`.
    pub end: Option<String>,
    /// `duration: 30m`: how long the talk may run, in seconds (ignored beside `end`).
    pub duration_seconds: Option<u32>,
    /// `typing: 40` / `typing: keys`: the default for every runnable block.
    pub typing: Option<Typing>,
    /// 1-based line span of the front matter block, if any.
    pub lines: Option<(usize, usize)>,
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl FrontMatter {
    /// Whether the presenter's own terminals are masked too (unless the front
    /// matter says `redact_presenter: false`).
    pub fn redacts_presenter(&self) -> bool {
        self.redact_presenter != Some(false)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Heading {
    pub level: u8,
    /// The heading text with any time budget removed.
    pub title: String,
    pub line: usize,
    pub budget: Option<Budget>,
    /// Index into `Runbook::steps` of the step this heading belongs to, if any.
    pub step: Option<usize>,
}

/// A time budget in seconds, and where it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    pub seconds: u32,
    pub source: BudgetSource,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BudgetSource {
    /// "(5 minutes)" in the step's heading.
    Heading,
    /// A row of a timeline table.
    Timeline,
    /// A label in the step's text: "**Timing**: 2-3 minutes".
    Label,
}

/// One presentable step: a heading section holding runnable blocks or presenter content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Stable slug, unique in the runbook (used by `--from`, `--only` and recordings).
    pub id: String,
    pub title: String,
    pub level: u8,
    pub line: usize,
    pub end_line: usize,
    /// Titles of the enclosing headings, outermost first.
    pub breadcrumbs: Vec<String>,
    pub budget: Option<Budget>,
    /// Troubleshooting, backup and "(optional)" sections: shown, but not part of Run All.
    pub optional: bool,
    /// The step's Markdown source (its heading excluded).
    pub markdown: String,
    /// `markdown` rendered to sanitized HTML; each code block is replaced by
    /// `<div class="cue-block" data-block="BLOCK_ID"></div>` for the UI to fill in.
    pub html: String,
    pub blocks: Vec<CodeBlock>,
    pub substeps: Vec<SubStep>,
    pub notes: Vec<Note>,
    pub questions: Vec<QaCard>,
    pub expectations: Vec<Expectation>,
    /// The "What are we showing?" blockquote.
    pub pitch: Option<String>,
    pub targets: Vec<MetricTarget>,
    pub links: Vec<Link>,
    /// The step is an item of a list (a document without `##`): its nested bullets
    /// are notes, which the audience window leaves out.
    #[serde(skip)]
    pub from_list_item: bool,
}

/// A numbered-list item holding code blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubStep {
    pub number: u64,
    pub title: String,
    pub line: usize,
    /// Indices into the step's `blocks`.
    pub blocks: Vec<usize>,
}

/// A fenced or indented code block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeBlock {
    /// The `name` (or `id`) attribute, else `<step id>-<n>`; unique in the runbook.
    pub id: String,
    /// Line of the opening fence (or first line of an indented block).
    pub line: usize,
    pub end_line: usize,
    pub lang: Option<String>,
    /// The info string as written after the fence.
    pub info: String,
    pub attributes: CellAttributes,
    pub kind: BlockKind,
    /// The terminal the block runs or types in (for a `# Terminal N` split, the first).
    pub terminal: String,
    /// The block's text exactly as written.
    pub source: String,
    /// What runs, in order: one entry per top-level shell command (heredocs and
    /// continuation lines kept whole, `$ ` prompts stripped). Empty unless `kind` is `Run`.
    pub commands: Vec<Command>,
    /// Lines typed into the running program. Empty unless `kind` is `Input`.
    pub input: Vec<InputLine>,
    /// The block is a long-runner (a server, `watch`, `tail -f`, ...): run it in its
    /// own terminal and wait for readiness rather than exit. Explicit or inferred.
    pub background: bool,
    /// Index into the step's `substeps`, when the block sits in a numbered list item.
    pub substep: Option<usize>,
    /// Why the parser decided `kind`/`background`/`terminal`, for the presenter.
    pub inferred: Vec<String>,
    /// Services this block waits for before it runs (`waitFor`, or inferred from a
    /// "wait for services to be healthy" step that only sleeps).
    pub wait_for: Option<WaitFor>,
    /// Hidden setup lines (`#| cmd`): run first, in the terminal of their part, but never
    /// shown, typed visibly, or sent to the views. Empty unless `kind` is `Run`.
    #[serde(default)]
    pub hidden: Vec<Command>,
    /// The block as the presenter and audience see it: `source` without its hidden lines.
    #[serde(default)]
    pub display: String,
    /// The block's last command (of each terminal part) is an interactive program (a
    /// client, a REPL): it is ready once it waits for input, and stays running.
    #[serde(default)]
    pub interactive: bool,
    /// For an input block: the prompt its lines were written after (`>` for `> hello`),
    /// which the program prints when it waits for the next line.
    #[serde(default)]
    pub prompt: Option<String>,
    /// The block has no language but reads as shell commands, so it runs: the UI
    /// shows an "inferred shell" badge on it.
    #[serde(default)]
    pub inferred_shell: bool,
    /// Lines of the block (1-based, in the file) shown but never sent: output pasted
    /// after a command, `//` notes in an untagged block.
    #[serde(default)]
    pub not_sent: Vec<usize>,
}

/// A readiness gate: the block runs as soon as these services are up, or reports
/// the timeout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitFor {
    /// Service names (as in `Runbook::services`); empty means every service.
    pub services: Vec<String>,
    pub timeout_ms: u64,
    /// The `sleep N` command the gate stands in for, which is then not run.
    pub replaces: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BlockKind {
    /// Runs in a shell.
    Run,
    /// `> ` lines typed into the program running in the terminal.
    Input,
    /// Shown to the presenter, never run.
    Shown,
}

/// One top-level shell command of a runnable block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Command {
    /// The named terminal it runs in.
    pub terminal: String,
    /// What is typed at the prompt (may span lines: heredocs, `\` continuations, loops).
    pub text: String,
    /// Comment lines written just above it (`# 1. Normal request`).
    pub comment: Option<String>,
    pub line: usize,
    /// Local TCP ports the command listens on, as its arguments say (`--port 8080`,
    /// `-p 8080:80`, `http.server 8000`, `localhost:8080` in it) or the block's `port`
    /// attribute: a background command is ready once one accepts connections.
    #[serde(default)]
    pub ports: Vec<u16>,
}

/// One line of an input block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputLine {
    pub text: String,
    /// "Client 1" in `Client 1: > hello`: which program the line is meant for.
    pub target: Option<String>,
    pub line: usize,
    /// `^C` (or `^D`, `^Z`, `^\\`) written as a line: that control key is sent instead of
    /// text (lowercase letter, or `\\`); `text` is then empty.
    #[serde(default)]
    pub control: Option<char>,
}

/// Runme-compatible cell attributes plus Cuedeck's own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CellAttributes {
    pub name: Option<String>,
    pub id: Option<String>,
    pub background: Option<bool>,
    pub interactive: Option<bool>,
    pub cwd: Option<String>,
    pub exclude_from_run_all: bool,
    pub prompt_env: Option<String>,
    pub close_terminal_on_success: Option<bool>,
    pub open_terminal_on_error: Option<bool>,
    pub interpreter: Option<String>,
    pub mime_type: Option<String>,
    pub terminal_rows: Option<u32>,
    pub tags: Vec<String>,
    pub ignore: bool,
    pub terminal: Option<String>,
    pub expect: Option<OutputPattern>,
    pub timeout_ms: Option<u64>,
    pub wait_for: Option<String>,
    /// Simulated typing (`typing: 40` or `typing: keys`).
    pub typing: Option<Typing>,
    /// The local TCP port the block's long-runner listens on (its readiness).
    pub port: Option<u16>,
    pub redact: Vec<String>,
    /// Attributes Cuedeck does not know; kept, and linted.
    pub unknown: BTreeMap<String, serde_json::Value>,
}

/// How a command is typed into the shell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Typing {
    /// About this many characters per second, with a slight random jitter (demo-magic).
    Cps(f64),
    /// A few characters per key the presenter presses; Enter runs it (doitlive).
    Keys,
}

/// Text to wait for in output: plain text, or `/regex/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum OutputPattern {
    Text(String),
    Regex(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub kind: NoteKind,
    /// The label as the author wrote it ("Talking Points", "What to call out during demo").
    pub label: String,
    pub text: String,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NoteKind {
    TalkingPoint,
    CallOut,
    KeyPoint,
    Tip,
    /// Anything else addressed to the presenter ("Explain that ...").
    Remark,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QaCard {
    pub question: String,
    pub answer: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Expectation {
    /// The sentence as written.
    pub text: String,
    /// Output the sentence quotes (`You should see `X``), checked against the step's output.
    pub output: Option<String>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChecklistItem {
    pub text: String,
    pub checked: bool,
    pub line: usize,
    /// What can be checked automatically, if the item names a service, port or tool.
    pub auto: Option<AutoCheck>,
    /// The id of the code block written under the item: running it checks the item
    /// (from the pre-flight panel, on the presenter's action).
    #[serde(default)]
    pub block: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum AutoCheck {
    Port(u16),
    Tool(String),
    Service(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricTarget {
    pub metric: String,
    pub target: String,
    pub achieved: Option<String>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    pub url: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub start_seconds: u32,
    pub end_seconds: u32,
    pub label: String,
    pub line: usize,
    /// The step whose title best matches `label`.
    pub step: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceProbe {
    pub name: String,
    pub url: String,
    pub interval_ms: u64,
    /// A probe not answered within this is a failure (down).
    pub timeout_ms: u64,
    /// A probe answered slower than this is degraded.
    pub slow_ms: u64,
    /// Expected HTTP status.
    pub expect_status: u16,
    /// A JSON field the body must hold, when the runbook asks for one.
    pub expect_json: Option<JsonExpectation>,
    pub origin: Origin,
    pub line: usize,
}

/// `field: status, value: ok` in front matter: the body's `status` must equal `"ok"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonExpectation {
    /// A dotted path into the JSON body: `status`, `checks.db.state`, `items.0.ok`.
    pub field: String,
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricSource {
    pub name: String,
    pub url: String,
    pub format: MetricFormat,
    pub series: Vec<String>,
    pub interval_ms: u64,
    pub origin: Origin,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MetricFormat {
    Json,
    Prometheus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Origin {
    /// Declared in front matter.
    Declared,
    /// Proposed from a URL found in the runbook.
    Proposed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    pub severity: Severity,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// What the parser inferred and the author may want to know (`cuedeck check` only).
    Info,
    Warning,
    Error,
}

impl Runbook {
    /// The step holding the given source line, if any.
    pub fn step_at_line(&self, line: usize) -> Option<&Step> {
        self.steps
            .iter()
            .find(|s| s.line <= line && line <= s.end_line)
    }

    /// Every runnable block, in document order, with its step.
    pub fn runnable_blocks(&self) -> impl Iterator<Item = (&Step, &CodeBlock)> {
        self.steps.iter().flat_map(|step| {
            step.blocks
                .iter()
                .filter(|b| b.kind != BlockKind::Shown)
                .map(move |b| (step, b))
        })
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}
