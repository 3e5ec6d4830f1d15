// Pure rules of the terminal pane, kept apart from xterm.js and IPC so they are unit-tested.

import type { BlockState, BlockStatus, CodeBlock, Step, TerminalUsage } from "./model";

/** The terminals a block runs or types in, the one to show first at the head. */
export function blockTerminals(block: CodeBlock): string[] {
  // Not the terminals of hidden setup lines alone: nothing shows there.
  const names = [...block.commands.map((c) => c.terminal), ...block.input.map((l) => l.target ?? "")].filter(
    (t) => t !== "",
  );
  if (names.length === 0) names.push(block.terminal || "main");
  return [...new Set(names)];
}

/** Whether a block is still in progress in this state. */
export function isActive(state: BlockState): boolean {
  return state === "running" || state === "gated" || state === "waiting" || state === "typing";
}

/**
 * What a key pressed outside the terminals types while a command waits for the
 * presenter's keys (`typing: keys`): the key itself, or Enter for the remote's
 * next keys (each types the next characters, and runs the command once it is
 * fully typed). `null`: the key keeps its meaning (P still plays, Ctrl+. stops).
 */
export function keyTypingData(e: { key: string; ctrlKey: boolean; altKey: boolean; metaKey: boolean }): string | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  if (e.key === "Enter" || e.key === "PageDown" || e.key === "ArrowRight") return "\r";
  if (e.key === "p" || e.key === "P") return null;
  return e.key.length === 1 ? e.key : null;
}

/** The badge text for a status: "✓ ok 1.2s", "✗ exit 2", "… running". */
export function badgeText(status: BlockStatus): string {
  const secs = `${(status.durationMs / 1000).toFixed(1)}s`;
  switch (status.state) {
    case "running":
      return "… running";
    case "played":
      return "▶ played from recording";
    case "gated":
      return `… ${status.message ?? "waiting for services…"}`;
    case "waiting":
      return status.message ? `… ${status.message}` : "… waiting for ready";
    case "typing":
      return `⌨ ${status.message ?? "press keys to type"}`;
    case "ready": {
      const parts = readyParts(status);
      if (parts.length > 1) return `● ready ×${parts.length} ${secs}`;
      return parts.length === 1 ? `● ready: ${parts[0]} ${secs}` : `● ready ${secs}`;
    }
    case "ok":
      return `✓ ok ${secs}`;
    case "failed":
      return status.exitCode === null ? `✗ failed ${secs}` : `✗ exit ${status.exitCode} ${secs}`;
    case "timedOut":
      return `◷ timed out ${secs}`;
    case "stopped":
      return `■ stopped ${secs}`;
  }
}

/** What made each part of a ready block ready ("Terminal 1: port 5401", ...). */
function readyParts(status: BlockStatus): string[] {
  const m = status.message;
  if (status.state !== "ready" || !m?.startsWith("ready: ")) return [];
  return m.slice("ready: ".length).split(" · ");
}

/** The line under a block's head: what made each terminal of a split block ready. */
export function statusDetail(status: BlockStatus | undefined): string | null {
  const parts = status ? readyParts(status) : [];
  return parts.length > 1 ? parts.join("   ·   ") : null;
}

/**
 * The block Enter runs on a step: the first runnable block that has not run yet or
 * did not succeed, skipping any still running. `null` when every one is done.
 */
export function nextToRun(step: Step, statuses: ReadonlyMap<string, BlockStatus>): CodeBlock | null {
  for (const block of step.blocks) {
    if (block.kind === "shown") continue;
    const state = statuses.get(block.id)?.state;
    if (state === undefined || state === "failed" || state === "timedOut" || state === "stopped") return block;
  }
  return null;
}

/** Font size after a zoom key: Ctrl+= bigger, Ctrl+- smaller, Ctrl+0 back to `base`. */
export function zoomed(current: number, key: string, base: number): number | null {
  if (key === "=" || key === "+") return Math.min(current + 2, 48);
  if (key === "-" || key === "_") return Math.max(current - 2, 8);
  if (key === "0") return base;
  return null;
}

