// The terminal pane under the step: one xterm.js view per named terminal (as tabs),
// fed raw bytes from the backend and acknowledging what it rendered (flow control);
// Run/Stop on blocks and their status badges.

import { FitAddon } from "@xterm/addon-fit";
import { SearchAddon } from "@xterm/addon-search";
import { Unicode11Addon } from "@xterm/addon-unicode11";
import { WebLinksAddon } from "@xterm/addon-web-links";
import { WebglAddon } from "@xterm/addon-webgl";
import { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import {
  openLink,
  runBlock,
  stopBlock,
  stopTerminal,
  terminalAck,
  terminalAttach,
  terminalInput,
  terminalRenderer,
  terminalResize,
} from "./ipc";
import type { BlockStatus, CodeBlock, TerminalUsage } from "./model";
import { h } from "./render";
import {
  OutputFeed,
  activeBlocks,
  badgeText,
  blockTerminals,
  isActive,
  opensLink,
  terminalKey,
  usageLabel,
  zoomed,
} from "./terminal-logic";

const BASE_FONT_SIZE = 15;

/** One named terminal: an xterm.js view attached to the backend's shell. */
class TerminalView {
  readonly term: Terminal;
  readonly element: HTMLElement;
  private readonly fit = new FitAddon();
  readonly search = new SearchAddon();
  readonly attached: Promise<void>;
  private readonly feed: OutputFeed;

  constructor(
    readonly name: string,
    parent: HTMLElement,
    private readonly onStop: () => void,
  ) {
    this.element = h("div", { class: "terminal-view", "data-terminal": name });
    parent.append(this.element);
    this.term = new Terminal({
      fontFamily: '"JetBrains Mono", "DejaVu Sans Mono", "Liberation Mono", monospace',
      fontSize: BASE_FONT_SIZE,
      cursorBlink: true,
      scrollback: 5000,
      allowProposedApi: true, // unicode11
      theme: { background: "#0b0f18", foreground: "#e8edf7", cursor: "#ffb547" },
    });
    for (const addon of [this.fit, this.search, new Unicode11Addon(), new WebLinksAddon(onLink)]) {
      this.term.loadAddon(addon);
    }
    this.term.unicode.activeVersion = "11";
    this.term.open(this.element);
    this.fit.fit();
    this.term.onData((data) => void terminalInput(this.name, data).catch(logError));
    this.term.onResize(({ cols, rows }) => void terminalResize(this.name, cols, rows).catch(logError));
    this.term.attachCustomKeyEventHandler((e) => this.onKey(e));
    this.feed = new OutputFeed(
      (bytes, parsed) => this.term.write(bytes, parsed),
      (n) => void terminalAck(this.name, n).catch(logError),
    );
    this.attached = this.useWebgl().then(() => this.attach());
  }

  /** WebGL where the backend says it renders and the webview has it; else the DOM renderer. */
  private async useWebgl(): Promise<void> {
    if ((await webglWanted) === "dom") return;
    try {
      const webgl = new WebglAddon();
      webgl.onContextLoss(() => webgl.dispose());
      this.term.loadAddon(webgl);
    } catch (e) {
      console.info("WebGL renderer unavailable; using the DOM renderer", e);
    }
  }

  /** Streams output; bytes that arrive before the screen redraw wait for it. */
  private async attach(): Promise<void> {
    const redraw = await terminalAttach(this.name, this.term.cols, this.term.rows, (buf) =>
      this.feed.push(new Uint8Array(buf)),
    );
    this.feed.start(new Uint8Array(redraw));
  }

  /** Zoom, copy, paste and stop keys; `false` keeps the key from the program. */
  private onKey(e: KeyboardEvent): boolean {
    const action = terminalKey(e);
    if (action === null) return true;
    if (e.type !== "keydown") return false;
    switch (action) {
      case "zoomIn":
      case "zoomOut":
      case "zoomReset": {
        const key = action === "zoomIn" ? "=" : action === "zoomOut" ? "-" : "0";
        this.term.options.fontSize = zoomed(this.term.options.fontSize ?? BASE_FONT_SIZE, key, BASE_FONT_SIZE) ?? BASE_FONT_SIZE;
        this.fit.fit();
        break;
      }
      case "copy":
        if (this.term.hasSelection()) void navigator.clipboard.writeText(this.term.getSelection()).catch(logError);
        break;
      case "paste":
        void navigator.clipboard.readText().then((t) => this.term.paste(t), logError);
        break;
      case "stop":
        this.onStop();
        break;
    }
    e.preventDefault();
    return false;
  }

  fitToPane(): void {
    if (!this.element.hidden) this.fit.fit();
  }

  /** Shown again after another tab: brought to its newest line. */
  reveal(): void {
    this.fitToPane();
    this.term.scrollToBottom();
  }

  /** The whole buffer as text (scrollback included), for tests and search. */
  text(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? "");
    return lines.join("\n").replace(/\n+$/, "");
  }

  /** Whether the viewport shows the newest line (not scrolled back). */
  atBottom(): boolean {
    const buffer = this.term.buffer.active;
    return buffer.viewportY === buffer.baseY;
  }

  dispose(): void {
    this.feed.close();
    this.term.dispose();
    this.element.remove();
  }
}

