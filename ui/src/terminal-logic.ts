// Pure rules of the terminal pane, kept apart from xterm.js and IPC so they are unit-tested.

import type { BlockState, BlockStatus, CodeBlock, Step } from "./model";

/** The terminals a block runs or types in, the one to show first at the head. */
export function blockTerminals(block: CodeBlock): string[] {
  const names = block.commands.map((c) => c.terminal).filter((t) => t !== "");
  if (names.length === 0) names.push(block.terminal || "main");
  return [...new Set(names)];
}

/** Whether a block is still in progress in this state. */
export function isActive(state: BlockState): boolean {
  return state === "running" || state === "waiting";
}

/** The badge text for a status: "✓ ok 1.2s", "✗ exit 2", "… running". */
export function badgeText(status: BlockStatus): string {
  const secs = `${(status.durationMs / 1000).toFixed(1)}s`;
  switch (status.state) {
    case "running":
      return "… running";
    case "waiting":
      return "… waiting for ready";
    case "ready":
      return `● ready ${secs}`;
    case "ok":
      return `✓ ok ${secs}`;
    case "failed":
      return status.exitCode === null ? `✗ failed ${secs}` : `✗ exit ${status.exitCode} ${secs}`;
    case "timedOut":
      return `⏱ timed out ${secs}`;
    case "stopped":
      return `■ stopped ${secs}`;
  }
}

/**
 * The block Enter runs on a step: the first runnable block that has not run yet or
 * did not succeed, skipping any still running. `null` when every one is done.
 */
export function nextToRun(step: Step, statuses: ReadonlyMap<string, BlockStatus>): CodeBlock | null {
  for (const block of step.blocks) {
    if (block.kind === "shown") continue;
    const state = statuses.get(block.id)?.state;
    if (state === undefined || state === "failed" || state === "timedOut" || state === "stopped") return block;
  }
  return null;
}

/** Font size after a zoom key: Ctrl+= bigger, Ctrl+- smaller, Ctrl+0 back to `base`. */
export function zoomed(current: number, key: string, base: number): number | null {
  if (key === "=" || key === "+") return Math.min(current + 2, 48);
  if (key === "-" || key === "_") return Math.max(current - 2, 8);
  if (key === "0") return base;
  return null;
}
