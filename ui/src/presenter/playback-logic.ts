// Pure rules of live and playback mode, kept apart from the DOM for unit tests.

import type { BlockStatus, Step, StepRecordingInfo } from "../shared/model";

export type Mode = "live" | "playback";

/** Speeds offered for playback (the backend accepts 0.5 to 4). */
export const SPEEDS: readonly number[] = [0.5, 1, 1.5, 2, 4];

/** Idle caps offered, in ms (`null` keeps every silence). */
export const IDLE_CAPS: readonly (number | null)[] = [500, 1000, 2000, null];

/** The mode a step runs in: its own override, else the show's. */
export function effectiveMode(show: Mode, overrides: ReadonlyMap<string, Mode>, stepId: string): Mode {
  return overrides.get(stepId) ?? show;
}

/** The override map after flipping one step away from (or back to) the show's mode. */
export function toggledOverride(show: Mode, overrides: ReadonlyMap<string, Mode>, stepId: string): Map<string, Mode> {
  const next = new Map(overrides);
  const flipped: Mode = effectiveMode(show, overrides, stepId) === "live" ? "playback" : "live";
  if (flipped === show) next.delete(stepId);
  else next.set(stepId, flipped);
  return next;
}

/** A live run of the step went wrong: a block failed, timed out, or waits at its gate. */
export function liveRunFailed(step: Step, statuses: ReadonlyMap<string, BlockStatus>): boolean {
  return step.blocks.some((b) => {
    const state = statuses.get(b.id)?.state;
    return state === "failed" || state === "timedOut" || state === "gated";
  });
}

/** Whether to offer the step's recording in place of its live run. */
export function fallbackOffered(
  step: Step,
  statuses: ReadonlyMap<string, BlockStatus>,
  recordings: ReadonlyMap<string, StepRecordingInfo>,
): boolean {
  return recordings.has(step.id) && liveRunFailed(step, statuses);
}

/** "×1.5" */
export function speedLabel(speed: number): string {
  return `×${speed}`;
}

/** "idle ≤ 1 s", "idle kept" */
export function idleCapLabel(ms: number | null): string {
  return ms === null ? "idle kept" : `idle ≤ ${ms / 1000} s`;
}

/** The step list's mark for a step's recording: recorded, stale, or none. */
export function recordingMark(info: StepRecordingInfo | undefined): { text: string; title: string; stale: boolean } | null {
  if (!info) return null;
  const when = rehearsalTime(info.rehearsal);
  if (info.stale) {
    return { text: "⚠ stale", title: `Recorded ${when}, but its commands changed since: rehearse again`, stale: true };
  }
  return { text: "● rec", title: `Recorded ${when} (${(info.durationMs / 1000).toFixed(1)} s)`, stale: false };
}

/** "20261123-043050" -> "2026-11-23 04:30:50 UTC"; other names as they are. */
export function rehearsalTime(folder: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(folder);
  if (!m) return folder;
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]} UTC`;
}
