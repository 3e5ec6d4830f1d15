// Pure presentation logic: no DOM, no IPC. Unit-tested in logic.test.ts.

import type { CodeBlock, Diagnostic, Note, NoteKind, Runbook, Step } from "./model";

/** "5:00", "0:30", "1:05:00". */
export function formatBudget(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/**
 * Keys that move between steps without running anything, and where they go.
 * PageDown/PageUp are the clicker's advance and back (see clicker.ts).
 */
export type NavKey = "ArrowDown" | "ArrowUp" | "Home" | "End";

export function isNavKey(key: string): key is NavKey {
  return ["ArrowDown", "ArrowUp", "Home", "End"].includes(key);
}

/** The step index a navigation key leads to, clamped to the runbook (-1 when it has none). */
export function navigate(key: NavKey, current: number, count: number): number {
  if (count <= 0) return -1;
  const last = count - 1;
  const at = Math.min(Math.max(current, 0), last);
  switch (key) {
    case "ArrowDown":
      return Math.min(at + 1, last);
    case "ArrowUp":
      return Math.max(at - 1, 0);
    case "Home":
      return 0;
    case "End":
      return last;
  }
}

/**
 * The section label shown above each step in the list: its breadcrumbs without the
 * prefix every step shares (usually the document's title), or undefined at top level.
 */
export function sectionLabels(steps: readonly Step[]): (string | undefined)[] {
  const first = steps[0]?.breadcrumbs ?? [];
  let common = first.length;
  for (const step of steps) {
    let i = 0;
    while (i < common && i < step.breadcrumbs.length && step.breadcrumbs[i] === first[i]) i++;
    common = i;
  }
  return steps.map((s) => s.breadcrumbs.slice(common).join(" › ") || undefined);
}

export function countBlocks(step: Step, kind: CodeBlock["kind"]): number {
  return step.blocks.filter((b) => b.kind === kind).length;
}

export interface NoteGroup {
  kind: NoteKind;
  label: string;
  notes: Note[];
}

/** Notes grouped by (kind, label), groups in order of first appearance. */
export function groupNotes(notes: readonly Note[]): NoteGroup[] {
  const groups: NoteGroup[] = [];
  for (const note of notes) {
    const label = note.label.trim() || NOTE_KIND_LABELS[note.kind];
    let group = groups.find((g) => g.kind === note.kind && g.label === label);
    if (!group) {
      group = { kind: note.kind, label, notes: [] };
      groups.push(group);
    }
    group.notes.push(note);
  }
  return groups;
}

export const NOTE_KIND_LABELS: Record<NoteKind, string> = {
  talkingPoint: "Talking points",
  callOut: "Call out",
  keyPoint: "Key point",
  tip: "Tip",
  remark: "Remark",
};

export function errorDiagnostics(runbook: Runbook): Diagnostic[] {
  return runbook.diagnostics.filter((d) => d.severity === "error");
}

/** The last component of a path, for `file:line` labels. */
export function fileName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** "basic.md:12" (or "line 12" for an in-memory runbook). */
export function location(path: string | null, line: number): string {
  return path ? `${fileName(path)}:${line}` : `line ${line}`;
}

/** A piece of a step's body when core sent no HTML: Markdown text, or one of its blocks. */
export type Segment = { kind: "text"; text: string } | { kind: "block"; block: CodeBlock };

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Splits a step's Markdown source around its code blocks, so that without core's HTML
 * the body still reads in order with each block as a widget. Each block's source is
 * found in order; its fence lines go with it. Blocks not found are appended.
 */
export function splitMarkdown(markdown: string, blocks: readonly CodeBlock[]): Segment[] {
  const lines = markdown.split(/\r?\n/);
  const segments: Segment[] = [];
  const missing: CodeBlock[] = [];
  let cursor = 0; // next line not yet emitted
  let text: string[] = [];
  const flush = (): void => {
    const t = text.join("\n").trim();
    if (t) segments.push({ kind: "text", text: t });
    text = [];
  };
  for (const block of blocks) {
    const open = findFence(lines, cursor);
    if (open < 0) {
      missing.push(block);
      continue;
    }
    const marker = FENCE.exec(lines[open] ?? "")?.[1] ?? "```";
    let close = open + 1;
    while (close < lines.length && !(lines[close] ?? "").trimStart().startsWith(marker)) close++;
    text.push(...lines.slice(cursor, open));
    flush();
    segments.push({ kind: "block", block });
    cursor = Math.min(close + 1, lines.length);
  }
  text.push(...lines.slice(cursor));
  flush();
  for (const block of missing) segments.push({ kind: "block", block });
  return segments;
}

function findFence(lines: readonly string[], from: number): number {
  for (let i = from; i < lines.length; i++) if (FENCE.test(lines[i] ?? "")) return i;
  return -1;
}
