// How the audience window tiles a step's terminals: side by side for two, a 2x2
// grid for three or four, three across beyond.

export function tileLayout(count: number): { columns: number; rows: number } {
  if (count <= 1) return { columns: 1, rows: 1 };
  if (count === 2) return { columns: 2, rows: 1 };
  if (count <= 4) return { columns: 2, rows: 2 };
  return { columns: 3, rows: Math.ceil(count / 3) };
}
