// How terminals shown together are tiled, in the audience window and in the
// presenter's pane alike: side by side for two, a 2x2 grid for three or four,
// three across beyond.

export function tileLayout(count: number): { columns: number; rows: number } {
  if (count <= 1) return { columns: 1, rows: 1 };
  if (count === 2) return { columns: 2, rows: 1 };
  if (count <= 4) return { columns: 2, rows: 2 };
  return { columns: 3, rows: Math.ceil(count / 3) };
}

/**
 * The presenter's terminal pane is wide and short: up to three terminals in one row
 * (three nodes side by side), then rows of three.
 */
export function rowLayout(count: number): { columns: number; rows: number } {
  const columns = Math.max(1, Math.min(count, 3));
  return { columns, rows: Math.max(1, Math.ceil(count / 3)) };
}

/** Where tile `index` of `count` sits in `layout`, as fractions of the area (0..1). */
export function tileBox(
  index: number,
  count: number,
  layout: (count: number) => { columns: number; rows: number } = tileLayout,
): { left: number; top: number; width: number; height: number } {
  const { columns, rows } = layout(count);
  const column = index % columns;
  const row = Math.floor(index / columns);
  return { left: column / columns, top: row / rows, width: 1 / columns, height: 1 / rows };
}
