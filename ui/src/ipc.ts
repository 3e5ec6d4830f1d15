// Typed wrappers over the app's commands (src-tauri/src/lib.rs). Nothing else in the
// UI calls `invoke`: command names and payload shapes live here only.

import { Channel, invoke } from "@tauri-apps/api/core";
import type { OpenError, Runbook, RunbookUpdate } from "./model";

/** Opens the runbook at `path` and makes it the open one (title, hot reload). */
export function openRunbook(path: string): Promise<Runbook> {
  return invoke<Runbook>("open_runbook", { path });
}

/** The runbook to show on start (already open, or named on the command line), if any. */
export function initialRunbook(): Promise<Runbook | null> {
  return invoke<Runbook | null>("initial_runbook");
}

/** Subscribes to hot reloads of the open runbook. */
export function watchRunbook(onUpdate: (update: RunbookUpdate) => void): Promise<void> {
  const channel = new Channel<RunbookUpdate>();
  channel.onmessage = onUpdate;
  return invoke<void>("watch_runbook", { onUpdate: channel });
}

const OPEN_ERROR_KINDS: ReadonlySet<string> = new Set(["unreadable", "notUtf8"]);

/** Whether a rejected command's value is the app's typed `OpenError`. */
export function isOpenError(value: unknown): value is OpenError {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.kind === "string" &&
    OPEN_ERROR_KINDS.has(v.kind) &&
    typeof v.path === "string" &&
    typeof v.reason === "string"
  );
}

/** Any rejection as an `OpenError` (IPC and permission failures arrive as plain strings). */
export function toOpenError(value: unknown, path: string): OpenError {
  if (isOpenError(value)) return value;
  const reason = value instanceof Error ? value.message : String(value);
  return { kind: "unreadable", path, reason };
}
