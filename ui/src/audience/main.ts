// The audience window (the projector): the current step's terminals large and tiled,
// its number and title, and, before a terminal runs, the step's content without
// notes. It never holds the presenter's model: core sends it an `AudienceView` (no
// notes, Q&A, expectations, targets or checklists; `redact` matches masked) and
// redacted terminal streams. It renders from the show state like the presenter.

import "../shared/crash";
import "../shared/fonts.css";
import "./audience.css";
import { clickerAction } from "../shared/clicker";
import { byId, h, setHidden, setText } from "../shared/dom";
import {
  audienceBlank,
  audienceClicker,
  audienceGrid,
  audienceLeaveFullscreen,
  audienceTerminalAttach,
  audienceView,
  terminalRenderer,
} from "../shared/ipc";
import type { AudienceBlock, AudienceStep, AudienceView, ShowState, TerminalGrid } from "../shared/model";
import { formatClock } from "../shared/pacing";
import { ShowClient, clockInstant, talkElapsedMs, timerRunning, untilClockRedraw } from "../shared/show";
import { fillContent } from "../shared/step-content";
import { TerminalView, cellRatio, type TerminalSource } from "../shared/terminal-view";
import { gridFor, tileLayout } from "./layout";

const show = new ShowClient();
const tiles = byId("audience-tiles");
const content = byId("audience-content");
const renderer: Promise<"webgl" | "dom"> = terminalRenderer().catch(() => "dom" as const);
/** Every terminal seen so far, kept attached so its screen stays current when hidden. */
const views = new Map<string, TerminalView>();
let view: AudienceView | null = null;
let viewKey = "";
let shownStep: number | null = null;
let clockTick: number | undefined;
let sentGrid: TerminalGrid | null = null;

function audienceSource(name: string): TerminalSource {
  return {
    attach: (_cols, _rows, onBytes) => audienceTerminalAttach(name, onBytes),
    renderer,
  };
}

function terminalView(name: string): TerminalView {
  let v = views.get(name);
  if (!v) {
    v = new TerminalView(name, tiles, audienceSource(name), { cursorBlink: false, follow: "both" });
    v.element.hidden = true;
    views.set(name, v);
  }
  return v;
}

/**
 * The audience's view of the runbook, fetched again when the show opens another one
 * or reloads it. Its terminal views are attached again too: another runbook has other
 * terminals, and a reload may have changed what `redact` masks.
 */
async function ensureView(s: ShowState): Promise<void> {
  const key = `${s.runbook ?? ""}\n${s.contentRevision}`;
  if (key === viewKey && view) return;
  const fetched = await audienceView();
  view = fetched;
  viewKey = key;
  shownStep = null;
  resetTerminals();
}

function resetTerminals(): void {
  views.forEach((v) => v.dispose());
  views.clear();
}

/** The show's step: the audience's state carries its position, never its id. */
function currentStep(s: ShowState): AudienceStep | null {
  return s.current === null ? null : (view?.steps[s.current] ?? null);
}

function render(s: ShowState): void {
  const step = currentStep(s);
  byId("audience-waiting").hidden = view !== null && s.runbook !== null;
  byId("audience-number").textContent = step && view ? `${step.number} / ${view.steps.length}` : "";
  byId("audience-title").textContent = step?.title ?? view?.title ?? "";
  document.title = step ? `${step.title} — Audience` : "Cuedeck — Audience";
  const blank = byId("blank");
  blank.hidden = !s.blanked;
  document.body.dataset.blanked = String(s.blanked);
  renderClock(s);

  const started = new Set(s.terminals);
  const names = step ? step.terminals.filter((t) => started.has(t)) : [];
  for (const name of names) terminalView(name);
  for (const [name, v] of views) v.element.hidden = !names.includes(name);
  tiles.dataset.count = String(names.length);
  const layout = tileLayout(names.length);
  tiles.style.gridTemplateColumns = `repeat(${layout.columns}, minmax(0, 1fr))`;
  tiles.style.gridTemplateRows = `repeat(${layout.rows}, minmax(0, 1fr))`;
  // Tiles in the step's order.
  for (const name of names) {
    const el = views.get(name)?.element;
    if (el) tiles.append(el);
  }
  tiles.hidden = names.length === 0;
  content.hidden = names.length > 0 || step === null;
  if (step && step.number !== shownStep) renderContent(step);
  shownStep = step?.number ?? null;
  requestAnimationFrame(() => layoutTerminals(s, step, names));
}

