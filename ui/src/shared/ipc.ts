// Typed wrappers over the app's commands (src-tauri/src/lib.rs). Nothing else in the
// UI calls `invoke`: command names and payload shapes live here only.

import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  About,
  StartInfo,
  AudienceView,
  BackupWritten,
  BlockStatus,
  ClickerAction,
  OpenError,
  PlayStatus,
  PreflightReport,
  ProbeEvent,
  RehearsalEntry,
  RehearsalProgress,
  Runbook,
  RunbookUpdate,
  ShowCommand,
  ShowState,
  StepRecordingInfo,
  TerminalGrid,
  TrustStatus,
} from "./model";

/** Opens the runbook at `path` and makes it the open one (title, hot reload). */
export function openRunbook(path: string): Promise<Runbook> {
  return invoke<Runbook>("open_runbook", { path });
}

/** The runbook to show on start (already open, or named on the command line), if any. */
export function initialRunbook(): Promise<Runbook | null> {
  return invoke<Runbook | null>("initial_runbook");
}

/** Opens the tour (its working copy in the data folder). */
export function openTour(): Promise<Runbook> {
  return invoke<Runbook>("open_tour");
}

/** The start page: recent runbooks, and whether the tour is installed. */
export function startInfo(): Promise<StartInfo> {
  return invoke<StartInfo>("start_info");
}

/** Takes a runbook off the recent list; the list as it is then. */
export function forgetRecent(path: string): Promise<StartInfo> {
  return invoke<StartInfo>("forget_recent", { path });
}

/** Version and build facts for the About dialog. */
export function about(): Promise<About> {
  return invoke<About>("about");
}

/** Subscribes to hot reloads of the open runbook. */
export function watchRunbook(onUpdate: (update: RunbookUpdate) => void): Promise<void> {
  const channel = new Channel<RunbookUpdate>();
  channel.onmessage = onUpdate;
  return invoke<void>("watch_runbook", { onUpdate: channel });
}

const OPEN_ERROR_KINDS: ReadonlySet<string> = new Set(["unreadable", "notUtf8"]);

/** Whether a rejected command's value is the app's typed `OpenError`. */
export function isOpenError(value: unknown): value is OpenError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.kind === "string" &&
    OPEN_ERROR_KINDS.has(v.kind) &&
    typeof v.path === "string" &&
    typeof v.reason === "string"
  );
}

/** Any rejection as an `OpenError` (IPC and permission failures arrive as plain strings). */
export function toOpenError(value: unknown, path: string): OpenError {
  if (isOpenError(value)) return value;
  const reason = value instanceof Error ? value.message : String(value);
  return { kind: "unreadable", path, reason };
}

// --- Terminals ---

/**
 * Starts terminal `name` if needed and streams its output (raw bytes) to `onBytes`.
 * Resolves with the bytes that redraw its current screen: write those first.
 */
export function terminalAttach(
  name: string,
  cols: number,
  rows: number,
  onBytes: (bytes: ArrayBuffer) => void,
): Promise<ArrayBuffer> {
  const output = new Channel<ArrayBuffer>();
  output.onmessage = onBytes;
  return invoke<ArrayBuffer>("terminal_attach", { name, cols, rows, output });
}

/** The view rendered `bytes` more bytes of terminal `name` (flow control). */
export function terminalAck(name: string, bytes: number): Promise<void> {
  return invoke<void>("terminal_ack", { name, bytes });
}

/** Keys typed by the presenter into terminal `name`. */
export function terminalInput(name: string, data: string): Promise<void> {
  return invoke<void>("terminal_input", { name, data });
}

export function terminalResize(name: string, cols: number, rows: number): Promise<void> {
  return invoke<void>("terminal_resize", { name, cols, rows });
}

/** Runs a block of the open runbook; `onStatus` hears its progress until it ends. */
export function runBlock(blockId: string, onStatus: (status: BlockStatus) => void): Promise<void> {
  const channel = new Channel<BlockStatus>();
  channel.onmessage = onStatus;
  return invoke<void>("run_block", { blockId, onStatus: channel });
}

/** Stops what a block runs (Ctrl-C, then SIGTERM, then SIGKILL). */
export function stopBlock(blockId: string): Promise<void> {
  return invoke<void>("stop_block", { blockId });
}

/** "dom" where WebGL canvases would stay blank (WebKit compositing off), else "webgl". */
export function terminalRenderer(): Promise<"webgl" | "dom"> {
  return invoke<"webgl" | "dom">("terminal_renderer");
}

/** Stops what runs in terminal `name`, whichever block started it. */
export function stopTerminal(name: string): Promise<void> {
  return invoke<void>("stop_terminal", { name });
}

/** A key for a command typed on the presenter's keys in terminal `name`; whether it was taken. */
export function terminalTypeKey(name: string, data: string): Promise<boolean> {
  return invoke<boolean>("terminal_type_key", { name, data });
}

/** Runs the last command of terminal `name` again (stopping what runs there first). */
export function restartTerminal(name: string): Promise<BlockStatus> {
  return invoke<BlockStatus>("restart_terminal", { name });
}

/** Opens an http(s) link in the user's browser (never in the app's webview). */
export function openLink(url: string): Promise<void> {
  return invoke<void>("open_link", { url });
}

// --- Probes ---

/**
 * Streams the open runbook's probe events (service states, metric points, system
 * samples) to `onEvent`, in order; the latest state of each service arrives first.
 * The backend sends a round of probes as one message (each costs an evaluation).
 */
