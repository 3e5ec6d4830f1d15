import { describe, expect, it } from "vitest";
import { homeOf, openedAgo, splitPath } from "./start-logic";

describe("openedAgo", () => {
  const now = 1_800_000_000;
  it("says how long ago, coarser with time", () => {
    expect(openedAgo(now - 5, now)).toBe("just now");
    expect(openedAgo(now - 300, now)).toBe("5 min ago");
    expect(openedAgo(now - 3 * 3600, now)).toBe("3 h ago");
    expect(openedAgo(now - 86400 - 10, now)).toBe("yesterday");
    expect(openedAgo(now - 4 * 86400, now)).toBe("4 days ago");
    expect(openedAgo(now - 90 * 86400, now)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(openedAgo(now + 100, now)).toBe("just now");
  });
});

describe("splitPath", () => {
  it("writes the home folder as ~ and splits folder and file", () => {
    expect(splitPath("/home/ann/talks/demo.md", "/home/ann")).toEqual({ folder: "~/talks/", file: "demo.md" });
    expect(splitPath("/home/annie/demo.md", "/home/ann")).toEqual({ folder: "/home/annie/", file: "demo.md" });
    expect(splitPath("/srv/demo.md", null)).toEqual({ folder: "/srv/", file: "demo.md" });
    expect(splitPath("demo.md", null)).toEqual({ folder: "", file: "demo.md" });
  });
  it("finds home from the config folder", () => {
    expect(homeOf("/home/ann/.config/cuedeck")).toBe("/home/ann");
    expect(homeOf("/root/.config/cuedeck")).toBe("/root");
    expect(homeOf("/tmp/cuedeck-e2e-config")).toBeNull();
    expect(homeOf(null)).toBeNull();
  });
});
