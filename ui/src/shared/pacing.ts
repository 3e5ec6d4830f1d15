// Talk timer arithmetic and formatting: pure, no DOM, no IPC, no imports.
// Unit-tested in pacing.test.ts.
//
// The backend sends absolute epoch-ms timestamps; every window derives what it shows
// from that state and `Date.now()`, so two windows always agree. Everything here takes
// `now` (and elapsed times) as arguments and never reads the clock itself.

/** A step as the timer needs it, in runbook order. */
export interface PacingStep {
  id: string;
  /** From the heading (`## Intro (5 minutes)`) or the timeline, or null when none is given. */
  budgetSeconds: number | null;
  /** Optional steps without a budget get no share of the time left. */
  optional: boolean;
}

/** The whole-talk plan, from the front matter and the talk timer. */
export interface TalkPlan {
  /** Front matter `end`: a finish-by time, "HH:MM" local wall clock. Wins over `durationSeconds`. */
  endBy: string | null;
  /** Front matter `duration`, in seconds. */
  durationSeconds: number | null;
  /** Epoch ms when the talk timer started, or null when it has not. */
  startedAt: number | null;
  /** Epoch ms. */
  now: number;
}

export type CountdownLevel = "ok" | "warn" | "over";

export interface StepCountdown {
  /** Budget minus elapsed; negative past the budget. */
  remainingMs: number;
  /** Elapsed / budget: 0 at the start, 1 at the budget, above 1 past it (unbounded). */
  fraction: number;
  /** "warn" from 80 % of the budget (inclusive), "over" strictly past 100 %. */
  level: CountdownLevel;
}

export interface PacingDelta {
  /** Talk elapsed minus expected elapsed: positive = behind, negative = ahead. */
  deltaMs: number;
  /** "2:10 behind", "0:40 ahead", or "on time" within 5 s. */
  label: string;
}

/** |delta| below this reads "on time". */
export const ON_TIME_TOLERANCE_MS = 5_000;

/**
 * Seconds for the whole talk, or null when the plan gives no total.
 * `endBy` wins over `durationSeconds`: it is counted from `startedAt` (or from `now`
 * when the talk has not started), on that moment's local day. A finish-by time already
 * past is 0 seconds, never the next day. An unparseable `endBy` falls back to the duration.
 */
export function planTotalSeconds(plan: TalkPlan): number | null {
  if (plan.endBy !== null) {
    const origin = plan.startedAt ?? plan.now;
    const end = endByEpoch(plan.endBy, origin);
    if (end !== null) return Math.max(0, (end - origin) / 1000);
  }
  if (plan.durationSeconds !== null && Number.isFinite(plan.durationSeconds)) {
    return Math.max(0, plan.durationSeconds);
  }
  return null;
}

/**
 * Seconds per step, in step order. Steps with a budget keep it. When the plan gives a
 * total, the steps without a budget that are not optional share what is left after all
 * explicit budgets equally (whole seconds, rounded down, never negative). Without a total,
 * and for optional steps without a budget, the result is null.
 */
export function allocateBudgets(steps: readonly PacingStep[], plan: TalkPlan): (number | null)[] {
  const total = planTotalSeconds(plan);
  const sharing = steps.filter((s) => s.budgetSeconds === null && !s.optional).length;
  let share: number | null = null;
  if (total !== null && sharing > 0) {
    const explicit = steps.reduce((sum, s) => sum + (s.budgetSeconds ?? 0), 0);
    share = Math.floor(Math.max(0, total - explicit) / sharing);
  }
  return steps.map((s) => {
    if (s.budgetSeconds !== null) return s.budgetSeconds;
    return s.optional ? null : share;
  });
}

/** The current step's countdown, or null when it has no budget. */
export function stepCountdown(budgetSeconds: number | null, stepElapsedMs: number): StepCountdown | null {
  if (budgetSeconds === null) return null;
  const budgetMs = Math.max(0, budgetSeconds * 1000);
  const elapsed = Math.max(0, stepElapsedMs);
  const remainingMs = budgetMs - elapsed;
  let fraction: number;
  if (budgetMs > 0) fraction = elapsed / budgetMs;
  else fraction = elapsed > 0 ? Number.POSITIVE_INFINITY : 1;
  // Amber from 80 %: elapsed / budget >= 4 / 5, compared in integer-safe arithmetic
  // (elapsed * 5 >= budget * 4) rather than on the rounded `fraction`.
  let level: CountdownLevel = "ok";
  if (elapsed > budgetMs) level = "over";
  else if (elapsed * 5 >= budgetMs * 4) level = "warn";
  return { remainingMs, fraction, level };
}

