import { describe, expect, it } from "vitest";
import {
  allocateBudgets,
  endByEpoch,
  expectedFinish,
  formatClock,
  formatCountdown,
  formatWallClock,
  pacing,
  pacingLabel,
  planTotalSeconds,
  stepCountdown,
  type PacingStep,
  type TalkPlan,
} from "./pacing";

// Local wall-clock instants, built with the local Date constructor so the tests pass in any
// timezone. June 10th is far from any DST switch.
const at = (h: number, m: number, s = 0, ms = 0): number => new Date(2025, 5, 10, h, m, s, ms).getTime();

const step = (id: string, budgetSeconds: number | null, optional = false): PacingStep => ({ id, budgetSeconds, optional });

const plan = (p: Partial<TalkPlan> = {}): TalkPlan => ({
  endBy: null,
  durationSeconds: null,
  startedAt: null,
  now: at(14, 0),
  ...p,
});

describe("allocateBudgets", () => {
  it("keeps the budgets from the headings", () => {
    expect(allocateBudgets([step("a", 300), step("b", 60), step("c", 0)], plan())).toEqual([300, 60, 0]);
  });

  it("leaves steps without a budget null when there is no total", () => {
    expect(allocateBudgets([step("a", 300), step("b", null)], plan())).toEqual([300, null]);
    expect(planTotalSeconds(plan())).toBeNull();
  });

  it("has nothing to allocate for no steps", () => {
    expect(allocateBudgets([], plan({ durationSeconds: 600 }))).toEqual([]);
  });

  it("shares what is left before the finish-by time among the unbudgeted steps", () => {
    // Started 14:00, end by 14:30: 1800 s, 900 s explicit, 900 s left for two steps.
    const steps = [step("a", 300), step("b", null), step("c", null), step("d", 600)];
    const p = plan({ endBy: "14:30", startedAt: at(14, 0), now: at(14, 20) });
    expect(planTotalSeconds(p)).toBe(1800);
    expect(allocateBudgets(steps, p)).toEqual([300, 450, 450, 600]);
  });

  it("counts the finish-by time from the start, not from now, once started", () => {
    const steps = [step("a", null)];
    expect(allocateBudgets(steps, plan({ endBy: "14:30", startedAt: at(14, 0), now: at(14, 25) }))).toEqual([1800]);
  });

  it("counts the finish-by time from now before the talk starts", () => {
    const steps = [step("a", null), step("b", null)];
    expect(allocateBudgets(steps, plan({ endBy: "14:30", now: at(14, 10) }))).toEqual([600, 600]);
  });

  it("rounds shares down to whole seconds", () => {
    // 14:00:00.500 to 14:30: 1799.5 s, over three steps 599.83 s each.
    const steps = [step("a", null), step("b", null), step("c", null)];
    expect(allocateBudgets(steps, plan({ endBy: "14:30", startedAt: at(14, 0, 0, 500) }))).toEqual([599, 599, 599]);
    expect(allocateBudgets(steps, plan({ durationSeconds: 100 }))).toEqual([33, 33, 33]);
  });

  it("shares a duration", () => {
    const steps = [step("a", 120), step("b", null), step("c", null)];
    expect(planTotalSeconds(plan({ durationSeconds: 1200 }))).toBe(1200);
    expect(allocateBudgets(steps, plan({ durationSeconds: 1200 }))).toEqual([120, 540, 540]);
  });

  it("lets the finish-by time win when both are given", () => {
    const steps = [step("a", null), step("b", null)];
    const p = plan({ endBy: "14:10", durationSeconds: 3600, startedAt: at(14, 0) });
    expect(planTotalSeconds(p)).toBe(600);
    expect(allocateBudgets(steps, p)).toEqual([300, 300]);
  });

  it("falls back to the duration when the finish-by time does not parse", () => {
    const p = plan({ endBy: "half past two", durationSeconds: 600 });
    expect(planTotalSeconds(p)).toBe(600);
    expect(allocateBudgets([step("a", null)], p)).toEqual([600]);
  });

  it("gives optional steps without a budget no share, and keeps optional budgets", () => {
    const steps = [step("a", null), step("extra", null, true), step("demo", 120, true), step("b", null)];
    // 1200 s - 120 s explicit = 1080 s for the two non-optional unbudgeted steps.
    expect(allocateBudgets(steps, plan({ durationSeconds: 1200 }))).toEqual([540, null, 120, 540]);
  });

  it("gives 0 each when the explicit budgets exceed the total", () => {
    const steps = [step("a", 600), step("b", null), step("c", null), step("d", 600)];
    expect(allocateBudgets(steps, plan({ durationSeconds: 900 }))).toEqual([600, 0, 0, 600]);
  });

  it("gives 0 each when the explicit budgets use exactly the total", () => {
    expect(allocateBudgets([step("a", 600), step("b", null)], plan({ durationSeconds: 600 }))).toEqual([600, 0]);
  });

  it("treats a finish-by time already past as nothing left, never the next day", () => {
    const steps = [step("a", null), step("b", 60)];
    // Started 23:50, end by 00:30: that is 00:30 of the same day, already past.
    const late = plan({ endBy: "00:30", startedAt: at(23, 50), now: at(23, 55) });
    expect(planTotalSeconds(late)).toBe(0);
    expect(allocateBudgets(steps, late)).toEqual([0, 60]);
    // Not started, finish-by earlier than now.
    expect(allocateBudgets(steps, plan({ endBy: "13:00", now: at(14, 0) }))).toEqual([0, 60]);
  });

  it("treats a negative duration as nothing left", () => {
    expect(planTotalSeconds(plan({ durationSeconds: -60 }))).toBe(0);
    expect(allocateBudgets([step("a", null)], plan({ durationSeconds: -60 }))).toEqual([0]);
  });
});

