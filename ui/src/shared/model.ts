// The runbook model as the UI receives it: a hand-written mirror of the Rust types in
// core/src/runbook/model.rs (serde, camelCase; `Option<T>` arrives as `T | null`) and of
// the app's own IPC types in src-tauri/src/{lib,error}.rs. Keep both sides in step.

/** A parsed runbook. */
export interface Runbook {
  /** Where the runbook was read from (absent for in-memory sources). */
  path: string | null;
  title: string;
  frontMatter: FrontMatter;
  outline: Heading[];
  steps: Step[];
  timeline: TimelineEntry[];
  checklist: ChecklistItem[];
  services: ServiceProbe[];
  metrics: MetricSource[];
  terminals: string[];
  diagnostics: Diagnostic[];
  /** How many code blocks the Markdown holds; every one is in some step's `blocks`. */
  codeBlocksInSource: number;
  /** Terminals the prose plans ("Terminal 1: API server"). */
  proposedTerminals: ProposedTerminal[];
}

/** A terminal named in the runbook's prose, with the role the author gave it. */
export interface ProposedTerminal {
  /** As `# Terminal 1` comments name it: `Terminal 1`. */
  name: string;
  purpose: string;
  line: number;
}

export interface FrontMatter {
  title: string | null;
  shell: string | null;
  cwd: string | null;
  env: Record<string, string>;
  skipPrompts: boolean | null;
  redact: string[];
  /** `redact_presenter: false`: the presenter's terminals unmasked (masked when null or true). */
  redactPresenter: boolean | null;
  /** Finish-by time, "HH:MM" local (front matter `end`). */
  end: string | null;
  /** The talk's length in seconds (front matter `duration`); `end` wins when both are given. */
  durationSeconds: number | null;
  /** `typing: 40` / `typing: keys`: the default for every runnable block. */
  typing: Typing | null;
  lines: [number, number] | null;
  extra: Record<string, unknown>;
}

export interface Heading {
  level: number;
  title: string;
  line: number;
  budget: Budget | null;
  /** Index into `Runbook.steps`. */
  step: number | null;
}

export type BudgetSource = "heading" | "timeline" | "label";

export interface Budget {
  seconds: number;
  source: BudgetSource;
  line: number;
}

export interface Step {
  id: string;
  title: string;
  level: number;
  line: number;
  endLine: number;
  breadcrumbs: string[];
  budget: Budget | null;
  optional: boolean;
  /** The step's Markdown source (heading excluded). */
  markdown: string;
  /**
   * The step's Markdown rendered to sanitized HTML by core; each code block is a
   * `<div class="cue-block" data-block="BLOCK_ID"></div>` placeholder for the UI to fill.
   * Empty (or absent, from an older core) until core renders it: the UI then falls back
   * to the Markdown source.
   */
  html: string;
  blocks: CodeBlock[];
  substeps: SubStep[];
  notes: Note[];
  questions: QaCard[];
  expectations: Expectation[];
  pitch: string | null;
  targets: MetricTarget[];
  links: Link[];
}

export interface SubStep {
  number: number;
  title: string;
  line: number;
  /** Indices into the step's `blocks`. */
  blocks: number[];
}

export type BlockKind = "run" | "input" | "shown";

export interface CodeBlock {
  id: string;
  line: number;
  endLine: number;
  lang: string | null;
  info: string;
  attributes: CellAttributes;
  kind: BlockKind;
  /** The terminal the block runs or types in (for a `# Terminal N` split, the first). */
  terminal: string;
  source: string;
  commands: Command[];
  input: InputLine[];
  background: boolean;
  substep: number | null;
  inferred: string[];
  /** Services this block waits for before it runs. */
  waitFor: WaitFor | null;
  /** Hidden setup lines (`#| cmd`): run first, never shown. */
  hidden: Command[];
  /** The block as shown: `source` without its hidden lines. */
  display: string;
  /** Its last command is an interactive program, ready once it waits for input. */
  interactive: boolean;
  /** An input block's prompt (`>` for `> hello`). */
  prompt: string | null;
  /** No language, but it reads as shell and runs: show an "inferred shell" badge. */
  inferredShell: boolean;
  /** File lines of the block shown but never sent (pasted output, `//` notes). */
  notSent: number[];
}

