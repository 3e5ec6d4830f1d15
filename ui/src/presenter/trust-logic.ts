// Pure rules of the trust sheet, kept apart from the DOM for unit tests.

import type { TrustItem, TrustKind, TrustSheet } from "../shared/model";

const KIND_TEXT: Record<TrustKind, string> = {
  env: "Environment",
  shell: "Shell",
  cwd: "Folder",
  interpreter: "Interpreter",
  hidden: "Hidden setup",
  probe: "Network",
};

export function kindText(kind: TrustKind): string {
  return KIND_TEXT[kind];
}

/** The sheet's first line: what trusting covers. */
export function sheetSummary(sheet: TrustSheet): string {
  const blocks = `${sheet.runnableBlocks} runnable block${sheet.runnableBlocks === 1 ? "" : "s"}`;
  if (sheet.blocked.length > 0) return `It asks for what no runbook may do: Cuedeck will not run it.`;
  if (sheet.items.length === 0) return `It runs ${blocks}, each shown before it runs, and nothing beyond them.`;
  return `It runs ${blocks}, each shown before it runs, and beyond them:`;
}

/** Items in the order the file has them, the ones that reach furthest first within a line. */
export function orderedItems(items: readonly TrustItem[]): TrustItem[] {
  return [...items].sort((a, b) => a.line - b.line || Number(b.warn) - Number(a.warn));
}
