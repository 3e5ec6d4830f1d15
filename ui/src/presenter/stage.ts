// The presenter's stage panel: the talk clock and the step's countdown, pacing for the
// whole talk, the expected finish, the next step's preview, the audience window's
// state, and the notes' own zoom. Everything is drawn from the show state (core's
// `show`) and the clock; nothing here keeps time of its own.

import { byId, setData, setHidden, setText } from "../shared/dom";
import { formatBudget } from "../shared/logic";
import type { Runbook, ShowState } from "../shared/model";
import {
  allocateBudgets,
  expectedFinish,
  formatClock,
  formatCountdown,
  formatWallClock,
  pacing,
  stepCountdown,
} from "../shared/pacing";
import { clockInstant, stepElapsedMs, talkElapsedMs, timerRunning, untilClockRedraw } from "../shared/show";
import { nextPreview } from "./stage-logic";

const NOTES_ZOOM = { min: 0.7, max: 2.5, step: 0.1 };
/** Columns the audience's terminals can be sized to show (the font grows to fit them). */
const AUDIENCE_COLUMNS = [60, 80, 100, 120, 140, 160] as const;

export class StagePanel {
  private state: ShowState | null = null;
  private runbook: Runbook | null = null;
  private tick: number | undefined;
  private notesZoom = 1;

  private readonly talk = byId<HTMLButtonElement>("clock-talk");
  private readonly stepElapsed = byId("clock-step-elapsed");
  private readonly countdown = byId("clock-countdown");
  private readonly bar = byId("clock-bar");
  private readonly barFill = byId("clock-bar-fill");
  private readonly pacingLabel = byId("clock-pacing");
  private readonly finish = byId("clock-finish");
  private readonly confirm = byId("clock-confirm");
  private readonly audienceButton = byId<HTMLButtonElement>("audience-button");
  private readonly audienceState = byId("audience-state");
  private readonly columns = byId<HTMLSelectElement>("audience-columns");

  constructor(
    private readonly onToggleTimer: () => void,
    private readonly onResetTimer: () => void,
    private readonly onColumns: (columns: number) => void,
  ) {
    this.columns.replaceChildren(
      ...AUDIENCE_COLUMNS.map((c) => {
        const option = document.createElement("option");
        option.value = String(c);
        option.textContent = `${c} cols`;
        return option;
      }),
    );
    this.columns.addEventListener("change", () => this.onColumns(Number(this.columns.value)));
    this.talk.addEventListener("click", () => this.onToggleTimer());
    byId("clock-reset").addEventListener("click", () => this.askReset());
    byId("clock-confirm-reset").addEventListener("click", () => {
      this.confirm.hidden = true;
      this.onResetTimer();
    });
    byId("clock-confirm-keep").addEventListener("click", () => (this.confirm.hidden = true));
    (window as unknown as { __cuedeckClock: unknown }).__cuedeckClock = { read: () => this.read() };
  }

  /** Reset asks first: an accidental reset mid-talk loses the clock. */
  askReset(): void {
    this.confirm.hidden = false;
    byId("clock-confirm-keep").focus();
  }

  isConfirming(): boolean {
    return !this.confirm.hidden;
  }

  cancelReset(): void {
    this.confirm.hidden = true;
  }

  setRunbook(runbook: Runbook | null): void {
    this.runbook = runbook;
    this.render();
  }

  update(state: ShowState): void {
    this.state = state;
    this.render();
  }

  /** Notes bigger or smaller (Ctrl+Alt+= / Ctrl+Alt+-), the terminals untouched. */
  zoomNotes(direction: 1 | -1): void {
    const next = Math.round((this.notesZoom + direction * NOTES_ZOOM.step) * 10) / 10;
    this.notesZoom = Math.min(NOTES_ZOOM.max, Math.max(NOTES_ZOOM.min, next));
    byId("presenter-scroll").style.setProperty("--notes-zoom", String(this.notesZoom));
    byId("presenter-scroll").dataset.zoom = String(this.notesZoom);
  }

  /** What the clock shows now (for tests: both windows must agree). */
  read(): { talkMs: number; stepMs: number; at: number; running: boolean } {
    const now = Date.now();
    const s = this.state;
    if (!s) return { talkMs: 0, stepMs: 0, at: now, running: false };
    const stepId = s.currentStepId;
    return {
      talkMs: talkElapsedMs(s.timer, now),
      stepMs: stepId ? stepElapsedMs(s.timer, stepId, stepId, now) : 0,
      at: now,
      running: timerRunning(s.timer),
    };
  }

  private budgets(now: number): (number | null)[] {
    const rb = this.runbook;
    if (!rb) return [];
    const steps = rb.steps.map((s) => ({ id: s.id, budgetSeconds: s.budget?.seconds ?? null, optional: s.optional }));
    return allocateBudgets(steps, {
      endBy: rb.frontMatter.end,
      durationSeconds: rb.frontMatter.durationSeconds,
      startedAt: this.state?.timer.startedAt ?? null,
      now,
    });
  }

  /** Everything, after a new state or runbook. */
  private render(): void {
    const budgets = this.renderClock();
    this.renderNext(this.state?.current ?? -1, budgets);
    this.renderAudience(this.state);
  }

