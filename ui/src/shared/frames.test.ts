import { describe, expect, it } from "vitest";
import { PerFrame } from "./frames";

/** A scheduler the test runs by hand: one call is one animation frame. */
function frames(): { schedule: (run: () => void) => void; tick: () => void; waiting: () => number } {
  let queue: (() => void)[] = [];
  return {
    schedule: (run) => queue.push(run),
    tick: () => {
      const due = queue;
      queue = [];
      for (const run of due) run();
    },
    waiting: () => queue.length,
  };
}

describe("PerFrame", () => {
  it("flushes everything pushed during a frame once, at the frame", () => {
    const f = frames();
    const flushed: number[][] = [];
    const batch = new PerFrame<number>((items) => flushed.push(items), f.schedule);
    batch.push(1);
    batch.push(2);
    batch.push(3);
    expect(f.waiting()).toBe(1);
    expect(flushed).toEqual([]);
    f.tick();
    expect(flushed).toEqual([[1, 2, 3]]);
    batch.push(4);
    f.tick();
    expect(flushed).toEqual([[1, 2, 3], [4]]);
  });

  it("flushes at once past its limit when no frame comes (a hidden window)", () => {
    const f = frames();
    const flushed: number[][] = [];
    const batch = new PerFrame<number>((items) => flushed.push(items), f.schedule, 3);
    for (let i = 0; i < 7; i++) batch.push(i);
    expect(flushed).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    f.tick();
    expect(flushed.at(-1)).toEqual([6]);
    f.tick();
    expect(flushed).toHaveLength(3);
  });
});
