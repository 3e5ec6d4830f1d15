// The presenter window's entry point: shows the open runbook at the show's current
// step (the show state lives in core; this window subscribes to it like the audience
// window does) and wires the window's inputs (keys, clicker, clicks, file dialog,
// drag-and-drop, hot reload) to typed commands.

import "../shared/crash";
import "../shared/locale";
import "../shared/fonts.css";
import "./style.css";
import { listen } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open as openDialog } from "@tauri-apps/plugin-dialog";
import { ChartStrip } from "./charts";
import { HealthBar } from "./health";
import { TopBar } from "./topbar";
import { clickerAction } from "../shared/clicker";
import { byId } from "../shared/dom";
import { PerFrame } from "../shared/frames";
import {
  audienceLeaveFullscreen,
  audienceOpen,
  captureWindow,
  initialRunbook,
  openRunbook,
  openTour,
  probeAttach,
  probeHide,
  showCommand,
  terminalTypeKey,
  toOpenError,
  watchRunbook,
} from "../shared/ipc";
import { isNavKey, navigate } from "../shared/logic";
import type { ClickerAction, CodeBlock, OpenError, ProbeEvent, Runbook, RunbookUpdate, ShowCommand, ShowState, Step } from "../shared/model";
import { ShowClient } from "../shared/show";
import { KeymapSheet } from "./keymap";
import { ShowControls } from "./playback";
import { PreflightPanel } from "./preflight";
import { StartPage } from "./start";
import { RehearsalView, StepPeek } from "./rehearsals";
import { TrustGate } from "./trust";
import { TerminalPane, preloadTerminals } from "./terminal-pane";
import { keyTypingData, nextToRun, pageKey } from "../shared/terminal-logic";
import { markCurrent, renderError, renderHeader, renderPresenter, renderStep, renderSteps, showDeck } from "./render";
import { StagePanel } from "./stage";
import { advanceAction } from "./stage-logic";

interface State {
  runbook: Runbook | null;
  current: number;
  error: OpenError | null;
}

const state: State = { runbook: null, current: -1, error: null };

const show = new ShowClient();
const pane = new TerminalPane(byId("terminals"), byId("terminal-tabs"), byId("terminal-views"));
const health = new HealthBar(byId("health"), byId("health-summary") as HTMLButtonElement, (name, hidden) => {
  probeHide(name, hidden).catch((e: unknown) => console.error("cannot hide service", name, e));
});
new TopBar(byId("topbar"), byId("runbook-title"), health);
const charts = new ChartStrip(byId("charts-section"), byId("charts"), byId("chart-window") as HTMLSelectElement);
// Nothing of a runbook runs before the presenter trusts it (its trust sheet).
const trustGate = new TrustGate((message) => controls.say(message));
const controls = new ShowControls(
  pane,
  () => state.runbook?.steps[state.current] ?? null,
  () => state.runbook?.steps ?? [],
  () => show.state,
  command,
  () => trustGate.ensure(),
);
pane.onStatus = () => controls.render();
pane.onSay = (message) => controls.say(message);
const preflight = new PreflightPanel(
  byId("preflight-button") as HTMLButtonElement,
  byId("preflight"),
  byId("preflight-list"),
  () => state.runbook?.checklist ?? [],
  async (blockId) => {
    const block = state.runbook?.steps.flatMap((s) => s.blocks).find((b) => b.id === blockId);
    if (!block || !(await trustGate.ensure())) return null;
    await pane.run(block);
    return pane.statuses.get(blockId) ?? null;
  },
);
const stage = new StagePanel(
  () => void command({ kind: "toggleTimer" }),
  () => void command({ kind: "resetTimer" }),
  (columns) => void command({ kind: "audienceColumns", columns }),
);
const keymap = new KeymapSheet(byId("keymap"));
const startPage = new StartPage(byId("empty"), byId("about"), {
  open: (path) => void openPath(path),
  choose: () => void chooseFile(),
  tour: () => void openTourCopy(),
});
const rehearsals = new RehearsalView(byId<HTMLButtonElement>("rehearsals-button"));
controls.onRehearsed = () => void rehearsals.refresh(true);
new StepPeek(byId("steps"), (id) => controls.recordingOf(id), rehearsals.images);

/** Sends a command to the show; the new state comes back (and to every window). */
async function command(cmd: ShowCommand): Promise<void> {
  try {
    show.receive(await showCommand(cmd));
  } catch (e) {
    console.error("show command failed", cmd, e);
  }
}

/**
 * Probe events, applied together once per animation frame (see shared/frames.ts), the
 * charts and the clock drawn in that same frame.
 */
const probeEvents = new PerFrame<ProbeEvent>((events) => {
  events.forEach(applyProbe);
  charts.drawPending();
  stage.redrawClock();
});

function onProbe(event: ProbeEvent): void {
  probeEvents.push(event);
}

function applyProbe(event: ProbeEvent): void {
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
  if (!runbook && !error) void startPage.refresh();
  if (runbook) {
    renderSteps(runbook, current, select);
    showStep();
    markFirstShown();
  }
  document.body.dataset.ready = "true";
}

