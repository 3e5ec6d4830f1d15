// How the audience window sizes a step's tiled terminals (the tiling itself is
// shared with the presenter's pane: shared/tiles.ts).

import type { TerminalGrid } from "../shared/model";
import { tileLayout } from "../shared/tiles";

export { tileLayout };

/** The gap between tiles and each tile's padding and border, as audience.css draws them. */
export const TILE_GAP_PX = 10;
export const TILE_INSET_PX = 14;

/**
 * The grid every terminal gets for a step with `count` terminals in an area of
 * `width` x `height` pixels: the chosen `columns` span the whole width (tiles side by
 * side share them, so the font is as large as one terminal's) and the rows fill a
 * tile at that font. `cell` is a cell's size per pixel of font size. Known as soon as
 * the step is shown, before any of its terminals runs: output printed later is never
 * reflowed by a resize.
 */
export function gridFor(
  count: number,
  width: number,
  height: number,
  columns: number,
  cell: { width: number; height: number },
): TerminalGrid | null {
  const layout = tileLayout(count);
  const tileWidth = (width - TILE_GAP_PX * (layout.columns - 1)) / layout.columns - TILE_INSET_PX;
  const tileHeight = (height - TILE_GAP_PX * (layout.rows - 1)) / layout.rows - TILE_INSET_PX;
  if (tileWidth <= 0 || tileHeight <= 0) return null;
  const cols = Math.max(20, Math.floor(columns / layout.columns));
  const fontSize = tileWidth / (cols * cell.width);
  return { cols, rows: Math.max(4, Math.min(200, Math.floor(tileHeight / (fontSize * cell.height)))) };
}
