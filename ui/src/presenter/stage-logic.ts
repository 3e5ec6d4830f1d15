// Pure rules of the presenter's stage controls: what the advance key does, and the
// next step's preview.

import type { BlockStatus, CodeBlock, Step } from "../shared/model";
import { blockText } from "../shared/step-content";
import { isActive } from "../shared/terminal-logic";

export type Advance =
  | { kind: "run"; block: CodeBlock }
  /** A block of the step still runs (or waits): a second press must not skip its output. */
  | { kind: "wait"; block: CodeBlock }
  | { kind: "next" }
  | { kind: "end" };

/**
 * The advance key (PageDown, Right, a remote's next button): run the step's next block
 * that has not run; once every block has run or is ready, go to the next step.
 */
export function advanceAction(step: Step | null, statuses: ReadonlyMap<string, BlockStatus>, isLast: boolean): Advance {
  const runnable = step ? step.blocks.filter((b) => b.kind !== "shown") : [];
  const busy = runnable.find((b) => {
    const s = statuses.get(b.id);
    return s !== undefined && isActive(s.state);
  });
  if (busy) return { kind: "wait", block: busy };
  const next = runnable.find((b) => !statuses.has(b.id));
  if (next) return { kind: "run", block: next };
  return isLast ? { kind: "end" } : { kind: "next" };
}

export interface NextPreview {
  title: string;
  budgetSeconds: number | null;
  /** The first lines of its first runnable block (else its first block). */
  firstBlock: string | null;
}

const PREVIEW_LINES = 3;

export function nextPreview(step: Step | undefined, budgetSeconds: number | null): NextPreview | null {
  if (!step) return null;
  const block = step.blocks.find((b) => b.kind !== "shown") ?? step.blocks[0];
  const lines = block ? blockText(block).replace(/\n$/, "").split("\n") : [];
  const firstBlock =
    lines.length === 0 ? null : lines.slice(0, PREVIEW_LINES).join("\n") + (lines.length > PREVIEW_LINES ? "\n…" : "");
  return { title: step.title, budgetSeconds, firstBlock };
}
