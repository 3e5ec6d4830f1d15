import { describe, expect, it } from "vitest";
import type { TrustSheet } from "../shared/model";
import { kindText, orderedItems, sheetSummary } from "./trust-logic";

const sheet = (over: Partial<TrustSheet> = {}): TrustSheet => ({
  path: "/talks/demo.md",
  digest: "d",
  runnableBlocks: 3,
  items: [],
  blocked: [],
  ...over,
});

describe("the trust sheet", () => {
  it("says what trusting covers, and when nothing may be trusted", () => {
    expect(sheetSummary(sheet())).toBe("It runs 3 runnable blocks, each shown before it runs, and nothing beyond them.");
    expect(sheetSummary(sheet({ runnableBlocks: 1, items: [{ kind: "env", line: 3, subject: "API", detail: "= x", warn: false }] }))).toBe(
      "It runs 1 runnable block, each shown before it runs, and beyond them:",
    );
    expect(sheetSummary(sheet({ blocked: [{ line: 4, subject: "env `PROMPT_COMMAND`", reason: "the shell runs it" }] }))).toContain(
      "will not run it",
    );
  });

  it("lists items by line, the far-reaching first on a line", () => {
    const items = orderedItems([
      { kind: "hidden", line: 20, subject: "b", detail: "", warn: false },
      { kind: "cwd", line: 2, subject: "x", detail: "", warn: false },
      { kind: "probe", line: 2, subject: "y", detail: "", warn: true },
    ]);
    expect(items.map((i) => i.subject)).toEqual(["y", "x", "b"]);
    expect(kindText("probe")).toBe("Network");
  });
});