/** Where a terminal's parsed bytes go: xterm.js's `write(data, callback)`. */
export type WriteParsed = (bytes: Uint8Array, parsed: () => void) => void;

/**
 * The output of one attached terminal view, as flow control wants it: the screen redraw
 * first (it is no output of the stream, so it is not acknowledged), then every batch in
 * order, each acknowledged once and only after xterm.js parsed it. Batches that arrive
 * before the redraw wait for it.
 */
export class OutputFeed {
  private early: Uint8Array[] | null = [];
  private unacked = 0;
  private closed = false;

  constructor(
    private readonly write: WriteParsed,
    private readonly ack: (bytes: number) => void,
  ) {}

  /** A batch of output from the backend. */
  push(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.early) this.early.push(bytes);
    else this.forward(bytes);
  }

  /** The bytes that redraw the screen as it was when the view attached. */
  start(redraw: Uint8Array): void {
    if (this.closed || !this.early) return;
    const early = this.early;
    this.early = null;
    if (redraw.length > 0) this.write(redraw, () => undefined);
    for (const bytes of early) this.forward(bytes);
  }

  /** Bytes handed to xterm.js and not yet acknowledged. */
  get pending(): number {
    return this.unacked + (this.early?.reduce((n, b) => n + b.length, 0) ?? 0);
  }

  /** The view is gone: nothing more is written or acknowledged. */
  close(): void {
    this.closed = true;
    this.early = null;
  }

  private forward(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.unacked += bytes.length;
    this.write(bytes, () => {
      this.unacked -= bytes.length;
      if (!this.closed) this.ack(bytes.length);
    });
  }
}

/** The parts of a key event the key rules look at. */
export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  metaKey: boolean;
}

/** What a key typed in a terminal does before (or instead of) reaching its program. */
export type TerminalKey = "zoomIn" | "zoomOut" | "zoomReset" | "copy" | "paste" | "stop" | null;

export function terminalKey(e: KeyPress): TerminalKey {
  if (!e.ctrlKey || e.altKey || e.metaKey) return null;
  if (e.shiftKey) {
    if (e.key === "C" || e.key === "c") return "copy";
    if (e.key === "V" || e.key === "v") return "paste";
    if (e.key === "+") return "zoomIn"; // Ctrl+Shift+= on most layouts
    return null;
  }
  if (e.key === "=" || e.key === "+") return "zoomIn";
  if (e.key === "-") return "zoomOut";
  if (e.key === "0") return "zoomReset";
  if (e.key === ".") return "stop";
  return null;
}

/** What a key does outside the terminals: run the next block, stop, or nothing here. */
export type PageKey = "run" | "stop" | "play" | null;

export function pageKey(e: KeyPress, where: { inTerminal: boolean; onButton: boolean }): PageKey {
  if (e.ctrlKey && !e.shiftKey && !e.altKey && !e.metaKey && e.key === ".") return "stop";
  if (where.inTerminal) return null;
  const plain = !e.ctrlKey && !e.altKey && !e.metaKey;
  // P plays the step's recording (the fallback when the live run failed), even with
  // the focus still on the Run button that failed.
  if ((e.key === "p" || e.key === "P") && plain) return "play";
  if (where.onButton) return null;
  if (e.key === "Enter" && plain && !e.shiftKey) return "run";
  return null;
}

/** The blocks Stop (Ctrl+.) stops: those still running or waiting to be ready. */
export function activeBlocks(statuses: ReadonlyMap<string, BlockStatus>): string[] {
  return [...statuses.values()].filter((s) => isActive(s.state)).map((s) => s.blockId);
}

/**
 * Whether a click on a link in a terminal opens it: Ctrl+click (Cmd+click on macOS), as in
 * VS Code, so a click meant to select text on stage never opens a browser; http(s) only.
 */
