// The terminal pane under the step: one xterm.js view per named terminal (as tabs,
// each with Stop and Restart; the terminals of a split block tiled side by side),
// fed raw bytes from the backend and acknowledging what it rendered (flow control);
// Run/Stop on blocks and their status badges.

import {
  openLink,
  restartTerminal,
  runBlock,
  stopBlock,
  stopTerminal,
  terminalAck,
  terminalAttach,
  terminalInput,
  terminalRenderer,
  terminalResize,
} from "../shared/ipc";
import type { BlockStatus, CodeBlock, TerminalGrid, TerminalUsage } from "../shared/model";
import { h, setText } from "../shared/dom";
import { activeBlocks, badgeText, blockTerminals, isActive, statusDetail, usageLabel } from "../shared/terminal-logic";
import type { TerminalView, TerminalSource } from "../shared/terminal-view";
import { rowLayout, tileBox } from "../shared/tiles";

/** The presenter's terminals: input, resize and acks go to the backend. */
function presenterSource(name: string): TerminalSource {
  return {
    attach: (cols, rows, onBytes) => terminalAttach(name, cols, rows, onBytes),
    ack: (n) => void terminalAck(name, n).catch(logError),
    input: (data) => void terminalInput(name, data).catch(logError),
    resize: (cols, rows) => void terminalResize(name, cols, rows).catch(logError),
    openLink: (uri) => void openLink(uri).catch(logError),
    renderer: webglWanted,
  };
}

/**
 * The terminal view's module: xterm.js and its addons, most of the presenter's script.
 * Loaded on first use or once the runbook is first drawn ([`preloadTerminals`]), not
 * before that first frame: parsing it would delay the window's cold start.
 */
let terminalModule: Promise<typeof import("../shared/terminal-view")> | null = null;