/** A readiness gate (`cuedeck_core::runbook::WaitFor`). */
export interface WaitFor {
  /** Service names; empty means every service. */
  services: string[];
  timeoutMs: number;
  /** The `sleep N` command the gate stands in for. */
  replaces: string | null;
}

export interface Command {
  terminal: string;
  text: string;
  comment: string | null;
  line: number;
  /** Local ports the command listens on (its readiness). */
  ports: number[];
}

export interface InputLine {
  text: string;
  target: string | null;
  line: number;
  /** `^C` written as a line: the control key sent (`c`), `text` empty. */
  control: string | null;
}

/** How a command is typed: about `cps` characters a second, or one chunk per key. */
export type Typing = { cps: number } | "keys";

export interface CellAttributes {
  name: string | null;
  id: string | null;
  background: boolean | null;
  interactive: boolean | null;
  cwd: string | null;
  excludeFromRunAll: boolean;
  promptEnv: string | null;
  closeTerminalOnSuccess: boolean | null;
  openTerminalOnError: boolean | null;
  interpreter: string | null;
  mimeType: string | null;
  terminalRows: number | null;
  tags: string[];
  ignore: boolean;
  terminal: string | null;
  expect: OutputPattern | null;
  timeoutMs: number | null;
  waitFor: string | null;
  typing: Typing | null;
  port: number | null;
  redact: string[];
  unknown: Record<string, unknown>;
}

export type OutputPattern = { kind: "text"; value: string } | { kind: "regex"; value: string };

export type NoteKind = "talkingPoint" | "callOut" | "keyPoint" | "tip" | "remark";

export interface Note {
  kind: NoteKind;
  label: string;
  text: string;
  line: number;
}

export interface QaCard {
  question: string;
  answer: string;
  line: number;
}

export interface Expectation {
  text: string;
  output: string | null;
  line: number;
}

export interface ChecklistItem {
  text: string;
  checked: boolean;
  line: number;
  auto: AutoCheck | null;
  /** The code block under the item: running it (from the pre-flight panel) checks it. */
  block: string | null;
}

export type AutoCheck =
  | { kind: "port"; value: number }
  | { kind: "tool"; value: string }
  | { kind: "service"; value: string };

export interface MetricTarget {
  metric: string;
  target: string;
  achieved: string | null;
  line: number;
}

export interface Link {
  url: string;
  line: number;
}

export interface TimelineEntry {
  startSeconds: number;
  endSeconds: number;
  label: string;
  line: number;
  step: string | null;
}

export type Origin = "declared" | "proposed";

export interface ServiceProbe {
  name: string;
  url: string;
  intervalMs: number;
  timeoutMs: number;
  slowMs: number;
  expectStatus: number;
  expectJson: JsonExpectation | null;
  origin: Origin;
  line: number;
}

export interface JsonExpectation {
  field: string;
  value: unknown;
}

export type MetricFormat = "json" | "prometheus";

export interface MetricSource {
  name: string;
  url: string;
  format: MetricFormat;
  series: string[];
  intervalMs: number;
  origin: Origin;
  line: number;
}

export type Severity = "info" | "warning" | "error";

export interface Diagnostic {
  severity: Severity;
  line: number;
  message: string;
}

// --- The app's own IPC types (src-tauri) ---

export type OpenErrorKind = "unreadable" | "notUtf8";

/** Why a runbook could not be opened (`cuedeck_app::OpenError`). */
export interface OpenError {
  kind: OpenErrorKind;
  path: string;
  reason: string;
}

/** What the hot-reload channel carries (`cuedeck_app::RunbookUpdate`). */
export type RunbookUpdate =
  | { kind: "loaded"; runbook: Runbook }
  | { kind: "failed"; error: OpenError };

// --- Terminals (src-tauri/src/terminals.rs) ---

/** A block's progress, as its badge shows it. */
export type BlockState =
  | "running"
  | "gated"
  | "waiting"
  /** A command waits for the presenter's keys to be typed (`typing: keys`). */
  | "typing"
  | "ready"
  | "ok"
  | "failed"
  | "timedOut"
  | "stopped"
  /** Window only: the step was played from its recording. */
  | "played";

export interface BlockStatus {
  blockId: string;
  state: BlockState;
  exitCode: number | null;
  durationMs: number;
  message: string | null;
}

