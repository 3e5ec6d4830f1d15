// Rehearsal and playback controls: "Rehearse all / from here", the Live/Playback
// switch (whole show, or one step), speed and idle cap, the presenter's "playback"
// badge, the step list's recording marks, and the fallback offer when a live step
// fails. The terminals show played output exactly as live output: only these
// presenter controls tell them apart.

import { liveResume, playStep, playbackStop, recordings, rehearseRun } from "../shared/ipc";
import type { PlayStatus, RehearsalProgress, ShowCommand, ShowState, Step, StepRecordingInfo } from "../shared/model";
import {
  IDLE_CAPS,
  SPEEDS,
  effectiveMode,
  fallbackOffered,
  idleCapLabel,
  recordingMark,
  rehearsalTime,
  speedLabel,
  toggledOverride,
  type Mode,
} from "./playback-logic";
import { byId, h } from "../shared/dom";
import { blockTerminals } from "../shared/terminal-logic";
import type { TerminalPane } from "./terminal-pane";

function errorText(e: unknown): string {
  return typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e);
}

export class ShowControls {
  private recordings = new Map<string, StepRecordingInfo>();
  private speed = 1;
  private idleCapMs: number | null = 1000;
  /** The step playing now, if any. */
  private playing: string | null = null;
  /** Steps shown from their recording since they last ran live. */
  private readonly played = new Set<string>();
  private rehearsing = false;
  private readonly rehearsed = new Map<string, "running" | "ok" | "failed">();

  private readonly controls = byId("show-controls");
  private readonly badge = byId("playback-badge");
  private readonly stepMode = byId<HTMLButtonElement>("step-mode");
  private readonly fallback = byId("fallback");
  private readonly notice = byId("show-notice");
  /** A rehearsal ended (the rehearsal view lists it). */
  onRehearsed: () => void = () => undefined;

  constructor(
    private readonly pane: TerminalPane,
    private readonly currentStep: () => Step | null,
    private readonly steps: () => readonly Step[],
    /** The show's mode and per-step overrides live in core's show state. */
    private readonly show: () => ShowState | null,
    private readonly command: (command: ShowCommand) => Promise<void>,
    /** Resolves true once the runbook is trusted (its trust sheet asks first). */
    private readonly trusted: () => Promise<boolean>,
  ) {
    this.fillSelect(byId<HTMLSelectElement>("play-speed"), SPEEDS, speedLabel, this.speed, (v) => (this.speed = v));
    this.fillSelect(byId<HTMLSelectElement>("play-idle"), IDLE_CAPS, idleCapLabel, this.idleCapMs, (v) => (this.idleCapMs = v));
    for (const button of this.controls.querySelectorAll<HTMLButtonElement>("[data-mode]")) {
      button.addEventListener("click", () => this.setMode(button.dataset.mode === "playback" ? "playback" : "live"));
    }
    byId("rehearse-all").addEventListener("click", () => void this.rehearse(null));
    byId("rehearse-from").addEventListener("click", () => void this.rehearse(this.currentStep()?.id ?? null));
    this.stepMode.addEventListener("click", () => this.toggleStep());
    this.fallback.querySelector("button")?.addEventListener("click", () => void this.playCurrent());
    (window as unknown as { __cuedeckShow: unknown }).__cuedeckShow = {
      recordings: (): StepRecordingInfo[] => [...this.recordings.values()],
      playing: (): string | null => this.playing,
    };
  }

  private fillSelect<T>(
    select: HTMLSelectElement,
    values: readonly T[],
    label: (v: T) => string,
    selected: T,
    set: (v: T) => void,
  ): void {
    select.replaceChildren(...values.map((v, i) => h("option", { value: String(i) }, label(v))));
    select.value = String(values.indexOf(selected));
    select.addEventListener("change", () => {
      const v = values[Number(select.value)];
      if (v !== undefined) set(v);
      this.render();
    });
  }

  /** A runbook was shown (opened or reloaded): its recordings are looked up again. */
  async refresh(samePath: boolean): Promise<void> {
    if (!samePath) {
      this.rehearsed.clear();
      this.played.clear();
    }
    this.controls.hidden = false;
    try {
      this.recordings = new Map((await recordings()).map((r) => [r.stepId, r]));
    } catch (e) {
      console.error("cannot list the rehearsals", e);
      this.recordings.clear();
    }
    this.render();
  }

  private get mode(): Mode {
    return this.show()?.mode ?? "live";
  }

  private get overrides(): Map<string, Mode> {
    return new Map(Object.entries(this.show()?.stepModes ?? {}));
  }

  /** The mode the step runs in now. */
  modeOf(step: Step): Mode {
    return effectiveMode(this.mode, this.overrides, step.id);
  }

  /** The recording step `stepId` would play, if it has one. */
  recordingOf(stepId: string): StepRecordingInfo | undefined {
    return this.recordings.get(stepId);
  }

  hasRecording(step: Step): boolean {
    return this.recordings.has(step.id);
  }

  /** The whole show's mode (clears every step's own). */
  private setMode(mode: Mode): void {
    if (mode === "live") void liveResume().catch(console.error);
    void this.command({ kind: "setMode", mode });
  }

  private toggleStep(): void {
    const step = this.currentStep();
    if (!step) return;
    const override = toggledOverride(this.mode, this.overrides, step.id).get(step.id) ?? null;
    void this.command({ kind: "setStepMode", stepId: step.id, mode: override });
  }

  /** Before a live run of `step`: live lights and charts again. */
  goLive(step: Step): void {
    this.played.delete(step.id);
    void liveResume().catch(console.error);
    this.render();
  }

  async playCurrent(): Promise<void> {
    const step = this.currentStep();
    if (step) await this.play(step);
  }

