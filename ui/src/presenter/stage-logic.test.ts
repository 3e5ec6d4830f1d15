import { describe, expect, it } from "vitest";
import { block, step } from "../shared/fixture.test-helpers";
import type { BlockState, BlockStatus } from "../shared/model";
import { advanceAction, nextPreview } from "./stage-logic";

const status = (blockId: string, state: BlockState): [string, BlockStatus] => [
  blockId,
  { blockId, state, exitCode: null, durationMs: 0, message: null },
];

describe("advanceAction", () => {
  const s = step("s", {
    blocks: [block("shown", { kind: "shown" }), block("a"), block("b", { kind: "input" })],
  });

  it("runs the blocks in order, then moves on", () => {
    expect(advanceAction(s, new Map(), false)).toMatchObject({ kind: "run", block: { id: "a" } });
    expect(advanceAction(s, new Map([status("a", "ok")]), false)).toMatchObject({ kind: "run", block: { id: "b" } });
    expect(advanceAction(s, new Map([status("a", "ok"), status("b", "ok")]), false)).toEqual({ kind: "next" });
    expect(advanceAction(s, new Map([status("a", "ok"), status("b", "ok")]), true)).toEqual({ kind: "end" });
  });

  it("waits while a block still runs, not once it is ready or has failed", () => {
    expect(advanceAction(s, new Map([status("a", "running")]), false)).toMatchObject({ kind: "wait" });
    expect(advanceAction(s, new Map([status("a", "gated")]), false)).toMatchObject({ kind: "wait" });
    expect(advanceAction(s, new Map([status("a", "ready")]), false)).toMatchObject({ kind: "run", block: { id: "b" } });
    expect(advanceAction(s, new Map([status("a", "failed"), status("b", "played")]), false)).toEqual({ kind: "next" });
  });

  it("moves on from a step with nothing to run", () => {
    expect(advanceAction(step("t"), new Map(), false)).toEqual({ kind: "next" });
    expect(advanceAction(null, new Map(), false)).toEqual({ kind: "next" });
  });
});

describe("nextPreview", () => {
  it("shows the title, budget and the first runnable block's first lines", () => {
    const next = step("n", {
      title: "Break it",
      blocks: [block("x", { kind: "shown", source: "shown\n" }), block("y", { source: "one\ntwo\nthree\nfour\n" })],
    });
    expect(nextPreview(next, 90)).toEqual({ title: "Break it", budgetSeconds: 90, firstBlock: "one\ntwo\nthree\n…" });
    expect(nextPreview(step("e"), null)).toEqual({ title: "e", budgetSeconds: null, firstBlock: null });
    expect(nextPreview(undefined, null)).toBeNull();
  });
});