/** Why a terminal command failed. */
export interface TerminalError {
  message: string;
}

// --- Rehearsal and playback (src-tauri/src/playback.rs) ---

/** How a step ended (`terminal::StepStatus`). */
export type StepStatus = "ok" | "failed" | "timedOut" | "stopped" | "ready";

/** What a step would play back: its latest passing recording. */
export interface StepRecordingInfo {
  stepId: string;
  /** The rehearsal folder's name (its UTC start time). */
  rehearsal: string;
  /** The step's commands changed since that rehearsal. */
  stale: boolean;
  status: StepStatus;
  durationMs: number;
  terminals: string[];
  /** Its terminals' screens as it ended. */
  snapshots: StepSnapshot[];
}

/** One terminal's screen at the end of a step: a PNG in the rehearsal folder. */
export interface StepSnapshot {
  terminal: string;
  /** Path in the rehearsal folder (`snapshots/<step>--<terminal>.png`). */
  file: string;
}

// --- The rehearsal view (src-tauri/src/rehearsals.rs, core record::store) ---

/** One rehearsal of the open runbook. */
export interface RehearsalEntry {
  /** The folder's name (its UTC start time). */
  name: string;
  started: string | null;
  finished: string | null;
  passed: number;
  failed: number;
  steps: StepSummary[];
  /** Why its manifest does not read. */
  error: string | null;
  /** The default backup file, from the runbook's folder. */
  backup: string;
}

/** One step of a rehearsal. */
export interface StepSummary {
  id: string;
  number: number;
  title: string;
  status: StepStatus;
  exitCode: number | null;
  durationMs: number;
  message: string | null;
  /** Its commands changed since (or it left the runbook). */
  stale: boolean;
  snapshots: StepSnapshot[];
}

/** A backup bundle written. */
export interface BackupWritten {
  path: string;
  /** From the runbook's folder when inside it. */
  relative: string;
  bytes: number;
  castsBytes: number;
  casts: number;
  snapshots: number;
}

// --- Trust (core trust::sheet, src-tauri/src/trust.rs) ---

export type TrustKind = "env" | "shell" | "cwd" | "interpreter" | "hidden" | "probe";

/** One thing the runbook would execute or contact beyond its visible blocks. */
export interface TrustItem {
  kind: TrustKind;
  line: number;
  subject: string;
  detail: string;
  /** It reaches beyond the runbook's folder or this machine. */
  warn: boolean;
}

/** Something no runbook may do. */
export interface Blocked {
  line: number;
  subject: string;
  reason: string;
}

export interface TrustSheet {
  path: string;
  digest: string;
  runnableBlocks: number;
  items: TrustItem[];
  blocked: Blocked[];
}

export interface TrustStatus {
  sheet: TrustSheet;
  trusted: boolean;
  /** Why the decision cannot be kept past this session. */
  storeError: string | null;
}

/** A rehearsal's progress. */
export type RehearsalProgress =
  | { kind: "stepStarted"; stepId: string }
  | { kind: "stepFinished"; stepId: string; status: StepStatus; exitCode: number | null; message: string | null }
  | { kind: "finished"; folder: string; passed: number; failed: number };

export type PlayState = "playing" | "finished" | "cancelled";

/** A playback's progress. */
export interface PlayStatus {
  stepId: string;
  state: PlayState;
  /** The terminals it plays into, the step's own first. */
  terminals: string[];
  rehearsal: string;
  stale: boolean;
  message: string | null;
}

// --- Probes (cuedeck_core::probe) ---

/** Milliseconds since the Unix epoch. */
export type UnixMs = number;

export type Health = "up" | "down" | "degraded" | "unknown";

/** One probe of one service (`probe::ServiceStatus`). */
export interface ServiceStatus {
  service: string;
  url: string;
  health: Health;
  at: UnixMs;
  latencyMs: number | null;
  httpStatus: number | null;
  error: string | null;
}

/** One value of one series (`probe::MetricPoint`). */
export interface MetricPoint {
  source: string;
  series: string;
  at: UnixMs;
  value: number;
  unit: string | null;
}

export interface TerminalUsage {
  terminal: string;
  cpuPercent: number;
  rssBytes: number;
  processes: number;
}