  /** Plays `step` from its recording into its terminals. */
  async play(step: Step): Promise<void> {
    if (!this.recordings.has(step.id)) {
      this.say(`“${step.title}” has no passing rehearsal to play: rehearse it first.`);
      return;
    }
    // Playing starts the step's terminals: shells with the runbook's environment.
    if (!(await this.trusted())) return;
    this.playing = step.id;
    this.played.add(step.id);
    this.render();
    try {
      await playStep(step.id, this.speed, this.idleCapMs, (s) => void this.onPlay(step, s));
    } catch (e) {
      this.say(`Cannot play “${step.title}”: ${errorText(e)}`);
    } finally {
      if (this.playing === step.id) this.playing = null;
      this.render();
    }
  }

  private async onPlay(step: Step, status: PlayStatus): Promise<void> {
    if (status.state === "playing") {
      for (const name of status.terminals) await this.pane.ensure(name);
      const first = status.terminals[0];
      if (first !== undefined) this.pane.show(first);
      for (const b of step.blocks) {
        if (b.kind !== "shown") this.pane.markPlayed(b.id);
      }
      return;
    }
    if (status.state === "finished") this.say("");
  }

  /** Whether a step's recording is playing now. */
  isPlaying(): boolean {
    return this.playing !== null;
  }

  stop(): boolean {
    if (this.playing === null) return false;
    void playbackStop().catch(console.error);
    return true;
  }

  private async rehearse(from: string | null): Promise<void> {
    if (this.rehearsing) return;
    if (!(await this.trusted())) return;
    this.rehearsing = true;
    this.rehearsed.clear();
    this.say(from ? "Rehearsing from this step…" : "Rehearsing every step…");
    this.render();
    try {
      await rehearseRun(from, (p) => this.onRehearsal(p));
    } catch (e) {
      this.say(`The rehearsal failed: ${errorText(e)}`);
    } finally {
      this.rehearsing = false;
      await this.refresh(true);
    }
  }

  private onRehearsal(p: RehearsalProgress): void {
    if (p.kind === "stepStarted") {
      this.rehearsed.set(p.stepId, "running");
      const step = this.steps().find((s) => s.id === p.stepId);
      if (step) void this.showTerminalsOf(step);
    }
    else if (p.kind === "stepFinished") this.rehearsed.set(p.stepId, p.status === "ok" || p.status === "ready" ? "ok" : "failed");
    else {
      this.say(`Rehearsal recorded: ${p.passed} passed, ${p.failed} failed. R shows each step's snapshots and exports a backup.`);
      this.onRehearsed();
    }
    this.render();
  }

  /** The presenter watches a rehearsal in the terminals its steps use. */
  private async showTerminalsOf(step: Step): Promise<void> {
    const names = [...new Set(step.blocks.filter((b) => b.kind !== "shown").flatMap(blockTerminals))];
    for (const name of names) await this.pane.ensure(name);
    const first = names[0];
    if (first !== undefined) this.pane.show(first);
  }

  /** A line for the presenter under the step title ("" clears it). */
  say(text: string): void {
    this.notice.textContent = text;
    this.notice.hidden = text === "";
  }

  /** Updates every control for the step shown. */
  render(): void {
    const step = this.currentStep();
    for (const button of this.controls.querySelectorAll<HTMLButtonElement>("[data-mode]")) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === this.mode));
    }
    for (const id of ["rehearse-all", "rehearse-from"]) byId<HTMLButtonElement>(id).disabled = this.rehearsing;
    this.markSteps();
    const playing = step !== null && this.playing === step.id;
    const mode = step ? this.modeOf(step) : this.mode;
    const info = step ? this.recordings.get(step.id) : undefined;
    const played = step !== null && this.played.has(step.id);
    this.badge.hidden = !(playing || played || (mode === "playback" && info !== undefined));
    this.badge.textContent = playing ? `▶ PLAYBACK ${speedLabel(this.speed)}` : played ? "▶ PLAYED FROM RECORDING" : "▶ PLAYBACK";
    this.badge.title = info ? `Recording of ${rehearsalTime(info.rehearsal)}${info.stale ? " (stale)" : ""}` : "";
    this.badge.classList.toggle("stale", info?.stale ?? false);
    this.stepMode.hidden = step === null || info === undefined;
    this.stepMode.textContent = mode === "playback" ? "▶ plays from recording" : "● runs live";
    this.stepMode.dataset.mode = mode;
    this.stepMode.title =
      mode === "playback" ? "This step plays its recording: click to run it live" : "This step runs live: click to play its recording instead";
    const offer = step !== null && !playing && mode === "live" && fallbackOffered(step, this.pane.statuses, this.recordings);
    this.fallback.hidden = !offer;
    if (offer && info) {
      const label = this.fallback.querySelector(".fallback-what");
      if (label) label.textContent = `Recorded ${rehearsalTime(info.rehearsal)}${info.stale ? " — stale: its commands changed since" : ""}`;
    }
    document.body.dataset.playing = playing ? "true" : "false";
  }

  private markSteps(): void {
    for (const item of document.querySelectorAll<HTMLElement>("#steps li.step[data-step-id]")) {
      const id = item.dataset.stepId ?? "";
      const mark = recordingMark(this.recordings.get(id));
      let span = item.querySelector<HTMLElement>(".rec-mark");
      if (!mark) {
        span?.remove();
      } else {
        if (!span) {
          span = h("span", { class: "rec-mark" });
          item.querySelector(".step-meta")?.prepend(span);
        }
        span.textContent = mark.text;
        span.title = mark.title;
        span.classList.toggle("stale", mark.stale);
      }
      const r = this.rehearsed.get(id);
      if (r) item.dataset.rehearsal = r;
      else delete item.dataset.rehearsal;
    }
  }
}