export function preloadTerminals(): Promise<typeof import("../shared/terminal-view")> {
  terminalModule ??= import("../shared/terminal-view");
  return terminalModule;
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
  /** Esc in a terminal (outside full-screen programs), or Shift+Esc: focus back to the show. */
  onLeave: () => void = () => {};
  /** The grid every terminal follows while the audience window is open (null: each fits its pane). */
  private grid: TerminalGrid | null = null;
  /** The terminals shown now: one, or the tiles of a split block. */
  private shown: string[] = [];
  /** Told what Stop or Restart on a tab did ("Node 3 restarted: ready: port 5303"). */
  onSay: (message: string) => void = () => {};

  constructor(
    private readonly section: HTMLElement,
    private readonly tabs: HTMLElement,
    private readonly viewport: HTMLElement,
  ) {
    new ResizeObserver(() => this.views.forEach((v) => v.layout())).observe(viewport);
    (window as unknown as { __cuedeckTerminals: unknown }).__cuedeckTerminals = {
      read: (name: string): string => this.views.get(name)?.text() ?? "",
      atBottom: (name: string): boolean => this.views.get(name)?.atBottom() ?? false,
      resyncs: (name: string): number => this.views.get(name)?.resyncs ?? 0,
      renderer: (name: string): string | null => this.views.get(name)?.renderer ?? null,
      echoesDrawnAtOnce: (name: string): number => this.views.get(name)?.echoesDrawnAtOnce ?? 0,
      // The xterm.js terminal itself, for the window benchmark's keystroke-to-echo
      // timing (its onRender event and its textarea's keydown).
      xterm: (name: string): unknown => this.views.get(name)?.term ?? null,
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

  /**
   * The view of terminal `name`, created (and its shell started) on first use, shown
   * with `together` (a split block's terminals: tiled before they attach, so each
   * shell starts at its tile's size and never redraws its prompt for a resize).
   */
  async ensure(name: string, together: readonly string[] = [name]): Promise<TerminalView> {
    let view = this.views.get(name);
    if (!view) {
      const { TerminalView } = await preloadTerminals();
      // Another call may have made it while the module loaded.
      view = this.views.get(name) ?? this.create(TerminalView, name);
      this.showTogether(together);
    }
    await view.attached;
    return view;
  }

  /** A new view of terminal `name`, with its tab (its shell starts as it attaches). */
  private create(View: typeof import("../shared/terminal-view").TerminalView, name: string): TerminalView {
    this.section.hidden = false;
    const tab = this.tab(name);
    // `main` leads the tabs whichever terminal a block opened first.
    if (name === "main") this.tabs.prepend(tab);
    else this.tabs.append(tab);
    const view = new View(name, this.viewport, presenterSource(name), {
      onStop: () => this.stopActive(),
      onLeave: () => this.onLeave(),
      cursorBlink: true,
      follow: "width",
    });
    this.views.set(name, view);
    if (this.grid) this.follow(view, this.grid);
    return view;
  }

  /** A terminal's tab: its name (click: show it alone), Stop and Restart. */
  private tab(name: string): HTMLElement {
    const label = h(
      "button",
      { class: "terminal-tab", type: "button", role: "tab", "data-terminal": name },
      name,
      h("span", { class: "usage" }),
    );
    label.addEventListener("click", () => this.show(name));
    const stop = h("button", { class: "tab-action stop", type: "button", title: `Stop what runs in ${name} (Ctrl-C, then SIGTERM, SIGKILL)` }, "■");
    stop.addEventListener("click", () => void stopTerminal(name).catch((e: unknown) => this.onSay(errorText(e))));
    const restart = h("button", { class: "tab-action restart", type: "button", title: `Restart: run the last command of ${name} again` }, "↻");
    restart.addEventListener("click", () => void this.restart(name));
    return h("span", { class: "terminal-tab-group", "data-terminal": name }, label, stop, restart);
  }

  /** Runs the last command of `name` again (a restarted node), and says how it went. */
  async restart(name: string): Promise<void> {
    this.onSay(`Restarting ${name}…`);
    try {
      const status = await restartTerminal(name);
      this.onSay(`${name} restarted: ${status.message ?? badgeText(status)}`);
    } catch (e) {
      this.onSay(`${name}: ${errorText(e)}`);
    }
  }

  /**
   * While the audience window is open every terminal has the grid it sized for the
   * room (its chosen columns), and this pane scales its font to show that grid;
   * closed, each view fits its pane again. The PTY is resized from here only.
   */
  followGrid(grid: TerminalGrid | null): void {
    const same = grid?.cols === this.grid?.cols && grid?.rows === this.grid?.rows;
    if (same) return;
    this.grid = grid;
    for (const view of this.views.values()) {
      if (grid) this.follow(view, grid);
      else view.setGrid(null);
    }
  }

  private follow(view: TerminalView, grid: TerminalGrid): void {
    view.setGrid(grid);
    void terminalResize(view.name, grid.cols, grid.rows).catch(logError);
  }

  show(name: string): void {
    this.showTogether([name]);
  }

  /** Shows these terminals, tiled side by side when there are several (a split block). */
  showTogether(names: readonly string[]): void {
    const shown = names.filter((n) => this.views.has(n));
    this.shown = shown;
    this.viewport.classList.toggle("tiled", shown.length > 1);
    for (const [n, v] of this.views) {
      const index = shown.indexOf(n);
      const wasHidden = v.element.hidden;
      v.element.hidden = index < 0;
      v.element.dataset.terminal = n;
      placeTile(v.element, index < 0 || shown.length < 2 ? null : tileBox(index, shown.length, rowLayout));
      if (index < 0) continue;
      if (wasHidden) v.reveal();
      else v.layout();
    }
    for (const tab of this.tabs.querySelectorAll<HTMLElement>(".terminal-tab")) {
      tab.setAttribute("aria-selected", String(shown.includes(tab.dataset.terminal ?? "")));
    }
  }

  /** The terminal a command waits in for the presenter's keys (`typing: keys`), if any. */
  typingTerminal(blocks: readonly CodeBlock[]): string | null {
    const typing = blocks.find((b) => this.statuses.get(b.id)?.state === "typing");
    return typing ? (blockTerminals(typing)[0] ?? null) : null;
  }

  /** Each terminal's CPU and memory (its whole process tree), on its tab. */
  showUsage(usage: readonly TerminalUsage[]): void {
    for (const u of usage) {
      const tab = this.tabs.querySelector<HTMLElement>(`.terminal-tab[data-terminal="${CSS.escape(u.terminal)}"]`);
      const label = tab?.querySelector<HTMLElement>(".usage");
      if (!tab || !label) continue;
      const usage = usageLabel(u);
      setText(label, usage);
      const title = `${u.terminal}: ${u.processes} processes, ${usage}`;
      if (tab.title !== title) tab.title = title;
    }
  }

  /** Runs a block: its terminals are opened and the first one shown. */
  async run(block: CodeBlock): Promise<void> {
    const current = this.statuses.get(block.id);
    if (current && isActive(current.state)) return;
    const names = blockTerminals(block);
    try {
      await Promise.all(names.map((name) => this.ensure(name, names)));
      this.showTogether(names);
      this.startedAt.set(block.id, performance.now());
      this.setStatus({ blockId: block.id, state: "running", exitCode: null, durationMs: 0, message: null });
      await runBlock(block.id, (status) => this.setStatus(status));
    } catch (e) {
      this.setStatus({ blockId: block.id, state: "failed", exitCode: null, durationMs: 0, message: errorText(e) });
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
    for (const name of this.shown) void stopTerminal(name).catch(logError);
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
      const detail = el.querySelector<HTMLElement>(".status-detail");
      const line = statusDetail(status);
      if (detail) {
        detail.hidden = line === null;
        detail.textContent = line ?? "";
      }
    }
  }
}

/** Puts a view in its tile (fractions of the viewport), or back to filling it. */
function placeTile(el: HTMLElement, box: { left: number; top: number; width: number; height: number } | null): void {
  // A 4 px gutter on each side: the tiles stand apart.
  const at = (f: number) => `calc(${(f * 100).toFixed(3)}% + 4px)`;
  const size = (f: number) => `calc(${(f * 100).toFixed(3)}% - 8px)`;
  el.style.left = box ? at(box.left) : "";
  el.style.top = box ? at(box.top) : "";
  el.style.width = box ? size(box.width) : "";
  el.style.height = box ? size(box.height) : "";
}

function errorText(e: unknown): string {
  return typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e);
}
