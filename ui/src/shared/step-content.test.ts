import { describe, expect, it } from "vitest";
import { blockText, inputLineText } from "./step-content";

describe("a code block's shown text", () => {
  it("is core's display text, never the hidden setup lines", () => {
    const block = { source: "#| cd /srv/demo\nls -la\n", display: "ls -la\n" };
    expect(blockText(block)).toBe("ls -la");
  });

  it("keeps inner newlines and is empty for a block of only hidden lines", () => {
    expect(blockText({ display: "a\n\nb\n" })).toBe("a\n\nb");
    expect(blockText({ display: "" })).toBe("");
  });
});

describe("an input line's text", () => {
  it("is what is typed, or the control key it sends", () => {
    expect(inputLineText({ text: "hello", control: null })).toBe("hello");
    expect(inputLineText({ text: "", control: "c" })).toBe("^C");
    expect(inputLineText({ text: "", control: "\\" })).toBe("^\\");
  });
});
