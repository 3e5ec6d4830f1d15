// The pre-flight panel: what the runbook needs from this machine (tools, ports,
// services, checklist), each item green, amber, red or to tick by hand, and why.

import { preflightRun } from "../shared/ipc";
import type { BlockStatus, ChecklistItem, PreflightItem, PreflightReport } from "../shared/model";
import { checkResult, checkingBlock } from "./preflight-logic";

/** How the panel runs a checklist item's block: the status it ended with (`null`: it did not run). */
export type RunCheck = (blockId: string) => Promise<BlockStatus | null>;

const STATUS_TEXT: Record<PreflightItem["status"], string> = {
  ok: "ok",
  later: "later",
  manual: "tick",
  missing: "missing",
};

const KIND_TEXT: Record<PreflightItem["kind"], string> = {
  tool: "Tool",
  port: "Port",
  service: "Service",
  checklist: "Checklist",
};

/** Counts for the top bar's button: red items and items left to tick. */
export function summary(report: PreflightReport, ticked: ReadonlySet<string>): { missing: number; todo: number } {
  let missing = 0;
  let todo = 0;
  for (const item of report.items) {
    if (item.status === "missing") missing++;
    if (item.status === "manual" && !ticked.has(itemKey(item))) todo++;
  }
  return { missing, todo };
}

export function itemKey(item: PreflightItem): string {
  return `${item.kind}:${item.line}:${item.subject}`;
}

export class PreflightPanel {
  private report: PreflightReport | null = null;
  /** Checklist items ticked by hand, per runbook for this window's life. */
  private ticked = new Set<string>();
  /** Why a checklist item's command failed, by item. */
  private failed = new Map<string, string>();
  private running = false;

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly panel: HTMLElement,
    private readonly list: HTMLElement,
    private readonly checklist: () => readonly ChecklistItem[],
    private readonly runCheck: RunCheck,
  ) {
    button.addEventListener("click", () => this.toggle());
    panel.querySelector(".preflight-close")?.addEventListener("click", () => this.close());
    panel.querySelector(".preflight-rerun")?.addEventListener("click", () => void this.run());
    list.addEventListener("change", (e) => this.onTick(e));
    list.addEventListener("click", (e) => void this.onRunCheck(e));
  }

  /** A runbook was opened (or reloaded): check again. */
  reset(samePath: boolean): void {
    if (!samePath) {
      this.ticked.clear();
      this.failed.clear();
    }
    this.button.hidden = false;
    void this.run();
  }

  isOpen(): boolean {
    return !this.panel.hidden;
  }

  close(): void {
    this.panel.hidden = true;
  }

  private toggle(): void {
    this.panel.hidden = !this.panel.hidden;
    if (!this.panel.hidden) void this.run();
  }

  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.button.dataset.state = "running";
    try {
      this.report = await preflightRun();
      this.render();
    } catch (e) {
      this.list.replaceChildren(errorRow(e));
      this.button.dataset.state = "missing";
    } finally {
      this.running = false;
    }
  }

  private render(): void {
    const report = this.report;
    if (!report) return;
    const { missing, todo } = summary(report, this.ticked);
    this.button.dataset.state = missing > 0 ? "missing" : todo > 0 ? "todo" : "ok";
    this.button.textContent =
      missing > 0 ? `Pre-flight: ${missing} missing` : todo > 0 ? `Pre-flight: ${todo} to tick` : "Pre-flight ✓";
    this.list.replaceChildren(...report.items.map((item) => this.row(item)));
    if (report.items.length === 0) {
      const empty = document.createElement("li");
      empty.className = "muted";
      empty.textContent = "This runbook needs nothing from the machine.";
      this.list.append(empty);
    }
  }

  private row(item: PreflightItem): HTMLElement {
    const li = document.createElement("li");
    li.className = "preflight-item";
    const key = itemKey(item);
    const ticked = item.status === "manual" && this.ticked.has(key);
    li.dataset.status = ticked ? "ok" : item.status;
    li.dataset.kind = item.kind;
    const mark = document.createElement("span");
    mark.className = "mark";
    if (item.status === "manual") {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = ticked;
      box.dataset.key = key;
      box.setAttribute("aria-label", `Tick: ${item.subject}`);
      mark.append(box);
    } else {
      mark.textContent = STATUS_TEXT[item.status];
    }
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = KIND_TEXT[item.kind];
    const subject = document.createElement("span");
    subject.className = "subject";
    subject.textContent = item.subject;
    const detail = document.createElement("span");
    detail.className = "detail";
    const why = this.failed.get(key);
    detail.textContent = why ? `failed: ${why} · line ${item.line}` : `${item.detail} · line ${item.line}`;
    if (why && !ticked) li.dataset.status = "missing";
    const block = item.status === "manual" ? checkingBlock(item, this.checklist()) : null;
    if (block) {
      const run = document.createElement("button");
      run.type = "button";
      run.className = "preflight-run";
      run.dataset.block = block;
      run.dataset.key = key;
      run.title = "Run the item's command in its terminal: it is ticked if the command succeeds";
      run.textContent = "▶ Run";
      detail.append(" ", run);
    }
    li.append(mark, kind, subject, detail);
    return li;
  }

  /** The Run of a checklist item: its block runs, and its end ticks the item or says why not. */
  private async onRunCheck(e: Event): Promise<void> {
    if (!(e.target instanceof HTMLButtonElement) || !e.target.classList.contains("preflight-run")) return;
    const { block, key } = e.target.dataset;
    if (!block || !key) return;
    e.target.disabled = true;
    e.target.textContent = "running…";
    const result = checkResult(await this.runCheck(block).catch(() => null));
    if (result?.ticked) {
      this.ticked.add(key);
      this.failed.delete(key);
    } else if (result) {
      this.ticked.delete(key);
      this.failed.set(key, result.why);
    }
    this.render();
  }

  private onTick(e: Event): void {
    if (!(e.target instanceof HTMLInputElement) || !e.target.dataset.key) return;
    if (e.target.checked) this.ticked.add(e.target.dataset.key);
    else this.ticked.delete(e.target.dataset.key);
    this.render();
  }
}

function errorRow(e: unknown): HTMLElement {
  const li = document.createElement("li");
  li.className = "preflight-item";
  li.dataset.status = "missing";
  li.textContent = `Pre-flight could not run: ${e instanceof Error ? e.message : String(e)}`;
  return li;
}
