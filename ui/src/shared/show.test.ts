import { describe, expect, it } from "vitest";
import type { ShowTimer } from "./model";
import { stepElapsedMs, talkElapsedMs, timerRunning } from "./show";

const timer = (over: Partial<ShowTimer> = {}): ShowTimer => ({
  startedAt: null,
  pausedAt: null,
  pausedMs: 0,
  stepSpentMs: {},
  stepSince: null,
  ...over,
});

// The same arithmetic as core's `Timer` (core/src/show/timer.rs), run between publishes.
describe("the talk clock between publishes", () => {
  it("is zero before the start", () => {
    expect(talkElapsedMs(timer(), 5_000)).toBe(0);
    expect(timerRunning(timer())).toBe(false);
  });

  it("counts from the start, pauses excluded, frozen while paused", () => {
    const running = timer({ startedAt: 1_000, pausedMs: 500 });
    expect(talkElapsedMs(running, 4_000)).toBe(2_500);
    expect(timerRunning(running)).toBe(true);
    const paused = timer({ startedAt: 1_000, pausedMs: 500, pausedAt: 3_000 });
    expect(talkElapsedMs(paused, 9_000)).toBe(1_500);
    expect(timerRunning(paused)).toBe(false);
  });

  it("never goes negative when this window's clock is behind", () => {
    expect(talkElapsedMs(timer({ startedAt: 5_000 }), 4_000)).toBe(0);
  });

  it("adds the running segment to the current step only", () => {
    const t = timer({ startedAt: 0, stepSpentMs: { a: 2_000, b: 700 }, stepSince: 10_000 });
    expect(stepElapsedMs(t, "a", "a", 11_000)).toBe(3_000);
    expect(stepElapsedMs(t, "b", "a", 11_000)).toBe(700);
    expect(stepElapsedMs(t, "c", "c", 11_000)).toBe(1_000);
    expect(stepElapsedMs(timer({ stepSpentMs: { a: 2_000 } }), "a", "a", 11_000)).toBe(2_000);
  });
});