export interface SystemSample {
  at: UnixMs;
  cpuPercent: number;
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  terminals: TerminalUsage[];
}

/** What the probe channel carries (`probe::ProbeEvent`). */
export type ProbeEvent =
  | ({ kind: "service" } & ServiceStatus)
  | { kind: "metrics"; source: string; at: UnixMs; points: MetricPoint[]; error: string | null }
  | ({ kind: "system" } & SystemSample);

// --- Pre-flight (cuedeck_core::probe::preflight) ---

export type CheckKind = "tool" | "port" | "service" | "checklist";
export type CheckStatus = "missing" | "later" | "manual" | "ok";

export interface PreflightItem {
  kind: CheckKind;
  subject: string;
  status: CheckStatus;
  detail: string;
  line: number;
}

export interface PreflightReport {
  items: PreflightItem[];
}

// --- The show (core/src/show/state.rs), shared by the presenter and audience windows ---

export type ShowMode = "live" | "playback";

/** The talk clock as absolute epoch-ms timestamps: every window computes the same time. */
export interface ShowTimer {
  startedAt: number | null;
  pausedAt: number | null;
  /** Total of the finished pauses. */
  pausedMs: number;
  /** Time already spent in each step (finished segments), by step id. */
  stepSpentMs: Record<string, number>;
  /** When the current step's running segment began; null when paused or not started. */
  stepSince: number | null;
}

export interface TerminalGrid {
  cols: number;
  rows: number;
}

export interface AudienceState {
  open: boolean;
  /** The monitor it is on (its name), when known. */
  monitor: string | null;
  fullscreen: boolean;
  /** Whether the audience sees the talk clock. */
  showClock: boolean;
  /** The columns the audience's terminals are sized to show. */
  columns: number;
  /** The grid every terminal follows while the audience is open. */
  grid: TerminalGrid | null;
}

export interface ShowState {
  revision: number;
  runbook: string | null;
  steps: string[];
  current: number | null;
  currentStepId: string | null;
  mode: ShowMode;
  stepModes: Record<string, ShowMode>;
  timer: ShowTimer;
  blanked: boolean;
  playing: string | null;
  /** The terminals started so far (the audience tiles those of the current step). */
  terminals: string[];
  /** Bumped when the open runbook's content changes (a reload): views fetch it again. */
  contentRevision: number;
  audience: AudienceState;
  publishedAt: number;
}

/** The typed commands that change the show (core's `ShowCommand`). */
export type ShowCommand =
  | { kind: "goTo"; step: number }
  | { kind: "next" }
  | { kind: "previous" }
  | { kind: "setMode"; mode: ShowMode }
  | { kind: "setStepMode"; stepId: string; mode: ShowMode | null }
  | { kind: "startTimer" }
  | { kind: "toggleTimer" }
  | { kind: "resetTimer" }
  | { kind: "toggleBlank" }
  | { kind: "setBlank"; blanked: boolean }
  | { kind: "showClock"; on: boolean }
  | { kind: "audienceColumns"; columns: number };

// --- The audience's view of the runbook (core/src/show/audience.rs): no notes, redacted ---

export interface AudienceBlock {
  id: string;
  lang: string | null;
  kind: BlockKind;
  source: string;
}

/** A step as the audience knows it: by position (no id: ids are slugs of titles). */
export interface AudienceStep {
  number: number;
  title: string;
  breadcrumbs: string[];
  html: string;
  blocks: AudienceBlock[];
  terminals: string[];
}

export interface AudienceView {
  title: string;
  steps: AudienceStep[];
}


/** What a presentation remote's buttons mean (the same in both windows). */
export type ClickerAction = "advance" | "back" | "blank" | "start" | "leaveFullscreen";

/** A runbook on the start page's list (`cuedeck_app::start::RecentEntry`). */
export interface RecentEntry {
  path: string;
  title: string;
  openedUnix: number;
  exists: boolean;
}

/** What the start page shows (`cuedeck_app::start::StartInfo`). */
export interface StartInfo {
  recent: RecentEntry[];
  tour: boolean;
  notKept: string | null;
}

/** What the About dialog shows (`cuedeck_app::start::About`). */
export interface About {
  name: string;
  version: string;
  description: string;
  license: string;
  tauri: string;
  webview: string | null;
  configDir: string | null;
  dataDir: string | null;
}