/**
 * When the runbook was first drawn, as epoch milliseconds on `body[data-shown-at]`
 * (the first frame after its first render once its fonts are in: until then its text
 * is not drawn, see `shared/fonts.css`): the window benchmark's cold start ends there.
 */
function markFirstShown(): void {
  if (document.body.dataset.shownAt !== undefined) return;
  document.body.dataset.shownAt = "";
  void document.fonts.ready.then(() => requestAnimationFrame(() => {
    document.body.dataset.shownAt = String(performance.timeOrigin + performance.now());
    // The terminals' code, now that the runbook is on screen: ready before the first Run.
    setTimeout(() => void preloadTerminals().catch((e: unknown) => console.error("cannot load the terminal view", e)), 0);
  }));
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

/** Asks the show to go to step `index`; the window follows when the new state arrives. */
function select(index: number): void {
  if (!state.runbook || index === state.current || index < 0) return;
  void command({ kind: "goTo", step: index });
}

/** The show's step, for the runbook this window shows (-1 while the show has another). */
function showIndex(runbook: Runbook): number {
  const s = show.state;
  if (s?.runbook === runbook.path && s.current !== null && s.current < runbook.steps.length) return s.current;
  return runbook.steps.length > 0 ? 0 : -1;
}

function onShow(s: ShowState): void {
  stage.update(s);
  pane.followGrid(s.audience.open ? s.audience.grid : null);
  document.body.dataset.blanked = String(s.blanked);
  if (state.runbook && s.runbook === state.runbook.path && s.current !== null && s.current !== state.current) {
    state.current = s.current;
    showStep();
  } else {
    // The mode, a step's own mode or what plays may have changed: cheap to redraw.
    controls.render();
  }
}

function display(runbook: Runbook): void {
  const samePath = state.runbook?.path === runbook.path;
  health.setServices(runbook.services);
  charts.setRunbook(runbook, samePath);
  preflight.reset(samePath);
  stage.setRunbook(runbook);
  state.runbook = runbook;
  state.current = showIndex(runbook);
  state.error = null;
  pane.useRunbook(runbook.path);
  render();
  void controls.refresh(samePath);
  void rehearsals.refresh(samePath);
}

/** Runs a block live, or plays its step's recording when the step is in playback mode. */
function runOrPlay(step: Step, block: CodeBlock): void {
  if (controls.modeOf(step) === "playback" && controls.hasRecording(step)) {
    void controls.play(step);
    return;
  }
  void trustGate.ensure().then((trusted) => {
    if (!trusted) return;
    controls.goLive(step);
    void pane.run(block);
  });
}

/** PageDown / Right / the remote's next: run the next block, or go to the next step. */
function advance(): void {
  const runbook = state.runbook;
  if (!runbook) return;
  const step = runbook.steps[state.current] ?? null;
  if (controls.isPlaying() || show.state?.playing) {
    controls.say("A recording is playing: Ctrl+. stops it, ↓ moves on without waiting.");
    return;
  }
  const next = advanceAction(step, pane.statuses, state.current >= runbook.steps.length - 1);
  switch (next.kind) {
    case "run":
      if (step) runOrPlay(step, next.block);
      break;
    case "wait":
      controls.say("A block of this step is still running: ↓ moves on without waiting, Ctrl+. stops it.");
      break;
    case "next":
      controls.say("");
      void command({ kind: "next" });
      break;
    case "end":
      controls.say("This is the last step.");
      break;
  }
}

/** A clicker action, pressed here or relayed from the audience window. */
function onClicker(action: ClickerAction): void {
  switch (action) {
    case "advance":
      advance();
      break;
    case "back":
      void command({ kind: "previous" });
      break;
    case "start":
      void audienceOpen(true).catch((e: unknown) => controls.say(`Cannot open the audience window: ${String(e)}`));
      void command({ kind: "startTimer" });
      break;
    case "leaveFullscreen":
      void audienceLeaveFullscreen().catch((e: unknown) => console.error(e));
      break;
    case "blank":
      void command({ kind: "toggleBlank" });
      break;
  }
}

function fail(error: OpenError): void {
  // Keep the last good runbook on screen under the error: a typo mid-talk must not blank it.
  state.error = error;
  render();
}

async function openPath(path: string): Promise<void> {
  try {
    display(await openRunbook(path));
  } catch (e) {
    fail(toOpenError(e, path));
  }
}

async function openTourCopy(): Promise<void> {
  try {
    display(await openTour());
  } catch (e) {
    fail(toOpenError(e, "the tour"));
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
  if (update.kind === "loaded") display(update.runbook);
  else fail(update.error);
}

/** Escape closes what is open over the deck first; true when it did. */
function closeOverlay(): boolean {
  if (trustGate.isOpen()) trustGate.close();
  else if (startPage.isAboutOpen()) startPage.closeAbout();
  else if (keymap.isOpen()) keymap.close();
  else if (rehearsals.isOpen()) rehearsals.close();
  else if (preflight.isOpen()) preflight.close();
  else if (stage.isConfirming()) stage.cancelReset();
  else return false;
  return true;
}

/** Keys of the stage (audience, clock, notes zoom, key map); true when the key was one. */
function stageKey(e: KeyboardEvent): boolean {
  if (e.ctrlKey && e.altKey && !e.metaKey) {
    const bigger = e.key === "=" || e.key === "+" || e.code === "Equal";
    const smaller = e.key === "-" || e.code === "Minus";
    if (bigger || smaller) stage.zoomNotes(bigger ? 1 : -1);
    return bigger || smaller;
  }
  if (e.ctrlKey || e.altKey || e.metaKey) return false;
  switch (e.key) {
    case "?":
      keymap.toggle();
      return true;
    case "a":
    case "A":
      void audienceOpen(false).catch((err: unknown) => controls.say(`Cannot open the audience window: ${String(err)}`));
      return true;
    case "t":
      void command({ kind: "toggleTimer" });
      return true;
    case "T":
      stage.askReset();
      return true;
    case "c":
    case "C":
      void command({ kind: "showClock", on: !(show.state?.audience.showClock ?? false) });
      return true;
    case "s":
    case "S":
      capture(e.shiftKey ? "audience" : "presenter");
      return true;
    case "r":
    case "R":
      rehearsals.toggle();
      return true;
    default:
      return false;
  }
}

/** S / Shift+S: captures the presenter's / the audience's window; the message line names the file. */
function capture(target: "presenter" | "audience"): void {
  const which = target === "presenter" ? "presenter window" : "audience window";
  captureWindow(target)
    .then((shot) => controls.say(`Captured the ${which}: ${shot.relative}`))
    .catch((err: unknown) => controls.say(errorMessage(err)));
}

function errorMessage(err: unknown): string {
  if (typeof err === "object" && err !== null && "message" in err && typeof err.message === "string") return err.message;
  return String(err);
}

function onKey(e: KeyboardEvent): void {
  if (e.key === "Escape" && closeOverlay()) {
    e.preventDefault();
    return;
  }
  // What is typed in a text field (the backup's file name) is the field's.
  if (e.target instanceof HTMLInputElement && e.target.type === "text") return;
  if (e.ctrlKey && !e.altKey && (e.key === "o" || e.key === "O")) {
    e.preventDefault();
    void chooseFile();
    return;
  }
  // Keys typed in a terminal belong to its program; a focused button takes its own Enter.
  const inTerminal = e.target instanceof Element && e.target.closest(".terminal-view") !== null;
  const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
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
  // A command typed on the presenter's keys takes them (P still plays, Ctrl+. stops).
  const typingIn = step && !inTerminal && action !== "play" ? pane.typingTerminal(step.blocks) : null;
  const typed = typingIn ? keyTypingData(e) : null;
  if (typingIn && typed !== null) {
    e.preventDefault();
    void terminalTypeKey(typingIn, typed).catch((err: unknown) => console.error(err));
    return;
  }
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
  if (inTerminal || inField) return;
  const clicker = clickerAction(e);
  if (clicker) {
    e.preventDefault();
    onClicker(clicker);
    return;
  }
  if (stageKey(e)) {
    e.preventDefault();
    return;
  }
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
  // A list chosen from gives the keyboard back: the remote's keys must not change its value.
  document.addEventListener("change", (e) => {
    if (e.target instanceof HTMLSelectElement) e.target.blur();
  });
  document.getElementById("open")?.addEventListener("click", () => void chooseFile());
  byId("step-body").addEventListener("click", onBlockButton);
  byId("audience-button").addEventListener("click", () => {
    void audienceOpen(false).catch((err: unknown) => controls.say(`Cannot open the audience window: ${String(err)}`));
  });
  byId("keys-button").addEventListener("click", () => keymap.toggle());
  // Back to the show from a terminal: Esc (outside full-screen programs) or Shift+Esc.
  pane.onLeave = () => byId("stage").focus();
  show.onChange(onShow);
  // The subscriptions and the runbook are asked for at once (each is a round trip to
  // the backend); the runbook is shown once every subscription is in place.
  const subscribed = Promise.all([
    watchRunbook(onUpdate),
    listenForDrops(),
    listen<ClickerAction>("clicker", (e) => onClicker(e.payload)),
    show.attach(),
  ]).catch((e: unknown) => console.error("cannot subscribe to window events", e));
  probeAttach(onProbe).catch((e: unknown) => console.error("cannot subscribe to probes", e));
  const initial = initialRunbook();
  // Handled below, after the subscriptions; this only keeps an early failure from
  // being reported as unhandled meanwhile.
  initial.catch(() => {});
  await subscribed;
  try {
    const runbook = await initial;
    if (runbook) display(runbook);
    else render();
  } catch (e) {
    fail(toOpenError(e, "(command line)"));
  }
}

void start();
