// Entry point: holds the UI state (open runbook, current step, error) and wires the
// window's inputs (keys, clicks, file dialog, drag-and-drop, hot reload) to it.

import "./crash";
import "./locale";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open as openDialog } from "@tauri-apps/plugin-dialog";
import { ChartStrip } from "./charts";
import { HealthBar } from "./health";
import { initialRunbook, openRunbook, probeAttach, probeHide, toOpenError, watchRunbook } from "./ipc";
import { isNavKey, keepStep, navigate } from "./logic";
import type { CodeBlock, OpenError, ProbeEvent, Runbook, RunbookUpdate, Step } from "./model";
import { ShowControls } from "./playback";
import { PreflightPanel } from "./preflight";
import { TerminalPane } from "./terminal";
import { nextToRun, pageKey } from "./terminal-logic";
import { markCurrent, renderError, renderHeader, renderPresenter, renderStep, renderSteps, showDeck } from "./render";

interface State {
  runbook: Runbook | null;
  current: number;
  error: OpenError | null;
}

const state: State = { runbook: null, current: -1, error: null };

function element(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html lacks #${id}`);
  return el;
}

const pane = new TerminalPane(element("terminals"), element("terminal-tabs"), element("terminal-views"));
const health = new HealthBar(element("health"), (name, hidden) => {
  probeHide(name, hidden).catch((e: unknown) => console.error("cannot hide service", name, e));
});
const charts = new ChartStrip(element("charts-section"), element("charts"), element("chart-window") as HTMLSelectElement);
const controls = new ShowControls(
  pane,
  () => state.runbook?.steps[state.current] ?? null,
  () => state.runbook?.steps ?? [],
);
pane.onStatus = () => controls.render();
const preflight = new PreflightPanel(
  element("preflight-button") as HTMLButtonElement,
  element("preflight"),
  element("preflight-list"),
);

function onProbe(event: ProbeEvent): void {
  if (event.kind === "service") health.update(event);
  else if (event.kind === "metrics") charts.addMetrics(event.source, event.points, event.error);
  else {
    charts.addSystem(event);
    pane.showUsage(event.terminals);
  }
}

function render(): void {
  const { runbook, current, error } = state;
  renderHeader(runbook, current);
  renderError(error, runbook);
  showDeck(runbook !== null);
  if (runbook) {
    renderSteps(runbook, current, select);
    showStep();
  }
  document.body.dataset.ready = "true";
}

function showStep(): void {
  const step = state.runbook?.steps[state.current];
  renderStep(step);
  pane.decorate(document);
  renderPresenter(step);
  renderHeader(state.runbook, state.current);
  markCurrent(state.current);
  controls.render();
}

function select(index: number): void {
  if (!state.runbook || index === state.current || index < 0) return;
  state.current = index;
  showStep();
}

function show(runbook: Runbook, current: number): void {
  const samePath = state.runbook?.path === runbook.path;
  health.setServices(runbook.services);
  charts.setRunbook(runbook, samePath);
  preflight.reset(samePath);
  state.runbook = runbook;
  state.current = current;
  state.error = null;
  pane.useRunbook(runbook.path);
  render();
  void controls.refresh(samePath);
}

/** Runs a block live, or plays its step's recording when the step is in playback mode. */
function runOrPlay(step: Step, block: CodeBlock): void {
  if (controls.modeOf(step) === "playback" && controls.hasRecording(step)) {
    void controls.play(step);
    return;
  }
  controls.goLive(step);
  void pane.run(block);
}

function fail(error: OpenError): void {
  // Keep the last good runbook on screen under the error: a typo mid-talk must not blank it.
  state.error = error;
  render();
}

async function openPath(path: string): Promise<void> {
  try {
    const runbook = await openRunbook(path);
    show(runbook, runbook.steps.length > 0 ? 0 : -1);
  } catch (e) {
    fail(toOpenError(e, path));
  }
}

let choosing = false;