describe("stepCountdown", () => {
  it("is null without a budget", () => {
    expect(stepCountdown(null, 0)).toBeNull();
    expect(stepCountdown(null, 123_456)).toBeNull();
  });

  it("starts full and ok", () => {
    expect(stepCountdown(100, 0)).toEqual({ remainingMs: 100_000, fraction: 0, level: "ok" });
  });

  it("turns warn at exactly 80 %", () => {
    expect(stepCountdown(100, 79_999)?.level).toBe("ok");
    expect(stepCountdown(100, 80_000)).toEqual({ remainingMs: 20_000, fraction: 0.8, level: "warn" });
  });

  it("hits exactly 80 % of an odd budget", () => {
    expect(stepCountdown(7, 5_600)?.level).toBe("warn");
    expect(stepCountdown(7, 5_599)?.level).toBe("ok");
  });

  it("is still warn at exactly 100 %, and over just past it", () => {
    expect(stepCountdown(100, 100_000)).toEqual({ remainingMs: 0, fraction: 1, level: "warn" });
    expect(stepCountdown(100, 100_001)).toEqual({ remainingMs: -1, fraction: 1.00001, level: "over" });
  });

  it("goes negative past the budget", () => {
    expect(stepCountdown(60, 105_000)).toEqual({ remainingMs: -45_000, fraction: 1.75, level: "over" });
  });

  it("handles a zero budget (nothing left to share)", () => {
    expect(stepCountdown(0, 0)).toEqual({ remainingMs: 0, fraction: 1, level: "warn" });
    expect(stepCountdown(0, 1)).toEqual({ remainingMs: -1, fraction: Number.POSITIVE_INFINITY, level: "over" });
  });

  it("treats a negative elapsed time (clock skew) as 0", () => {
    expect(stepCountdown(60, -500)).toEqual({ remainingMs: 60_000, fraction: 0, level: "ok" });
  });
});