function renderContent(step: AudienceStep): void {
  content.replaceChildren();
  if (step.breadcrumbs.length > 0) content.append(h("p", { class: "crumbs" }, step.breadcrumbs.join(" › ")));
  const body = h("div", { class: "body" });
  fillContent(body, step.html, step.blocks, renderBlock);
  content.append(body);
}

function renderBlock(block: AudienceBlock): HTMLElement {
  return h(
    "div",
    { class: `cue-block kind-${block.kind}`, "data-block": block.id },
    h("span", { class: "lang" }, block.lang ?? "text"),
    h("pre", {}, h("code", {}, block.source.replace(/\n$/, ""))),
  );
}

/**
 * Sizes the terminals for the room: the chosen number of columns spans the screen
 * (tiles side by side share it, so their font is as large as one terminal's), and
 * every terminal (the presenter's view of it too) follows that grid.
 */
function layoutTerminals(s: ShowState, step: AudienceStep | null, names: string[]): void {
  if (step && step.terminals.length > 0) {
    const area = tiles.parentElement ?? tiles;
    const style = getComputedStyle(area);
    const width = area.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const height = area.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    const wanted = gridFor(step.terminals.length, width, height, s.audience.columns, cellRatio());
    if (wanted && (wanted.cols !== sentGrid?.cols || wanted.rows !== sentGrid.rows)) {
      sentGrid = wanted;
      void audienceGrid(wanted).catch((e: unknown) => console.error(e));
    }
  }
  const grid = s.audience.grid ?? sentGrid;
  for (const name of names) {
    const v = views.get(name);
    if (!v) continue;
    if (grid) v.setGrid(grid);
    else v.layout();
  }
}

function renderClock(s: ShowState): void {
  window.clearTimeout(clockTick);
  const clock = byId("audience-clock");
  setHidden(clock, !s.audience.showClock);
  if (clock.hidden) return;
  // On whole wall-clock seconds, as the presenter's clock (shared/show.ts).
  const now = Date.now();
  setText(clock, formatClock(talkElapsedMs(s.timer, clockInstant(s.timer, now))));
  if (timerRunning(s.timer)) clockTick = window.setTimeout(() => renderClock(s), untilClockRedraw(now));
}

/** States are handled one at a time, and only the newest is drawn once the view is in. */
let handling: Promise<void> = Promise.resolve();

function onShow(): void {
  handling = handling.then(async () => {
    const s = show.state;
    if (!s) return;
    try {
      await ensureView(s);
    } catch (e) {
      console.error("cannot fetch the audience's view of the runbook", e);
    }
    const latest = show.state ?? s;
    render(latest);
    document.body.dataset.ready = "true";
  });
}

function onKey(e: KeyboardEvent): void {
  const action = clickerAction(e);
  if (!action) return;
  e.preventDefault();
  if (action === "blank") void audienceBlank().catch((err: unknown) => console.error(err));
  else if (action === "leaveFullscreen") void audienceLeaveFullscreen().catch((err: unknown) => console.error(err));
  else void audienceClicker(action).catch((err: unknown) => console.error(err));
}

async function start(): Promise<void> {
  document.addEventListener("keydown", onKey);
  new ResizeObserver(() => {
    const s = show.state;
    if (s) render(s);
  }).observe(byId("audience-main"));
  (window as unknown as { __cuedeckAudience: unknown }).__cuedeckAudience = {
    read: (name: string): string => views.get(name)?.text() ?? "",
    grid: (name: string): { cols: number; rows: number; fits: boolean; fontSize: number } | null => {
      const v = views.get(name);
      if (!v) return null;
      const screen = v.element.querySelector(".xterm-screen");
      const fits = screen !== null && screen.getBoundingClientRect().width <= v.element.getBoundingClientRect().width + 1;
      return { cols: v.term.cols, rows: v.term.rows, fits, fontSize: v.term.options.fontSize ?? 0 };
    },
    shown: (): string[] => [...views.values()].filter((v) => !v.element.hidden).map((v) => v.name),
    clock: () => {
      const now = Date.now();
      const s = show.state;
      return { talkMs: s ? talkElapsedMs(s.timer, now) : 0, at: now, running: s ? timerRunning(s.timer) : false };
    },
    revision: (): number => show.state?.revision ?? -1,
  };
  show.onChange(() => onShow());
  try {
    await show.attach();
  } catch (e) {
    console.error("cannot subscribe to the show", e);
    byId("audience-waiting").textContent = `Cannot reach the show: ${String(e)}`;
    byId("audience-waiting").hidden = false;
    document.body.dataset.ready = "true";
  }
}

void start();
