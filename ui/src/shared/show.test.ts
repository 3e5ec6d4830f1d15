import { describe, expect, it } from "vitest";
import type { ShowTimer } from "./model";
import { CLOCK_REDRAW_AFTER_MS, clockInstant, stepElapsedMs, talkElapsedMs, timerRunning, untilClockRedraw } from "./show";

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

describe("when the clocks change", () => {
  it("a running clock shows the last whole second, so every window changes together", () => {
    const running = timer({ startedAt: 1_250 });
    expect(clockInstant(running, 7_999)).toBe(7_000);
    expect(clockInstant(running, 8_000)).toBe(8_000);
    expect(talkElapsedMs(running, clockInstant(running, 7_999))).toBe(5_750);
  });

  it("a stopped or paused clock shows now, where it stopped", () => {
    expect(clockInstant(timer(), 7_999)).toBe(7_999);
    expect(clockInstant(timer({ startedAt: 1_000, pausedAt: 3_500 }), 7_999)).toBe(7_999);
    expect(clockInstant(undefined, 7_999)).toBe(7_999);
  });

  it("the clock started within a second shows zero until the next", () => {
    const running = timer({ startedAt: 7_400 });
    expect(talkElapsedMs(running, clockInstant(running, 7_900))).toBe(0);
  });

  it("is redrawn just after the next whole second", () => {
    expect(untilClockRedraw(7_250)).toBe(750 + CLOCK_REDRAW_AFTER_MS);
    expect(untilClockRedraw(8_000)).toBe(1_000 + CLOCK_REDRAW_AFTER_MS);
  });
});