  /**
   * The clock, countdown, pacing and finish; redrawn alone once a second while the
   * clock runs (the rest changes only with the state). Returns the step budgets.
   */
  private renderClock(): (number | null)[] {
    window.clearTimeout(this.tick);
    const s = this.state;
    const timer = s?.timer;
    const wallNow = Date.now();
    const now = clockInstant(timer, wallNow);
    const current = s?.current ?? -1;
    const budgets = this.budgets(now);
    const talkMs = timer ? talkElapsedMs(timer, now) : 0;
    const stepId = s?.currentStepId ?? null;
    const stepMs = timer && stepId ? stepElapsedMs(timer, stepId, stepId, now) : 0;

    setText(this.talk, formatClock(talkMs));
    // Each second's redraw writes only what changed: an attribute set to its own value
    // is still a mutation the page must style again.
    const talkState = !timer?.startedAt ? "stopped" : timer.pausedAt !== null ? "paused" : "running";
    setData(this.talk, "state", talkState);
    const title = talkState === "running" ? "Talk time (T pauses)" : "Talk time (T starts or resumes)";
    if (this.talk.title !== title) this.talk.title = title;
    setText(this.stepElapsed, `step ${formatClock(stepMs)}`);

    const budget = current >= 0 ? (budgets[current] ?? null) : null;
    const countdown = stepCountdown(budget, stepMs);
    setHidden(this.countdown, countdown === null);
    setHidden(this.bar, countdown === null);
    if (countdown) {
      setText(this.countdown, `${formatCountdown(countdown.remainingMs)} of ${formatBudget(budget ?? 0)}`);
      setData(this.countdown, "level", countdown.level);
      setData(this.bar, "level", countdown.level);
      const width = `${Math.min(100, Math.max(0, countdown.fraction * 100))}%`;
      if (this.barFill.style.width !== width) this.barFill.style.width = width;
    }
    const pace = timer?.startedAt ? pacing(budgets, current, talkMs, stepMs) : null;
    setText(this.pacingLabel, pace?.label ?? "");
    setData(this.pacingLabel, "delta", pace ? String(Math.sign(pace.deltaMs)) : "0");
    const done = expectedFinish(budgets, current, stepMs, now);
    const endBy = this.runbook?.frontMatter.end ?? null;
    const finish = [done !== null ? `finish ≈ ${formatWallClock(done)}` : "", endBy ? `end by ${endBy}` : ""];
    setText(this.finish, finish.filter((t) => t !== "").join(" · "));
    // Redraw when the shown second changes; a stopped or paused clock needs none.
    // A probe round usually comes first (`redrawClock`), and this waits again.
    if (timer && timerRunning(timer)) this.tick = window.setTimeout(() => this.renderClock(), untilClockRedraw(wallNow));
    return budgets;
  }

  /**
   * Redraws a running clock now, in a frame drawn anyway (a probe round's): probes
   * tick on whole seconds, as the clock changes, so at rest the window draws one
   * frame a second instead of two.
   */
  redrawClock(): void {
    if (this.state && timerRunning(this.state.timer)) this.renderClock();
  }

  private renderNext(current: number, budgets: (number | null)[]): void {
    const next = nextPreview(this.runbook?.steps[current + 1], budgets[current + 1] ?? null);
    byId("next-section").hidden = this.runbook === null;
    byId("next-title").textContent = next?.title ?? "The last step: nothing after it.";
    byId("next-budget").textContent = next?.budgetSeconds ? `◷ ${formatBudget(next.budgetSeconds)}` : "";
    const block = byId("next-block");
    block.hidden = !next?.firstBlock;
    block.textContent = next?.firstBlock ?? "";
  }

  private renderAudience(s: ShowState | null): void {
    const a = s?.audience;
    const open = a?.open ?? false;
    const blanked = s?.blanked ?? false;
    this.audienceButton.dataset.open = String(open);
    this.audienceButton.dataset.blanked = String(blanked);
    this.columns.hidden = !open;
    if (a) this.columns.value = String(a.columns);
    const line = byId("audience-line");
    line.dataset.open = String(open);
    line.dataset.blanked = String(blanked);
    this.audienceState.textContent = audienceSummary(s);
    this.audienceButton.title = open
      ? `${audienceSummary(s)}. A brings it up, F5 makes it fullscreen, B blanks it.`
      : "Open the audience window (A); F5: fullscreen and start the clock";
  }
}

/** "Audience on HDMI-1 · fullscreen · blanked · clock shown", or how to open it. */
export function audienceSummary(s: ShowState | null): string {
  const a = s?.audience;
  if (!a?.open) return s?.blanked ? "Audience window closed (blanked): A opens it" : "Audience window closed: A opens it";
  return [
    `Audience ${a.monitor ? `on ${a.monitor}` : "open"}`,
    a.fullscreen ? "fullscreen" : "windowed",
    s?.blanked ? "BLANKED" : "",
    a.showClock ? "clock shown" : "",
  ]
    .filter((p) => p !== "")
    .join(" · ");
}
