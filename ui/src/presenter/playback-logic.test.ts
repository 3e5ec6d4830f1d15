import { describe, expect, it } from "vitest";
import { block, step } from "../shared/fixture.test-helpers";
import type { BlockStatus, StepRecordingInfo } from "../shared/model";
import {
  effectiveMode,
  fallbackOffered,
  idleCapLabel,
  recordingMark,
  rehearsalTime,
  toggledOverride,
  type Mode,
} from "./playback-logic";

const info = (over: Partial<StepRecordingInfo> = {}): StepRecordingInfo => ({
  stepId: "s",
  rehearsal: "20261123-043050",
  stale: false,
  status: "ok",
  durationMs: 1500,
  terminals: ["main"],
  snapshots: [],
  ...over,
});

const status = (blockId: string, state: BlockStatus["state"]): BlockStatus => ({
  blockId,
  state,
  exitCode: null,
  durationMs: 0,
  message: null,
});

describe("modes", () => {
  it("a step's override wins over the show's mode, and flipping back removes it", () => {
    let overrides = new Map<string, Mode>();
    expect(effectiveMode("live", overrides, "a")).toBe("live");
    overrides = toggledOverride("live", overrides, "a");
    expect(effectiveMode("live", overrides, "a")).toBe("playback");
    expect(effectiveMode("live", overrides, "b")).toBe("live");
    overrides = toggledOverride("live", overrides, "a");
    expect(overrides.size).toBe(0);
  });
});

describe("fallback", () => {
  const withBlock = step("s", { blocks: [block("b1")] });
  const recs = new Map([["s", info()]]);

  it("is offered when a block failed, timed out or waits at its gate, and a recording exists", () => {
    for (const state of ["failed", "timedOut", "gated"] as const) {
      expect(fallbackOffered(withBlock, new Map([["b1", status("b1", state)]]), recs)).toBe(true);
    }
  });

  it("is not offered when all is well or nothing was recorded", () => {
    expect(fallbackOffered(withBlock, new Map([["b1", status("b1", "ok")]]), recs)).toBe(false);
    expect(fallbackOffered(withBlock, new Map([["b1", status("b1", "failed")]]), new Map())).toBe(false);
  });
});

describe("labels", () => {
  it("marks stale recordings and dates rehearsals", () => {
    expect(recordingMark(undefined)).toBeNull();
    expect(recordingMark(info())?.stale).toBe(false);
    expect(recordingMark(info({ stale: true }))?.text).toContain("stale");
    expect(rehearsalTime("20261123-043050-2")).toBe("2026-11-23 04:30:50 UTC");
    expect(idleCapLabel(null)).toBe("idle kept");
    expect(idleCapLabel(500)).toBe("idle ≤ 0.5 s");
  });
});
