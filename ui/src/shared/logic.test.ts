import { describe, expect, it } from "vitest";
import { block, runbook, step } from "./fixture.test-helpers";
import { countBlocks, sectionLabels, errorDiagnostics, formatBudget, groupNotes, location, navigate, splitMarkdown } from "./logic";

describe("formatBudget", () => {
  it("formats minutes and seconds", () => {
    expect(formatBudget(300)).toBe("5:00");
    expect(formatBudget(30)).toBe("0:30");
    expect(formatBudget(90)).toBe("1:30");
  });
  it("formats hours", () => expect(formatBudget(3900)).toBe("1:05:00"));
  it("never goes negative", () => expect(formatBudget(-5)).toBe("0:00"));
});

describe("navigate", () => {
  it("moves one step with the arrows, clamped", () => {
    expect(navigate("ArrowDown", 0, 3)).toBe(1);
    expect(navigate("ArrowDown", 2, 3)).toBe(2);
    expect(navigate("ArrowUp", 1, 3)).toBe(0);
    expect(navigate("ArrowUp", 0, 3)).toBe(0);
  });
  it("jumps with Home and End", () => {
    expect(navigate("Home", 2, 3)).toBe(0);
    expect(navigate("End", 0, 3)).toBe(2);
  });
  it("has nowhere to go in an empty runbook", () => expect(navigate("ArrowDown", -1, 0)).toBe(-1));
  it("recovers from an out-of-range current step", () => expect(navigate("ArrowDown", 9, 3)).toBe(2));
});

describe("step summaries", () => {
  it("counts blocks by kind", () => {
    const s = step("s", { blocks: [block("a"), block("b", { kind: "shown" }), block("c")] });
    expect(countBlocks(s, "run")).toBe(2);
    expect(countBlocks(s, "shown")).toBe(1);
  });
  it("groups notes by kind and label in order", () => {
    const groups = groupNotes([
      { kind: "talkingPoint", label: "Talking Points", text: "one", line: 1 },
      { kind: "tip", label: "", text: "tip", line: 2 },
      { kind: "talkingPoint", label: "Talking Points", text: "two", line: 3 },
    ]);
    expect(groups.map((g) => [g.label, g.notes.length])).toEqual([["Talking Points", 2], ["Tip", 1]]);
  });
  it("keeps only error diagnostics and points at file:line", () => {
    const rb = runbook([], {
      diagnostics: [
        { severity: "warning", line: 2, message: "w" },
        { severity: "error", line: 7, message: "unclosed fence" },
      ],
    });
    expect(errorDiagnostics(rb)).toEqual([{ severity: "error", line: 7, message: "unclosed fence" }]);
    expect(location(rb.path, 7)).toBe("basic.md:7");
    expect(location(null, 7)).toBe("line 7");
  });
});

describe("splitMarkdown", () => {
  it("puts each block in place of its fence", () => {
    const md = "Start the server:\n\n```bash\nmake run\n```\n\nThen check:\n\n~~~sh\ncurl x\n~~~\nDone.";
    const segs = splitMarkdown(md, [block("a", { source: "make run\n" }), block("b", { source: "curl x\n" })]);
    expect(segs.map((s) => (s.kind === "text" ? s.text : `[${s.block.id}]`))).toEqual([
      "Start the server:",
      "[a]",
      "Then check:",
      "[b]",
      "Done.",
    ]);
  });
  it("appends blocks it cannot find", () => {
    const segs = splitMarkdown("Just text.", [block("a")]);
    expect(segs.map((s) => s.kind)).toEqual(["text", "block"]);
  });
});

describe("sectionLabels", () => {
  it("drops the breadcrumbs every step shares", () => {
    const steps = [
      step("a", { breadcrumbs: ["Talk"] }),
      step("b", { breadcrumbs: ["Talk", "Part 1"] }),
      step("c", { breadcrumbs: ["Talk", "Part 1", "Deep"] }),
    ];
    expect(sectionLabels(steps)).toEqual([undefined, "Part 1", "Part 1 › Deep"]);
  });
  it("keeps sections when there is no document title", () => {
    const steps = [step("a", { breadcrumbs: ["Setup"] }), step("b", { breadcrumbs: ["Demo"] })];
    expect(sectionLabels(steps)).toEqual(["Setup", "Demo"]);
  });
});