/**
 * How far the talk is behind (positive) or ahead (negative) of its budgets.
 * Expected elapsed = the budgets of the steps before `current` + min(step elapsed, the
 * current step's budget). Steps without a budget count 0; a current step without one
 * counts its elapsed time as expected. Null when no step has a budget, or when `current`
 * is not a step index (-1 before any step, or out of range).
 */
export function pacing(
  budgets: readonly (number | null)[],
  current: number,
  talkElapsedMs: number,
  stepElapsedMs: number,
): PacingDelta | null {
  if (!Number.isInteger(current) || current < 0 || current >= budgets.length) return null;
  if (!budgets.some((b) => b !== null)) return null;
  const stepElapsed = Math.max(0, stepElapsedMs);
  let expectedMs = 0;
  for (let i = 0; i < current; i++) expectedMs += (budgets[i] ?? 0) * 1000;
  const own = budgets[current] ?? null;
  expectedMs += own === null ? stepElapsed : Math.min(stepElapsed, Math.max(0, own) * 1000);
  const deltaMs = Math.max(0, talkElapsedMs) - expectedMs;
  return { deltaMs, label: pacingLabel(deltaMs) };
}

/** "2:10 behind", "0:40 ahead", "on time" (|delta| < 5 s). */
export function pacingLabel(deltaMs: number): string {
  if (Math.abs(deltaMs) < ON_TIME_TOLERANCE_MS) return "on time";
  return `${formatClock(Math.abs(deltaMs))} ${deltaMs > 0 ? "behind" : "ahead"}`;
}

/**
 * Epoch ms at which the talk should end: now + what is left of the current step's budget
 * (not below 0) + the budgets of the steps after it (steps without a budget count 0).
 * With `current` -1 (no step yet) every step is still ahead. Null when no step has a
 * budget, or when `current` is past the last step.
 */
export function expectedFinish(
  budgets: readonly (number | null)[],
  current: number,
  stepElapsedMs: number,
  now: number,
): number | null {
  if (!budgets.some((b) => b !== null)) return null;
  if (!Number.isInteger(current) || current >= budgets.length) return null;
  let leftMs = 0;
  if (current >= 0) {
    const own = budgets[current] ?? null;
    if (own !== null) leftMs += Math.max(0, own * 1000 - Math.max(0, stepElapsedMs));
  }
  for (let i = Math.max(0, current + 1); i < budgets.length; i++) leftMs += (budgets[i] ?? 0) * 1000;
  return now + leftMs;
}

/**
 * "0:00", "4:05", "1:02:03"; negative "-0:12". Truncates toward zero to whole seconds
 * (4.9 s is "0:04", -0.5 s is "0:00"), as an elapsed-time display does.
 */
export function formatClock(ms: number): string {
  if (!Number.isFinite(ms)) return "--:--";
  const whole = Math.trunc(ms / 1000);
  const sign = whole < 0 ? "-" : "";
  const s = Math.abs(whole);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = pad2(s % 60);
  return h > 0 ? `${sign}${h}:${pad2(m)}:${sec}` : `${sign}${m}:${sec}`;
}

/**
 * "3:20 left" or "+0:45 over". Time left rounds up (it reads "0:01 left" until the budget
 * is reached, "0:00 left" exactly at it); the overrun counts up like elapsed time
 * ("+0:00 over" during its first second).
 */
export function formatCountdown(remainingMs: number): string {
  if (!Number.isFinite(remainingMs)) return "--:--";
  if (remainingMs >= 0) return `${formatClock(Math.ceil(remainingMs / 1000) * 1000)} left`;
  return `+${formatClock(-remainingMs)} over`;
}

/** "14:30", "09:05": local time, 24 h, zero-padded. */
export function formatWallClock(epochMs: number): string {
  const d = new Date(epochMs);
  if (Number.isNaN(d.getTime())) return "--:--";
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/**
 * Epoch ms of "HH:MM" (local wall clock) on the local day of `reference` (epoch ms).
 * Null when `endBy` is not a valid H:MM / HH:MM time (00:00–23:59).
 */
export function endByEpoch(endBy: string, reference: number): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(endBy.trim());
  if (m === null) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return null;
  const ref = new Date(reference);
  if (Number.isNaN(ref.getTime())) return null;
  return new Date(ref.getFullYear(), ref.getMonth(), ref.getDate(), h, min).getTime();
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}
