import { describe, expect, it } from "vitest";
import { tileLayout } from "./layout";

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