export function opensLink(e: { ctrlKey: boolean; metaKey: boolean }, uri: string): boolean {
  if (!(e.ctrlKey || e.metaKey)) return false;
  try {
    const url = new URL(uri);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** The mouse event a link activation carries (a `MouseEvent` in the view). */
export interface LinkEvent {
  ctrlKey: boolean;
  metaKey: boolean;
  preventDefault(): void;
}

/**
 * xterm.js's `linkHandler` for OSC 8 hyperlinks (`ESC ] 8 ;; uri ST text ESC ] 8 ;; ST`).
 * Without one, xterm asks `confirm()` and opens the link with `window.open` inside the
 * webview; with this one a link opens only on Ctrl/Cmd+click, only for http(s), and only
 * through `open` (the app's `open_link`, which opens the user's browser). `open`
 * undefined (a read-only view): links are inert.
 */
export function terminalLinkHandler(open: ((uri: string) => void) | undefined): {
  allowNonHttpProtocols: false;
  activate(e: LinkEvent, uri: string): void;
} {
  return {
    allowNonHttpProtocols: false,
    activate(e: LinkEvent, uri: string): void {
      e.preventDefault();
      if (open !== undefined && opensLink(e, uri)) open(uri);
    },
  };
}

/** "3% · 12 MB": a terminal's process tree, short enough for its tab. */
export function usageLabel(u: TerminalUsage): string {
  const mb = u.rssBytes / (1024 * 1024);
  const memory = mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${Math.round(mb)} MB`;
  return `${Math.round(u.cpuPercent)}% · ${memory}`;
}

/**
 * The largest font size (in half pixels, a little margin kept for xterm.js's rounding
 * of cells to device pixels) at which `grid` fits `width` x `height` pixels, given a
 * cell's width and height per pixel of font size.
 */
export function fontForGrid(
  grid: { cols: number; rows: number },
  width: number,
  height: number,
  cell: { width: number; height: number },
): number {
  if (grid.cols <= 0 || grid.rows <= 0 || width <= 0 || height <= 0) return 6;
  // An infinite height fits the columns alone.
  const fit = Math.min(width / (grid.cols * cell.width), height / (grid.rows * cell.height)) * 0.97;
  return Math.max(6, Math.floor(fit * 2) / 2);
}

/** How long a focused terminal's cursor blinks after the last key or output. */
export const BLINK_FOR_MS = 5000;

/**
 * When a cursor blinks: only in the focused terminal, and only for a few seconds
 * after something happened there (a blinking cursor repaints twice a second, in
 * every view, for as long as the app is open otherwise). Times are passed in.
 */
export class CursorBlink {
  private focused = false;
  private lastActive = Number.NEGATIVE_INFINITY;

  focus(now: number): void {
    this.focused = true;
    this.lastActive = now;
  }

  blur(): void {
    this.focused = false;
  }

  /** A key typed or output drawn. */
  activity(now: number): void {
    this.lastActive = now;
  }

  blinks(now: number): boolean {
    return this.focused && now - this.lastActive < BLINK_FOR_MS;
  }

  /** Milliseconds until it stops blinking, or null when it does not blink. */
  stopsIn(now: number): number | null {
    return this.blinks(now) ? BLINK_FOR_MS - (now - this.lastActive) : null;
  }
}

/** How long after a key its echo is waited for. */
export const ECHO_WITHIN_MS = 500;
/** Output larger than this is no echo: it is drawn on the next frame like any other. */
export const ECHO_MAX_BYTES = 4096;

/**
 * Which output is a key's echo, to be drawn at once rather than on the next animation
 * frame: the first write after a key typed in the view, if it comes within
 * `ECHO_WITHIN_MS` and is small. One write per key, so output that streams while the
 * user types is still drawn once a frame.
 */
export class EchoWatch {
  private typedAt: number | null = null;

  /** A key (or a paste) went to the program. */
  typed(now: number): void {
    this.typedAt = now;
  }

  /** A write of `bytes` bytes was parsed: whether to draw it now. */
  drawsNow(now: number, bytes: number): boolean {
    if (this.typedAt === null) return false;
    const echo = now - this.typedAt <= ECHO_WITHIN_MS && bytes <= ECHO_MAX_BYTES;
    this.typedAt = null;
    return echo;
  }
}
