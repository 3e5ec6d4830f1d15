// The show as a window sees it: the state core's `show` publishes (the presenter and
// the audience subscribe alike; neither owns it), and the clock arithmetic each
// window runs on it between publishes. Every window computes from the same absolute
// timestamps and the same system clock, so both show the same time.

import { showAttach } from "./ipc";
import type { ShowState, ShowTimer } from "./model";

/** Talk time: from the start, pauses excluded (as core's `Timer::elapsed_ms`). */
export function talkElapsedMs(timer: ShowTimer, now: number): number {
  if (timer.startedAt === null) return 0;
  const end = timer.pausedAt ?? now;
  return Math.max(0, end - timer.startedAt - timer.pausedMs);
}

/** Time spent in step `stepId`: its finished segments, plus the running one if it is current. */
export function stepElapsedMs(timer: ShowTimer, stepId: string, currentStepId: string | null, now: number): number {
  const spent = timer.stepSpentMs[stepId] ?? 0;
  if (stepId !== currentStepId || timer.stepSince === null) return spent;
  return spent + Math.max(0, now - timer.stepSince);
}

export function timerRunning(timer: ShowTimer): boolean {
  return timer.startedAt !== null && timer.pausedAt === null;
}

/**
 * Past a whole second, how long a window's clock waits before redrawing when
 * nothing else redrew it: the presenter's clock redraws in the frame of a probe
 * round, which arrives within a few tens of ms of the second.
 */
export const CLOCK_REDRAW_AFTER_MS = 60;

/**
 * The moment a running clock shows: the last whole second of the wall clock (a
 * stopped or paused clock shows `now`; it does not move). Every window's clock then
 * changes at the same moments, and the presenter's can change in the frame of a
 * probe round (probes tick on whole seconds too) rather than in a frame of its own:
 * at rest, each frame costs the window about as much as everything else it does.
 */
export function clockInstant(timer: ShowTimer | undefined, now: number): number {
  return timer && timerRunning(timer) ? now - (now % 1000) : now;
}

/** How long from `now` until a running clock should be redrawn, if nothing redrew it. */
export function untilClockRedraw(now: number): number {
  return 1000 - (now % 1000) + CLOCK_REDRAW_AFTER_MS;
}

/** This window's subscription: the latest state, and who to tell of a new one. */
export class ShowClient {
  private latest: ShowState | null = null;
  private readonly listeners: ((state: ShowState) => void)[] = [];

  /**
   * Subscribes. A state older than one already seen (a command's late reply) is
   * ignored: core's revision only grows, across runbooks too.
   */
  async attach(): Promise<ShowState> {
    const first = await showAttach((s) => this.receive(s));
    this.receive(first);
    return this.latest ?? first;
  }

  get state(): ShowState | null {
    return this.latest;
  }

  onChange(listener: (state: ShowState) => void): void {
    this.listeners.push(listener);
  }

  /** A state from the backend (a publish, or a command's reply). */
  receive(state: ShowState): void {
    const previous = this.latest;
    if (previous && state.revision <= previous.revision) return;
    this.latest = state;
    for (const listener of this.listeners) listener(state);
  }
}
