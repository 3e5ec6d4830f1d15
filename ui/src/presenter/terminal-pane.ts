// The terminal pane under the step: one xterm.js view per named terminal (as tabs),
// fed raw bytes from the backend and acknowledging what it rendered (flow control);
// Run/Stop on blocks and their status badges.

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
} from "../shared/ipc";
import type { BlockStatus, CodeBlock, TerminalGrid, TerminalUsage } from "../shared/model";
import { h } from "../shared/dom";
import { activeBlocks, badgeText, blockTerminals, isActive, usageLabel } from "../shared/terminal-logic";
import { TerminalView, type TerminalSource } from "../shared/terminal-view";

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

  constructor(
    private readonly section: HTMLElement,
    private readonly tabs: HTMLElement,
    private readonly viewport: HTMLElement,
  ) {
    new ResizeObserver(() => this.views.forEach((v) => v.layout())).observe(viewport);
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
      view = new TerminalView(name, this.viewport, presenterSource(name), {
        onStop: () => this.stopActive(),
        onLeave: () => this.onLeave(),
        cursorBlink: true,
        follow: "width",
      });
      this.views.set(name, view);
      if (this.grid) this.follow(view, this.grid);
      this.show(name);
    }
    await view.attached;
    return view;
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
    const wasHidden = this.views.get(name)?.element.hidden ?? false;
    for (const [n, v] of this.views) v.element.hidden = n !== name;
    for (const tab of this.tabs.querySelectorAll<HTMLElement>(".terminal-tab")) {
      tab.setAttribute("aria-selected", String(tab.dataset.terminal === name));
    }
    const view = this.views.get(name);
    if (wasHidden) view?.reveal();
    else view?.layout();
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