describe("pacing", () => {
  const budgets = [60, 120, 180];

  it("is on time when the talk matches the budgets", () => {
    // In step 2 for 30 s: expected 60 + 30 = 90 s.
    expect(pacing(budgets, 1, 90_000, 30_000)).toEqual({ deltaMs: 0, label: "on time" });
  });

  it("is behind when earlier steps overran", () => {
    // In step 3 for 10 s: expected 60 + 120 + 10 = 190 s; 320 s elapsed.
    expect(pacing(budgets, 2, 320_000, 10_000)).toEqual({ deltaMs: 130_000, label: "2:10 behind" });
  });

  it("is ahead when earlier steps finished early", () => {
    expect(pacing(budgets, 2, 150_000, 10_000)).toEqual({ deltaMs: -40_000, label: "0:40 ahead" });
  });

  it("says on time below 5 s either way, and counts from 5 s", () => {
    expect(pacing(budgets, 1, 94_999, 30_000)?.label).toBe("on time");
    expect(pacing(budgets, 1, 85_001, 30_000)?.label).toBe("on time");
    expect(pacing(budgets, 1, 95_000, 30_000)).toEqual({ deltaMs: 5_000, label: "0:05 behind" });
    expect(pacing(budgets, 1, 85_000, 30_000)).toEqual({ deltaMs: -5_000, label: "0:05 ahead" });
  });

  it("counts an unbudgeted current step's elapsed time as expected", () => {
    // Step 2 has no budget: 500 s in it cost nothing against the plan.
    expect(pacing([60, null, 60], 1, 560_000, 500_000)).toEqual({ deltaMs: 0, label: "on time" });
    expect(pacing([60, null, 60], 1, 620_000, 500_000)).toEqual({ deltaMs: 60_000, label: "1:00 behind" });
  });

  it("counts unbudgeted earlier steps as 0", () => {
    expect(pacing([null, 60], 1, 45_000, 0)).toEqual({ deltaMs: 45_000, label: "0:45 behind" });
  });

  it("falls behind while the current step overruns its budget", () => {
    // In step 2 for 200 s of its 120 s: expected stops at 60 + 120 = 180 s.
    expect(pacing(budgets, 1, 260_000, 200_000)).toEqual({ deltaMs: 80_000, label: "1:20 behind" });
    // Inside the budget, the current step alone never makes the talk late.
    expect(pacing(budgets, 1, 180_000, 120_000)).toEqual({ deltaMs: 0, label: "on time" });
  });

  it("is null when no step has a budget", () => {
    expect(pacing([null, null], 0, 10_000, 10_000)).toBeNull();
    expect(pacing([], 0, 0, 0)).toBeNull();
  });

  it("is null without a current step", () => {
    expect(pacing(budgets, -1, 0, 0)).toBeNull();
    expect(pacing(budgets, 3, 0, 0)).toBeNull();
  });

  it("works on allocated budgets", () => {
    const allocated = allocateBudgets([step("a", 300), step("b", null), step("c", null)], plan({ durationSeconds: 900 }));
    expect(allocated).toEqual([300, 300, 300]);
    expect(pacing(allocated, 1, 430_000, 100_000)).toEqual({ deltaMs: 30_000, label: "0:30 behind" });
  });

  it("labels from the absolute delta, truncated to seconds", () => {
    expect(pacingLabel(130_999)).toBe("2:10 behind");
    expect(pacingLabel(-3_725_000)).toBe("1:02:05 ahead");
    expect(pacingLabel(0)).toBe("on time");
  });
});

describe("expectedFinish", () => {
  const now = at(14, 0);
  const budgets = [60, 120, 180];

  it("adds what is left of the current step and the steps after it", () => {
    expect(expectedFinish(budgets, 1, 30_000, now)).toBe(now + 90_000 + 180_000);
    expect(formatWallClock(expectedFinish(budgets, 1, 30_000, now) ?? 0)).toBe("14:04");
  });

  it("does not count an overrun current step below 0", () => {
    expect(expectedFinish(budgets, 1, 200_000, now)).toBe(now + 180_000);
  });

  it("is now plus nothing at the end of the last step's budget", () => {
    expect(expectedFinish(budgets, 2, 180_000, now)).toBe(now);
    expect(expectedFinish(budgets, 2, 500_000, now)).toBe(now);
  });

  it("counts steps without a budget as 0, current or after", () => {
    expect(expectedFinish([60, null, 120, null], 1, 10_000, now)).toBe(now + 120_000);
  });

  it("counts every step before the first one starts", () => {
    expect(expectedFinish(budgets, -1, 0, now)).toBe(now + 360_000);
  });

  it("is null when no step has a budget, or past the last step", () => {
    expect(expectedFinish([null, null], 0, 0, now)).toBeNull();
    expect(expectedFinish([], -1, 0, now)).toBeNull();
    expect(expectedFinish(budgets, 3, 0, now)).toBeNull();
  });
});

