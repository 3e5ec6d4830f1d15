import { describe, expect, it } from "vitest";
import { rowLayout, tileBox, tileLayout } from "./tiles";

describe("tiles", () => {
  it("puts up to three terminals in one row of the presenter's pane", () => {
    expect(rowLayout(1)).toEqual({ columns: 1, rows: 1 });
    expect(rowLayout(3)).toEqual({ columns: 3, rows: 1 });
    expect(rowLayout(5)).toEqual({ columns: 3, rows: 2 });
    expect(tileBox(2, 3, rowLayout)).toEqual({ left: 2 / 3, top: 0, width: 1 / 3, height: 1 });
  });

  it("tiles the audience's terminals 2x2 for three or four", () => {
    expect(tileLayout(3)).toEqual({ columns: 2, rows: 2 });
    expect(tileBox(2, 3)).toEqual({ left: 0, top: 0.5, width: 0.5, height: 0.5 });
  });
});
