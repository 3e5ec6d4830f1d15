// The pre-flight panel: what the runbook needs from this machine (tools, ports,
// services, checklist), each item green, amber, red or to tick by hand, and why.

import { preflightRun } from "../shared/ipc";
import type { PreflightItem, PreflightReport } from "../shared/model";

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
  private running = false;

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly panel: HTMLElement,
    private readonly list: HTMLElement,
  ) {
    button.addEventListener("click", () => this.toggle());
    panel.querySelector(".preflight-close")?.addEventListener("click", () => this.close());
    panel.querySelector(".preflight-rerun")?.addEventListener("click", () => void this.run());
    list.addEventListener("change", (e) => this.onTick(e));
  }

  /** A runbook was opened (or reloaded): check again. */
  reset(samePath: boolean): void {
    if (!samePath) this.ticked.clear();
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
    detail.textContent = `${item.detail} · line ${item.line}`;
    li.append(mark, kind, subject, detail);
    return li;
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
