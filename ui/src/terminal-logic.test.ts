import { describe, expect, it } from "vitest";
import { block, step } from "./fixture.test-helpers";
import type { BlockStatus } from "./model";
import { badgeText, blockTerminals, isActive, nextToRun, zoomed } from "./terminal-logic";

const status = (blockId: string, state: BlockStatus["state"], exitCode: number | null = null): BlockStatus => ({
  blockId,
  state,
  exitCode,
  durationMs: 1234,
  message: null,
});

describe("terminal pane rules", () => {
  it("names a block's terminals, split ones in order", () => {
    const b = block("b", {
      commands: [
        { terminal: "Terminal 1", text: "a", comment: null, line: 1 },
        { terminal: "Terminal 2", text: "b", comment: null, line: 2 },
        { terminal: "Terminal 1", text: "c", comment: null, line: 3 },
      ],
    });
    expect(blockTerminals(b)).toEqual(["Terminal 1", "Terminal 2"]);
    expect(blockTerminals(block("i", { kind: "input", commands: [], terminal: "server" }))).toEqual(["server"]);
  });

  it("shows exit codes and durations on badges", () => {
    expect(badgeText(status("b", "failed", 2))).toBe("✗ exit 2 1.2s");
    expect(badgeText(status("b", "ok", 0))).toBe("✓ ok 1.2s");
    expect(badgeText(status("b", "waiting"))).toBe("… waiting for ready");
    expect(isActive("running")).toBe(true);
    expect(isActive("ready")).toBe(false);
  });

  it("Enter runs the next block not yet done", () => {
    const s = step("s", {
      blocks: [block("a"), block("shown", { kind: "shown" }), block("b"), block("c")],
    });
    const done = new Map([
      ["a", status("a", "ok", 0)],
      ["b", status("b", "running")],
    ]);
    expect(nextToRun(s, new Map())?.id).toBe("a");
    expect(nextToRun(s, done)?.id).toBe("c");
    done.set("b", status("b", "failed", 1));
    expect(nextToRun(s, done)?.id).toBe("b");
    done.set("b", status("b", "ok", 0)).set("c", status("c", "ready"));
    expect(nextToRun(s, done)).toBeNull();
  });

  it("zooms within bounds", () => {
    expect(zoomed(14, "=", 14)).toBe(16);
    expect(zoomed(8, "-", 14)).toBe(8);
    expect(zoomed(20, "0", 14)).toBe(14);
    expect(zoomed(14, "x", 14)).toBeNull();
  });
});