export function probeAttach(onEvent: (event: ProbeEvent) => void): Promise<void> {
  const channel = new Channel<ProbeEvent[]>();
  channel.onmessage = (events) => events.forEach(onEvent);
  return invoke<void>("probe_attach", { onEvent: channel });
}

/** Stops (or resumes) probing a proposed service the presenter hid. */
export function probeHide(service: string, hidden: boolean): Promise<void> {
  return invoke<void>("probe_hide", { service, hidden });
}

/** Checks what the open runbook needs from this machine. */
export function preflightRun(): Promise<PreflightReport> {
  return invoke<PreflightReport>("preflight_run");
}

// --- Rehearsal and playback ---

/** The recording each step of the open runbook would play (steps without one left out). */
export function recordings(): Promise<StepRecordingInfo[]> {
  return invoke<StepRecordingInfo[]>("recordings");
}

/** The open runbook's trust sheet, and whether the presenter trusts it as it is. */
export function trustStatus(): Promise<TrustStatus> {
  return invoke<TrustStatus>("trust_status");
}

/** The presenter trusts the runbook as its sheet (`digest`) showed it. */
export function trustAccept(digest: string): Promise<TrustStatus> {
  return invoke<TrustStatus>("trust_accept", { digest });
}

/** Every rehearsal of the open runbook, the latest first. */
export function rehearsalList(): Promise<RehearsalEntry[]> {
  return invoke<RehearsalEntry[]>("rehearsal_list");
}

/** A snapshot the rehearsal's manifest lists, as a `data:` URL. */
export function rehearsalSnapshot(rehearsal: string, file: string): Promise<string> {
  return invoke<string>("rehearsal_snapshot", { rehearsal, file });
}

/** Writes a rehearsal's backup bundle (`target` from the runbook's folder; null: the default). */
export function exportBackup(rehearsal: string, target: string | null, notes: boolean): Promise<BackupWritten> {
  return invoke<BackupWritten>("export_backup", { rehearsal, target, notes });
}

/** Rehearses the open runbook (from step `from`, or all of it), recording it. */
export function rehearseRun(from: string | null, onProgress: (p: RehearsalProgress) => void): Promise<void> {
  const channel = new Channel<RehearsalProgress>();
  channel.onmessage = onProgress;
  return invoke<void>("rehearse_run", { from, onProgress: channel });
}

/** Plays a step from its recording; resolves when it has played (or was cancelled). */
export function playStep(
  stepId: string,
  speed: number,
  idleCapMs: number | null,
  onStatus: (s: PlayStatus) => void,
): Promise<void> {
  const channel = new Channel<PlayStatus>();
  channel.onmessage = onStatus;
  return invoke<void>("play_step", { stepId, speed, idleCapMs, onStatus: channel });
}

/** Stops the playback under way. */
export function playbackStop(): Promise<void> {
  return invoke<void>("playback_stop");
}

/** Back to live health lights and charts after a playback. */
export function liveResume(): Promise<void> {
  return invoke<void>("live_resume");
}

// --- The show (both windows) ---

/**
 * Subscribes this window to the show: `onState` hears the whole state at once, then
 * every new state (a reloaded window subscribes again and starts from the whole state).
 */
export function showAttach(onState: (state: ShowState) => void): Promise<ShowState> {
  const channel = new Channel<ShowState>();
  channel.onmessage = onState;
  return invoke<ShowState>("show_attach", { onState: channel });
}

/** Changes the show; resolves with the new state. */
export function showCommand(command: ShowCommand): Promise<ShowState> {
  return invoke<ShowState>("show_command", { command });
}

/** Opens the audience window (on a second monitor, fullscreen, when there is one) or brings it up. */
export function audienceOpen(fullscreen: boolean): Promise<void> {
  return invoke<void>("audience_open", { fullscreen });
}

/** Closes the audience window. */
export function audienceClose(): Promise<void> {
  return invoke<void>("audience_close");
}

/** A window's capture written beside the runbook (`relative` is from the runbook's folder). */
export interface WindowCapture {
  path: string;
  relative: string;
  width: number;
  height: number;
  tookMs: number;
}

/** S / Shift+S: a PNG of the presenter's or the audience's window, under `.cuedeck/captures/`. */
export function captureWindow(target: "presenter" | "audience"): Promise<WindowCapture> {
  return invoke<WindowCapture>("capture_window", { target });
}

// --- The audience window only ---

/** The open runbook as the audience may see it: no notes, secrets masked. */
export function audienceView(): Promise<AudienceView | null> {
  return invoke<AudienceView | null>("audience_view");
}

/** Streams terminal `name`'s output, redacted; resolves with the redacted screen redraw. */
export function audienceTerminalAttach(name: string, onBytes: (bytes: ArrayBuffer) => void): Promise<ArrayBuffer> {
  const output = new Channel<ArrayBuffer>();
  output.onmessage = onBytes;
  return invoke<ArrayBuffer>("audience_terminal_attach", { name, output });
}

/** B or `.` in the audience window: blank the audience screen, or restore it. */
export function audienceBlank(): Promise<ShowState> {
  return invoke<ShowState>("audience_blank");
}

/** Esc in the audience window: leave fullscreen (never closes it, never stops the show). */
export function audienceLeaveFullscreen(): Promise<void> {
  return invoke<void>("audience_leave_fullscreen");
}

/** The grid the audience sized its terminal tiles to (every terminal follows it). */
export function audienceGrid(grid: TerminalGrid | null): Promise<void> {
  return invoke<void>("audience_grid", { grid });
}

/** A clicker key pressed while the audience window had the focus, for the presenter to act on. */
export function audienceClicker(action: ClickerAction): Promise<void> {
  return invoke<void>("audience_clicker", { action });
}
