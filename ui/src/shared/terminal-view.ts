// One named terminal as an xterm.js view, for both windows. Bytes come from the
// backend through a `TerminalSource` (the presenter's attaches with input, resize and
// flow-control acks; the audience's is read-only and redacted), written in order
// after the screen redraw the attach returned.
//
// Sizing: a view either *fits* (the fit addon picks columns and rows from its font
// size and the view tells the backend), or *follows* a fixed grid (the columns and
// rows are given, and the font is scaled so the grid fills the element: the
// audience's big screen, and the presenter's pane while the audience is open).

import { FitAddon } from "@xterm/addon-fit";
import { SearchAddon } from "@xterm/addon-search";
import { Unicode11Addon } from "@xterm/addon-unicode11";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { h } from "./dom";
import { CursorBlink, EchoWatch, OutputFeed, fontForGrid, opensLink, terminalKey, terminalLinkHandler, zoomed } from "./terminal-logic";

export const BASE_FONT_SIZE = 15;
/**
 * Rows of scrollback a view keeps. The backend's screen model keeps as many
 * (`VIEW_SCROLLBACK` in core/src/terminal/screen.rs), so that a view that skipped
 * frames during a flood is resynced with everything it can scroll back to.
 */
export const VIEW_SCROLLBACK = 5000;

/** The OSC that starts a resync (a view that skipped frames, brought up to date). */
export const RESYNC_OSC = 5379;
/** The terminals' font: the app's own (`fonts.css`), then the system's monospace. */
const FONT_FAMILY = '"JetBrains Mono Variable", monospace';

// xterm.js measures its cell once, when a view opens, and so does `cellRatio`: measured
// before the face is in, they would size every cell by the fallback font. This module
// is loaded once per window, so waiting here covers every view.
await document.fonts?.load(`16px ${FONT_FAMILY}`).catch((e: unknown) => console.error("cannot load the terminal font", e));

/** Where a view's bytes come from and where its keys and size go. */
export interface TerminalSource {
  /** Starts streaming; resolves with the bytes that redraw the current screen. */
  attach(cols: number, rows: number, onBytes: (bytes: ArrayBuffer) => void): Promise<ArrayBuffer>;
  /** Flow control: the view parsed `bytes` more bytes. Absent: nothing to acknowledge. */
  ack?(bytes: number): void;
  /** Keys typed into the view. Absent: the view is read-only. */
  input?(data: string): void;
  /** The view's grid changed (fit mode). Absent: the view never resizes the terminal. */
  resize?(cols: number, rows: number): void;
  /** Ctrl+click on a link. Absent: links are not clickable. */
  openLink?(uri: string): void;
  /** Which renderer to use. */
  renderer: Promise<"webgl" | "dom">;
}

export interface TerminalViewOptions {
  /** Ctrl+. in the view. */
  onStop?: () => void;
  /** Esc (unless a full-screen program such as vim has the screen) or Shift+Esc. */
  onLeave?: () => void;
  /** The cursor may blink: while the view is focused, a few seconds after activity. */
  cursorBlink: boolean;
  /**
   * How a followed grid is scaled: "both" fits it whole (the audience's tiles);
   * "width" fits its columns and shows its newest rows when they don't all fit (the
   * presenter's small pane: a readable font matters more than the oldest rows).
   */
  follow: "both" | "width";
}

export class TerminalView {
  readonly term: Terminal;
  readonly element: HTMLElement;
  private readonly fit = new FitAddon();
  readonly search = new SearchAddon();
  readonly attached: Promise<void>;
  private readonly feed: OutputFeed;
  /** The fixed grid this view follows, or null when it fits its element. */
  private grid: { cols: number; rows: number } | null = null;
  private baseFontSize = BASE_FONT_SIZE;
  /**
   * Resyncs drawn: each is the backend bringing this view up to date after it skipped
   * a flood it could not draw in time. For tests and the window benchmark.
   */
  resyncs = 0;
  /** The renderer drawing this view: WebGL, or the DOM where WebGL is off or was lost. */
  renderer: "webgl" | "dom" = "dom";
  private readonly blink = new CursorBlink();
  private blinkTimer: number | null = null;
  private readonly echo = new EchoWatch();
  /** Echoes drawn at once (see `drawNow`), for tests and the window benchmark. */
  echoesDrawnAtOnce = 0;

