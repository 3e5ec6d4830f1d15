import { describe, expect, it } from "vitest";
import { gridFor, tileLayout } from "./layout";

describe("tileLayout", () => {
  it("tiles side by side, then in a grid", () => {
    expect(tileLayout(0)).toEqual({ columns: 1, rows: 1 });
    expect(tileLayout(1)).toEqual({ columns: 1, rows: 1 });
    expect(tileLayout(2)).toEqual({ columns: 2, rows: 1 });
    expect(tileLayout(3)).toEqual({ columns: 2, rows: 2 });
    expect(tileLayout(4)).toEqual({ columns: 2, rows: 2 });
    expect(tileLayout(7)).toEqual({ columns: 3, rows: 3 });
  });
});

describe("gridFor", () => {
  const cell = { width: 0.6, height: 1.2 };
  it("gives one terminal the chosen columns and the rows that fill the screen", () => {
    // 1280 - 14 px across 100 columns: 12.66 px a cell, a 21.1 px font, 25.3 px a row.
    expect(gridFor(1, 1280, 660, 100, cell)).toEqual({ cols: 100, rows: 25 });
  });
  it("shares the columns between tiles side by side, keeping the font", () => {
    const one = gridFor(1, 1280, 660, 100, cell);
    const two = gridFor(2, 1280, 660, 100, cell);
    expect(two?.cols).toBe(50);
    expect(two?.rows).toBeGreaterThanOrEqual((one?.rows ?? 0) - 1);
  });
  it("has no grid for an area with no room", () => {
    expect(gridFor(1, 10, 10, 100, cell)).toBeNull();
  });
});
