import { describe, expect, it } from "vitest";
import type { BlockStatus, ChecklistItem, PreflightItem } from "../shared/model";
import { checkResult, checkingBlock } from "./preflight-logic";

const item = (over: Partial<PreflightItem>): PreflightItem => ({
  kind: "checklist", subject: "Log in to the cluster", status: "manual", detail: "tick by hand", line: 7, ...over,
});
const status = (over: Partial<BlockStatus>): BlockStatus => ({
  blockId: "b", state: "ok", exitCode: 0, durationMs: 5, message: null, ...over,
});

describe("a checklist item's command", () => {
  const checklist = [
    { line: 7, block: "log-in-1" },
    { line: 9, block: null },
  ] as unknown as ChecklistItem[];

  it("is the block under the item, found by the item's line", () => {
    expect(checkingBlock(item({}), checklist)).toBe("log-in-1");
    expect(checkingBlock(item({ line: 9 }), checklist)).toBeNull();
    expect(checkingBlock(item({ kind: "tool", line: 7 }), checklist)).toBeNull();
  });

  it("ticks the item when it ends well and says why when it fails", () => {
    expect(checkResult(status({}))).toEqual({ ticked: true });
    expect(checkResult(status({ state: "ready" }))).toEqual({ ticked: true });
    expect(checkResult(status({ state: "failed", exitCode: 1, message: "kubectl: not logged in" }))).toEqual({
      ticked: false,
      why: "kubectl: not logged in (exit 1)",
    });
    expect(checkResult(status({ state: "timedOut", exitCode: null }))).toEqual({ ticked: false, why: "timedOut" });
    expect(checkResult(status({ state: "running" }))).toBeNull();
    expect(checkResult(undefined)).toBeNull();
  });
});