  constructor(
    readonly name: string,
    parent: HTMLElement,
    private readonly source: TerminalSource,
    private readonly options: TerminalViewOptions,
  ) {
    this.element = h("div", { class: "terminal-view", "data-terminal": name });
    parent.append(this.element);
    const readOnly = source.input === undefined;
    this.term = new Terminal({
      fontFamily: FONT_FAMILY,
      fontSize: BASE_FONT_SIZE,
      cursorBlink: false,
      disableStdin: readOnly,
      scrollback: VIEW_SCROLLBACK,
      allowProposedApi: true, // unicode11
      theme: { background: "#0b0f18", foreground: "#e8edf7", cursor: "#ffb547" },
      // OSC 8 hyperlinks a program prints: Ctrl/Cmd+click through `openLink` only
      // (xterm's default would `window.open` them in the webview).
      linkHandler: terminalLinkHandler(source.openLink ? (uri) => source.openLink?.(uri) : undefined),
    });
    const addons = [this.fit, this.search, new Unicode11Addon()];
    if (source.openLink) addons.push(new WebLinksAddon((e, uri) => this.onLink(e, uri)));
    for (const addon of addons) this.term.loadAddon(addon);
    this.term.unicode.activeVersion = "11";
    // Every resync from the backend's screen model starts with this OSC of ours
    // (RESYNC_OSC in core/src/terminal/screen.rs); a program's own reset is not one.
    this.term.parser.registerOscHandler(RESYNC_OSC, () => {
      this.resyncs++;
      return true;
    });
    this.term.open(this.element);
    this.fit.fit();
    if (source.input) {
      const input = source.input.bind(source);
      this.term.onData((data) => {
        this.echo.typed(performance.now());
        input(data);
      });
    }
    if (options.cursorBlink) this.blinkWhenFocused();
    this.term.onResize(({ cols, rows }) => {
      if (this.grid === null) source.resize?.(cols, rows);
    });
    this.term.attachCustomKeyEventHandler((e) => this.onKey(e));
    // A followed grid taller than the pane: keep the cursor's row in sight.
    this.term.onCursorMove(() => this.keepCursorInSight());
    this.term.onRender(() => this.keepCursorInSight());
    this.feed = new OutputFeed(
      (bytes, parsed) => {
        if (options.cursorBlink) this.active();
        this.term.write(bytes, () => {
          parsed();
          if (this.echo.drawsNow(performance.now(), bytes.length) && drawNow(this.term)) this.echoesDrawnAtOnce++;
        });
      },
      (n) => source.ack?.(n),
    );
    this.attached = this.useWebgl().then(() => this.attach());
  }

  /** The cursor blinks while the view is focused and keys or output come. */
  private blinkWhenFocused(): void {
    const textarea = this.term.textarea;
    textarea?.addEventListener("focus", () => {
      this.blink.focus(performance.now());
      this.updateBlink();
    });
    textarea?.addEventListener("blur", () => {
      this.blink.blur();
      this.updateBlink();
    });
    this.term.onData(() => this.active());
  }

  private active(): void {
    const now = performance.now();
    const was = this.blink.blinks(now);
    this.blink.activity(now);
    if (!was) this.updateBlink();
  }

  /** Turns blinking on or off, and looks again when it is due to stop. */
  private updateBlink(): void {
    const now = performance.now();
    const on = this.blink.blinks(now);
    if (this.term.options.cursorBlink !== on) this.term.options.cursorBlink = on;
    const stopsIn = this.blink.stopsIn(now);
    if (stopsIn !== null && this.blinkTimer === null) {
      this.blinkTimer = window.setTimeout(() => {
        this.blinkTimer = null;
        this.updateBlink();
      }, stopsIn + 20);
    }
  }

  /** WebGL where the backend says it renders and the webview has it; else the DOM renderer. */
  private async useWebgl(): Promise<void> {
    if ((await this.source.renderer) === "dom") return;
    try {
      // Loaded only where it is used: the DOM renderer's windows never parse it.
      const { WebglAddon } = await import("@xterm/addon-webgl");
      const webgl = new WebglAddon();
      webgl.onContextLoss(() => {
        webgl.dispose();
        this.renderer = "dom";
      });
      this.term.loadAddon(webgl);
      this.renderer = "webgl";
    } catch (e) {
      console.info("WebGL renderer unavailable; using the DOM renderer", e);
    }
  }

  /** Streams output; bytes that arrive before the screen redraw wait for it. */
  private async attach(): Promise<void> {
    const redraw = await this.source.attach(this.term.cols, this.term.rows, (buf) => this.feed.push(new Uint8Array(buf)));
    this.feed.start(new Uint8Array(redraw));
  }

  private onLink(e: MouseEvent, uri: string): void {
    e.preventDefault();
    if (opensLink(e, uri)) this.source.openLink?.(uri);
  }

  /** Zoom, copy, paste and stop keys; `false` keeps the key from the program. */
  private onKey(e: KeyboardEvent): boolean {
    if (e.key === "Escape" && this.options.onLeave && (e.shiftKey || this.term.buffer.active.type !== "alternate")) {
      if (e.type === "keydown") {
        this.term.blur();
        this.options.onLeave();
      }
      e.preventDefault();
      return false;
    }
    const action = terminalKey(e);
    if (action === null) return true;
    if (e.type !== "keydown") return false;
    switch (action) {
      case "zoomIn":
      case "zoomOut":
      case "zoomReset": {
        const key = action === "zoomIn" ? "=" : action === "zoomOut" ? "-" : "0";
        this.baseFontSize = zoomed(this.baseFontSize, key, BASE_FONT_SIZE) ?? BASE_FONT_SIZE;
        this.layout();
        break;
      }
      case "copy":
        if (this.term.hasSelection()) void navigator.clipboard.writeText(this.term.getSelection()).catch(logError);
        break;
      case "paste":
        if (this.source.input) void navigator.clipboard.readText().then((t) => this.term.paste(t), logError);
        break;
      case "stop":
        this.options.onStop?.();
        break;
    }
    e.preventDefault();
    return false;
  }