async function chooseFile(): Promise<void> {
  if (choosing) return; // one dialog at a time
  choosing = true;
  try {
    const path = await pickFile();
    if (typeof path === "string") await openPath(path);
  } catch (e) {
    console.error("file dialog failed", e);
  } finally {
    choosing = false;
  }
}

function pickFile(): Promise<string | null> {
  return openDialog({
    title: "Open a runbook",
    multiple: false,
    directory: false,
    filters: [
      { name: "Markdown runbooks", extensions: ["md", "markdown", "mdx", "txt"] },
      { name: "All files", extensions: ["*"] },
    ],
  });
}

function onUpdate(update: RunbookUpdate): void {
  if (update.kind === "loaded") {
    show(update.runbook, keepStep(state.runbook, state.current, update.runbook));
  } else {
    fail(update.error);
  }
}

function onKey(e: KeyboardEvent): void {
  if (e.key === "Escape" && preflight.isOpen()) {
    preflight.close();
    return;
  }
  if (e.ctrlKey && !e.altKey && (e.key === "o" || e.key === "O")) {
    e.preventDefault();
    void chooseFile();
    return;
  }
  // Keys typed in a terminal belong to its program; a focused button takes its own Enter.
  const inTerminal = e.target instanceof Element && e.target.closest(".terminal-view") !== null;
  const action = pageKey(e, { inTerminal, onButton: e.target instanceof HTMLButtonElement });
  if (action === "stop") {
    // In a terminal, its own key handler stops (and keeps Ctrl+. from the program).
    if (!inTerminal) {
      e.preventDefault();
      if (!controls.stop()) pane.stopActive();
    }
    return;
  }
  const step = state.runbook?.steps[state.current];
  if (action === "run") {
    const block = step ? nextToRun(step, pane.statuses) : null;
    if (step && block) {
      e.preventDefault();
      runOrPlay(step, block);
    }
    return;
  }
  if (action === "play") {
    if (step) {
      e.preventDefault();
      void controls.play(step);
    }
    return;
  }
  if (inTerminal) return;
  if (e.ctrlKey || e.altKey || e.metaKey || !state.runbook || !isNavKey(e.key)) return;
  e.preventDefault();
  select(navigate(e.key, state.current, state.runbook.steps.length));
}

/** Run and Stop buttons on the blocks of the step shown. */
function onBlockButton(e: MouseEvent): void {
  if (!(e.target instanceof Element)) return;
  const button = e.target.closest("button.run, button.stop");
  const id = button?.closest<HTMLElement>(".cue-block[data-block]")?.dataset.block;
  const step = state.runbook?.steps[state.current];
  const block = step?.blocks.find((b) => b.id === id);
  if (!button || !step || !block) return;
  if (button.classList.contains("stop")) pane.stop(block.id);
  else runOrPlay(step, block);
}

async function listenForDrops(): Promise<void> {
  await getCurrentWebview().onDragDropEvent((event) => {
    const payload = event.payload;
    if (payload.type === "enter" || payload.type === "over") {
      document.body.classList.add("dragging");
    } else {
      document.body.classList.remove("dragging");
      if (payload.type === "drop") {
        const path = payload.paths[0];
        if (path !== undefined) void openPath(path);
      }
    }
  });
}

async function start(): Promise<void> {
  document.addEventListener("keydown", onKey);
  document.getElementById("open")?.addEventListener("click", () => void chooseFile());
  element("step-body").addEventListener("click", onBlockButton);
  document.getElementById("empty")?.addEventListener("click", () => void chooseFile());
  try {
    await watchRunbook(onUpdate);
    await listenForDrops();
  } catch (e) {
    console.error("cannot subscribe to window events", e);
  }
  probeAttach(onProbe).catch((e: unknown) => console.error("cannot subscribe to probes", e));
  try {
    const runbook = await initialRunbook();
    if (runbook) show(runbook, runbook.steps.length > 0 ? 0 : -1);
    else render();
  } catch (e) {
    fail(toOpenError(e, "(command line)"));
  }
}

void start();