/** Ctrl+click on a link opens it in the browser; the webview never navigates. */
function onLink(e: MouseEvent, uri: string): void {
  e.preventDefault();
  if (opensLink(e, uri)) void openLink(uri).catch(logError);
}

/** Asked once per window. */
const webglWanted: Promise<"webgl" | "dom"> = terminalRenderer().catch(() => "dom" as const);

function logError(e: unknown): void {
  console.error(e);
}

/** The pane: tabs, views, block statuses. */
export class TerminalPane {
  private readonly views = new Map<string, TerminalView>();
  readonly statuses = new Map<string, BlockStatus>();
  /** When each block was last started (performance.now()), for a stopped server's time. */
  private readonly startedAt = new Map<string, number>();
  private runbookPath: string | null = null;
  /** Told of every status change (the fallback offer follows them). */
  onStatus: () => void = () => {};

  constructor(
    private readonly section: HTMLElement,
    private readonly tabs: HTMLElement,
    private readonly viewport: HTMLElement,
  ) {
    new ResizeObserver(() => this.views.forEach((v) => v.fitToPane())).observe(viewport);
    (window as unknown as { __cuedeckTerminals: unknown }).__cuedeckTerminals = {
      read: (name: string): string => this.views.get(name)?.text() ?? "",
      atBottom: (name: string): boolean => this.views.get(name)?.atBottom() ?? false,
    };
  }

  /** A runbook was shown: another file means the backend started fresh terminals. */
  useRunbook(path: string | null): void {
    if (path === this.runbookPath) return;
    this.runbookPath = path;
    this.views.forEach((v) => v.dispose());
    this.views.clear();
    this.statuses.clear();
    this.tabs.replaceChildren();
    this.section.hidden = true;
  }

  /** The view of terminal `name`, created (and its shell started) on first use. */
  async ensure(name: string): Promise<TerminalView> {
    let view = this.views.get(name);
    if (!view) {
      this.section.hidden = false;
      const tab = h(
        "button",
        { class: "terminal-tab", type: "button", role: "tab", "data-terminal": name },
        name,
        h("span", { class: "usage" }),
      );
      tab.addEventListener("click", () => this.show(name));
      // `main` leads the tabs whichever terminal a block opened first.
      if (name === "main") this.tabs.prepend(tab);
      else this.tabs.append(tab);
      view = new TerminalView(name, this.viewport, () => this.stopActive());
      this.views.set(name, view);
      this.show(name);
    }
    await view.attached;
    return view;
  }

