import { describe, expect, it } from "vitest";
import { clickerAction } from "./clicker";

const key = (k: string, mods: Partial<{ ctrlKey: boolean; altKey: boolean; metaKey: boolean; shiftKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  altKey: false,
  metaKey: false,
  shiftKey: false,
  ...mods,
});

describe("clickerAction", () => {
  it("maps every remote's buttons", () => {
    expect(clickerAction(key("PageDown"))).toBe("advance");
    expect(clickerAction(key("ArrowRight"))).toBe("advance");
    expect(clickerAction(key("PageUp"))).toBe("back");
    expect(clickerAction(key("ArrowLeft"))).toBe("back");
    expect(clickerAction(key("F5"))).toBe("start");
    expect(clickerAction(key("Escape"))).toBe("leaveFullscreen");
    expect(clickerAction(key("."))).toBe("blank");
    expect(clickerAction(key("b"))).toBe("blank");
    expect(clickerAction(key("B", { shiftKey: true }))).toBe("blank");
  });

  it("leaves other keys and chords alone", () => {
    expect(clickerAction(key("ArrowDown"))).toBeNull();
    expect(clickerAction(key("a"))).toBeNull();
    expect(clickerAction(key(".", { ctrlKey: true }))).toBeNull();
    expect(clickerAction(key("PageDown", { altKey: true }))).toBeNull();
  });
});