describe("formatClock", () => {
  it("formats zero", () => expect(formatClock(0)).toBe("0:00"));

  it("truncates toward zero to whole seconds", () => {
    expect(formatClock(4_900)).toBe("0:04");
    expect(formatClock(59_999)).toBe("0:59");
    expect(formatClock(60_000)).toBe("1:00");
    expect(formatClock(245_000)).toBe("4:05");
  });

  it("formats hours", () => {
    expect(formatClock(3_599_999)).toBe("59:59");
    expect(formatClock(3_600_000)).toBe("1:00:00");
    expect(formatClock(3_723_000)).toBe("1:02:03");
    expect(formatClock(36_000_000)).toBe("10:00:00");
  });

  it("formats negatives", () => {
    expect(formatClock(-12_000)).toBe("-0:12");
    expect(formatClock(-12_900)).toBe("-0:12");
    expect(formatClock(-3_723_000)).toBe("-1:02:03");
    expect(formatClock(-500)).toBe("0:00");
  });

  it("shows dashes for a non-number", () => {
    expect(formatClock(Number.NaN)).toBe("--:--");
    expect(formatClock(Number.POSITIVE_INFINITY)).toBe("--:--");
  });
});

describe("formatCountdown", () => {
  it("shows time left, rounded up", () => {
    expect(formatCountdown(200_000)).toBe("3:20 left");
    expect(formatCountdown(199_001)).toBe("3:20 left");
    expect(formatCountdown(59_999)).toBe("1:00 left");
    expect(formatCountdown(1)).toBe("0:01 left");
    expect(formatCountdown(3_600_000)).toBe("1:00:00 left");
  });

  it("shows 0:00 left exactly at the budget", () => expect(formatCountdown(0)).toBe("0:00 left"));

  it("counts the overrun up like elapsed time", () => {
    expect(formatCountdown(-1)).toBe("+0:00 over");
    expect(formatCountdown(-45_000)).toBe("+0:45 over");
    expect(formatCountdown(-45_999)).toBe("+0:45 over");
    expect(formatCountdown(-59_999)).toBe("+0:59 over");
    expect(formatCountdown(-3_600_000)).toBe("+1:00:00 over");
  });

  it("shows dashes for a non-number", () => expect(formatCountdown(Number.NaN)).toBe("--:--"));
});

describe("formatWallClock", () => {
  it("formats local time, 24 h, zero-padded", () => {
    expect(formatWallClock(at(14, 30))).toBe("14:30");
    expect(formatWallClock(at(9, 5))).toBe("09:05");
    expect(formatWallClock(at(0, 0))).toBe("00:00");
    expect(formatWallClock(at(23, 59, 59, 999))).toBe("23:59");
  });

  it("shows dashes for an invalid time", () => expect(formatWallClock(Number.NaN)).toBe("--:--"));
});

describe("endByEpoch", () => {
  const reference = at(9, 17, 42, 123);

  it("is HH:MM on the reference's local day", () => {
    expect(endByEpoch("14:30", reference)).toBe(at(14, 30));
    expect(endByEpoch("9:05", reference)).toBe(at(9, 5));
    expect(endByEpoch(" 14:30 ", reference)).toBe(at(14, 30));
    expect(endByEpoch("00:00", reference)).toBe(at(0, 0));
    expect(endByEpoch("23:59", reference)).toBe(at(23, 59));
  });

  it("stays on the same day when the time is earlier than the reference", () => {
    expect(endByEpoch("08:00", reference)).toBe(at(8, 0));
  });

  it("round-trips through formatWallClock", () => {
    expect(formatWallClock(endByEpoch("07:45", reference) ?? Number.NaN)).toBe("07:45");
  });

  it("is null for a time that does not parse", () => {
    for (const bad of ["", "14", "14:3", "14:300", "24:00", "14:60", "2pm", "14:30:00", "-1:00", "1 4:30"]) {
      expect(endByEpoch(bad, reference), bad).toBeNull();
    }
    expect(endByEpoch("14:30", Number.NaN)).toBeNull();
  });
});
