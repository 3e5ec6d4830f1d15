// What the pre-flight panel makes of a checklist item's command: which block checks
// the item, and what the block's end says about it.

import type { BlockStatus, ChecklistItem, PreflightItem } from "../shared/model";

/** The block whose command checks `item` (a checklist item with a code block under it). */
export function checkingBlock(item: PreflightItem, checklist: readonly ChecklistItem[]): string | null {
  if (item.kind !== "checklist") return null;
  return checklist.find((c) => c.line === item.line)?.block ?? null;
}

/** What a check's run ended in: the item ticked, failed (and why), or nothing to say (it never ran). */
export type CheckResult = { ticked: true } | { ticked: false; why: string } | null;

export function checkResult(status: BlockStatus | undefined | null): CheckResult {
  if (!status) return null;
  switch (status.state) {
    case "ok":
    case "ready":
      return { ticked: true };
    case "failed":
    case "timedOut":
    case "stopped": {
      const code = status.exitCode === null ? "" : ` (exit ${status.exitCode})`;
      return { ticked: false, why: `${status.message ?? status.state}${code}` };
    }
    default:
      return null;
  }
}