  show(name: string): void {
    const wasHidden = this.views.get(name)?.element.hidden ?? false;
    for (const [n, v] of this.views) v.element.hidden = n !== name;
    for (const tab of this.tabs.querySelectorAll<HTMLElement>(".terminal-tab")) {
      tab.setAttribute("aria-selected", String(tab.dataset.terminal === name));
    }
    const view = this.views.get(name);
    if (wasHidden) view?.reveal();
    else view?.fitToPane();
  }

  /** Each terminal's CPU and memory (its whole process tree), on its tab. */
  showUsage(usage: readonly TerminalUsage[]): void {
    for (const u of usage) {
      const tab = this.tabs.querySelector<HTMLElement>(`.terminal-tab[data-terminal="${CSS.escape(u.terminal)}"]`);
      const label = tab?.querySelector<HTMLElement>(".usage");
      if (!tab || !label) continue;
      label.textContent = usageLabel(u);
      tab.title = `${u.terminal}: ${u.processes} processes, ${usageLabel(u)}`;
    }
  }

  /** Runs a block: its terminals are opened and the first one shown. */
  async run(block: CodeBlock): Promise<void> {
    const current = this.statuses.get(block.id);
    if (current && isActive(current.state)) return;
    const names = blockTerminals(block);
    try {
      for (const name of names) await this.ensure(name);
      const first = names[0];
      if (first !== undefined) this.show(first);
      this.startedAt.set(block.id, performance.now());
      this.setStatus({ blockId: block.id, state: "running", exitCode: null, durationMs: 0, message: null });
      await runBlock(block.id, (status) => this.setStatus(status));
    } catch (e) {
      const message = typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e);
      this.setStatus({ blockId: block.id, state: "failed", exitCode: null, durationMs: 0, message });
    }
  }

  stop(blockId: string): void {
    stopBlock(blockId)
      .then(() => {
        // A running block hears of its end from its own run; a ready background block
        // (a server) has no run left to tell, so its badge is updated here.
        const status = this.statuses.get(blockId);
        if (status?.state !== "ready") return;
        const since = this.startedAt.get(blockId);
        const durationMs = since === undefined ? status.durationMs : Math.round(performance.now() - since);
        this.setStatus({ ...status, state: "stopped", durationMs });
      })
      .catch(logError);
  }

  /** Stop (Ctrl+.): the blocks still running or waiting, else what runs in the terminal shown. */
  stopActive(): void {
    const blocks = activeBlocks(this.statuses);
    if (blocks.length > 0) {
      blocks.forEach((id) => this.stop(id));
      return;
    }
    const shown = [...this.views.values()].find((v) => !v.element.hidden);
    if (shown) void stopTerminal(shown.name).catch(logError);
  }

  private setStatus(status: BlockStatus): void {
    this.statuses.set(status.blockId, status);
    this.decorate(document);
    this.onStatus();
  }

  /** The block was shown from its step's recording. */
  markPlayed(blockId: string): void {
    this.setStatus({ blockId, state: "played", exitCode: null, durationMs: 0, message: null });
  }

  /** Puts every known status on the blocks shown (after a step is rendered). */
  decorate(root: ParentNode): void {
    for (const el of root.querySelectorAll<HTMLElement>(".cue-block[data-block]")) {
      const status = this.statuses.get(el.dataset.block ?? "");
      const badge = el.querySelector<HTMLElement>(".status");
      const stop = el.querySelector<HTMLElement>("button.stop");
      if (!badge) continue;
      badge.dataset.status = status?.state ?? "idle";
      badge.textContent = status ? badgeText(status) : "";
      badge.title = status?.message ?? "";
      if (status?.exitCode !== null && status?.exitCode !== undefined) badge.dataset.exitCode = String(status.exitCode);
      else delete badge.dataset.exitCode;
      if (stop) stop.hidden = !status || !(isActive(status.state) || status.state === "ready");
    }
  }
}
