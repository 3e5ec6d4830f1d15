// The health bar: one light per service (name, state, latency), last error on hover,
// click to open the URL in the browser. Proposed services (found in the runbook's
// text) can be hidden; a "hidden" pill brings them back. When the lights don't fit
// the top bar, they collapse into one summary light (the worst state) whose popover
// lists them: the top bar never wraps nor cuts a label.

import { setText } from "../shared/dom";
import { openLink } from "../shared/ipc";
import type { ServiceProbe, ServiceStatus } from "../shared/model";
import { latencyLabel, lightTitle } from "./probe-logic";

export class HealthBar {
  private services: ServiceProbe[] = [];
  private readonly statuses = new Map<string, ServiceStatus>();
  private hidden = new Set<string>();

  /** `onHide(name, hidden)` tells the backend to stop (or resume) probing a service. */
  constructor(
    private readonly root: HTMLElement,
    private readonly summary: HTMLButtonElement,
    private readonly onHide: (name: string, hidden: boolean) => void,
  ) {
    root.addEventListener("click", (e) => this.onClick(e));
    summary.addEventListener("click", () => this.setExpanded(summary.getAttribute("aria-expanded") !== "true"));
    document.addEventListener("click", (e) => {
      if (e.target instanceof Node && !root.parentElement?.contains(e.target)) this.setExpanded(false);
    });
  }

  /** Shows the lights in a row (the top bar measures them so, then calls [`fit`]). */
  unfold(): void {
    this.root.parentElement?.classList.remove("collapsed");
  }

  /** The lights, in a row, are wider than the room the bar leaves them. */
  overflows(): boolean {
    return !this.root.hidden && this.root.scrollWidth > this.root.clientWidth + 1;
  }

  /**
   * Whether a change to `node` cannot change how the top bar fits: the summary light
   * (the fit repaints it), a light's latency (every second; its label has a fixed
   * width), or a light while the lights are folded into it (a folded light takes no
   * room).
   */
  ownsRefitFree(node: Node): boolean {
    const folded = this.root.parentElement?.classList.contains("collapsed") ?? false;
    const latency = (node instanceof Element ? node : node.parentElement)?.closest(".latency") ?? null;
    const inLatency = latency !== null && this.root.contains(latency);
    return this.summary.contains(node) || inLatency || (folded && this.root.contains(node));
  }

  /** Collapses the lights into the summary when they don't fit the bar in full. */
  fit(): void {
    const wrap = this.root.parentElement;
    if (!wrap) return;
    wrap.classList.remove("collapsed");
    const overflows = this.overflows();
    wrap.classList.toggle("collapsed", overflows);
    this.summary.hidden = !overflows;
    if (!overflows) this.setExpanded(false);
    this.paintSummary();
  }

  private setExpanded(open: boolean): void {
    this.summary.setAttribute("aria-expanded", String(open && !this.summary.hidden));
  }

  /** The summary light: the worst state of the services shown, and how many are not up. */
  private paintSummary(): void {
    const shown = this.services.filter((s) => !this.hidden.has(s.name));
    const healths = shown.map((s) => this.statuses.get(s.name)?.health ?? "unknown");
    const worst = (["down", "degraded", "unknown", "up"] as const).find((h) => healths.includes(h)) ?? "unknown";
    const notUp = healths.filter((h) => h !== "up").length;
    const label = `${shown.length} services${notUp > 0 ? ` · ${notUp} not up` : ""}`;
    const title = shown.map((s) => `${s.name}: ${this.statuses.get(s.name)?.health ?? "unknown"}`).join("\n");
    // Unchanged (the usual case, once a second per service): nothing to redraw.
    if (this.summary.dataset.health === worst && this.summary.textContent === label && this.summary.title === title) return;
    this.summary.dataset.health = worst;
    this.summary.replaceChildren();
    const dot = document.createElement("span");
    dot.className = "dot";
    this.summary.append(dot, label);
    this.summary.title = title;
  }

  /** The runbook's services; statuses of services no longer listed are forgotten. */
  setServices(services: ServiceProbe[]): void {
    this.services = services;
    const names = new Set(services.map((s) => s.name));
    for (const name of [...this.statuses.keys()]) if (!names.has(name)) this.statuses.delete(name);
    this.hidden = new Set([...this.hidden].filter((n) => names.has(n)));
    this.render();
  }

  update(status: ServiceStatus): void {
    this.statuses.set(status.service, status);
    const light = this.root.querySelector<HTMLElement>(`.light[data-service="${CSS.escape(status.service)}"]`);
    if (light) this.paint(light, status);
    else this.render();
    if (!this.summary.hidden) this.paintSummary();
  }

  status(name: string): ServiceStatus | undefined {
    return this.statuses.get(name);
  }

  private render(): void {
    this.root.replaceChildren();
    for (const service of this.services) {
      if (this.hidden.has(service.name)) continue;
      this.root.append(this.light(service));
    }
    if (this.hidden.size > 0) {
      const pill = document.createElement("button");
      pill.type = "button";
      pill.className = "hidden-lights";
      pill.textContent = `${this.hidden.size} hidden`;
      pill.title = `Show again: ${[...this.hidden].join(", ")}`;
      this.root.append(pill);
    }
    // The top bar sees the lights change and refits (topbar.ts).
    this.root.hidden = this.services.length === 0;
  }

  private light(service: ServiceProbe): HTMLElement {
    const light = document.createElement("button");
    light.type = "button";
    light.className = "light";
    light.dataset.service = service.name;
    light.dataset.origin = service.origin;
    const dot = document.createElement("span");
    dot.className = "dot";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = service.name;
    const latency = document.createElement("span");
    latency.className = "latency";
    light.append(dot, name, latency);
    if (service.origin === "proposed") {
      const hide = document.createElement("span");
      hide.className = "hide";
      hide.textContent = "×";
      hide.title = "Hide this proposed service (stop probing it)";
      light.append(hide);
    }
    this.paint(light, this.statuses.get(service.name) ?? unknown(service));
    return light;
  }

  /** Writes only what changed: each write restyles, and a text change refits the top bar. */
  private paint(light: HTMLElement, status: ServiceStatus): void {
    if (light.dataset.health !== status.health) light.dataset.health = status.health;
    const title = lightTitle(status);
    if (light.title !== title) light.title = title;
    const latency = light.querySelector<HTMLElement>(".latency");
    if (latency) setText(latency, status.health === "down" ? "down" : latencyLabel(status));
  }

  private onClick(e: MouseEvent): void {
    if (!(e.target instanceof Element)) return;
    if (e.target.closest(".hidden-lights")) {
      for (const name of this.hidden) this.onHide(name, false);
      this.hidden.clear();
      this.render();
      return;
    }
    const light = e.target.closest<HTMLElement>(".light");
    const name = light?.dataset.service;
    const service = this.services.find((s) => s.name === name);
    if (!service) return;
    if (e.target.closest(".hide")) {
      this.hidden.add(service.name);
      this.onHide(service.name, true);
      this.render();
      return;
    }
    openLink(service.url).catch((err: unknown) => console.error("cannot open", service.url, err));
  }
}

function unknown(service: ServiceProbe): ServiceStatus {
  return {
    service: service.name, url: service.url, health: "unknown", at: 0,
    latencyMs: null, httpStatus: null, error: "not probed yet",
  };
}