  /** Fit the element (null), or follow a fixed grid scaled to fill it. */
  setGrid(grid: { cols: number; rows: number } | null): void {
    this.grid = grid;
    if (grid === null) {
      this.term.options.fontSize = this.baseFontSize;
      this.element.classList.remove("follows");
    }
    this.layout();
  }

  /** The grid followed, if any. */
  followedGrid(): { cols: number; rows: number } | null {
    return this.grid;
  }

  /** Lays the view out again (after its element changed size). */
  layout(): void {
    if (this.element.hidden || this.element.clientWidth === 0) return;
    if (this.grid === null) {
      this.term.options.fontSize = this.baseFontSize;
      this.fit.fit();
      return;
    }
    const height = this.options.follow === "both" ? this.element.clientHeight : Number.POSITIVE_INFINITY;
    const size = fontForGrid(this.grid, this.element.clientWidth, height, cellRatio());
    this.element.classList.add("follows");
    if (this.term.options.fontSize !== size) this.term.options.fontSize = size;
    if (this.term.cols !== this.grid.cols || this.term.rows !== this.grid.rows) {
      this.term.resize(this.grid.cols, this.grid.rows);
    }
  }

  /**
   * In "width" follow mode the grid may be taller than the element: shift the screen
   * up just enough that the cursor's row is the last one shown (the newest output).
   */
  private keepCursorInSight(): void {
    const screen = this.element.querySelector<HTMLElement>(".xterm");
    if (!screen) return;
    if (this.grid === null || this.options.follow !== "width") {
      if (screen.style.transform) screen.style.transform = "";
      return;
    }
    const rowHeight = screen.clientHeight / Math.max(1, this.term.rows);
    const buffer = this.term.buffer.active;
    const cursorBottom = (buffer.cursorY + 1) * rowHeight;
    const shift = Math.max(0, Math.ceil(cursorBottom - this.element.clientHeight));
    const transform = shift > 0 ? `translateY(-${shift}px)` : "";
    if (screen.style.transform !== transform) screen.style.transform = transform;
  }

  /** Shown again after another tab: brought to its newest line. */
  reveal(): void {
    this.layout();
    this.term.scrollToBottom();
  }

  /** The whole buffer as text (scrollback included), for tests and search. */
  text(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      const line = buffer.getLine(i);
      const text = line?.translateToString(false) ?? "";
      // A row wrapped from the one above continues its line: the text as printed.
      if (line?.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    return lines.map((l) => l.trimEnd()).join("\n").replace(/\n+$/, "");
  }

  /** Whether the viewport shows the newest line (not scrolled back). */
  atBottom(): boolean {
    const buffer = this.term.buffer.active;
    return buffer.viewportY === buffer.baseY;
  }

  dispose(): void {
    this.feed.close();
    if (this.blinkTimer !== null) window.clearTimeout(this.blinkTimer);
    this.term.dispose();
    this.element.remove();
  }
}

/** The parts of xterm.js 6.0's internals that `drawNow` reaches (not public API). */
interface XtermRenderInternals {
  _core?: {
    _renderService?: {
      _renderDebouncer?: { _animationFrame?: number; _innerRefresh?: () => void };
    };
  };
}

/**
 * Draws the rows xterm.js has marked for its next animation frame now, in this task.
 * Returns false when nothing was pending or xterm.js's internals are not as expected
 * (then the frame draws them, as always).
 *
 * Why: WebKitGTK runs animation frames on the UI process's 60 Hz display clock, so
 * output waits 0 to 16 ms for its frame; a change made outside a frame is painted
 * without waiting for that clock. A key's echo drawn here reached the X server about
 * 7 ms sooner on average (strace of the app's X writes, README "Keystroke to echo").
 * xterm.js has no public synchronous render, hence the internals; `@xterm/xterm` is
 * pinned, and the terminal end-to-end test fails if this stops drawing.
 */
function drawNow(term: Terminal): boolean {
  const debouncer = (term as unknown as XtermRenderInternals)._core?._renderService?._renderDebouncer;
  if (debouncer?._animationFrame === undefined || typeof debouncer._innerRefresh !== "function") return false;
  window.cancelAnimationFrame(debouncer._animationFrame);
  debouncer._innerRefresh();
  return true;
}

let measured: { width: number; height: number } | null = null;

/**
 * A cell's width and height per pixel of font size, measured once from the terminal
 * font (xterm.js draws a cell this wide and about 1.2 font sizes high by default).
 */
export function cellRatio(): { width: number; height: number } {
  if (measured) return measured;
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  let width = 0.6;
  if (ctx) {
    ctx.font = `100px ${FONT_FAMILY}`;
    const w = ctx.measureText("W".repeat(10)).width / 1000;
    if (Number.isFinite(w) && w > 0.3 && w < 1) width = w;
  }
  measured = { width, height: 1.2 };
  return measured;
}

function logError(e: unknown): void {
  console.error(e);
}
