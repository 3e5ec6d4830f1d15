// Pure rules of the rehearsal view and the step list's snapshot peek, kept apart
// from the DOM for unit tests.

import type { BackupWritten, RehearsalEntry, StepStatus, StepSummary } from "../shared/model";
import { rehearsalTime } from "./playback-logic";

const STATUS_TEXT: Record<StepStatus, string> = {
  ok: "ok",
  ready: "ready",
  failed: "failed",
  timedOut: "timed out",
  stopped: "stopped",
};

/** "ok", "timed out"… */
export function statusText(status: StepStatus): string {
  return STATUS_TEXT[status];
}

/** Whether the step's recording can stand in for it (as the backend's `passed`). */
export function passed(status: StepStatus): boolean {
  return status === "ok" || status === "ready";
}

/** "0.6 s", "12 s", "1:05" */
export function durationLabel(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** "812 B", "412.3 KB", "2.1 MB" */
export function sizeLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The rehearsal picker's line: "2026-12-01 10:15:00 UTC · 8 passed, 1 failed". */
export function rehearsalLabel(entry: RehearsalEntry): string {
  const when = rehearsalTime(entry.name);
  if (entry.error !== null) return `${when} · unreadable`;
  const cut = entry.finished === null ? " · cut short" : "";
  return `${when} · ${entry.passed} passed, ${entry.failed} failed${cut}`;
}

/** The line under the picker: what the chosen rehearsal holds. */
export function rehearsalDetail(entry: RehearsalEntry): string {
  if (entry.error !== null) return `Its manifest does not read: ${entry.error}`;
  const shots = entry.steps.reduce((n, s) => n + s.snapshots.length, 0);
  const steps = entry.steps.length;
  return `${steps} step${steps === 1 ? "" : "s"}, ${shots} snapshot${shots === 1 ? "" : "s"}`;
}

/** A step row's detail: why it failed, or that its recording is stale. */
export function stepNote(step: StepSummary): string | null {
  const parts: string[] = [];
  if (!passed(step.status) && step.exitCode !== null) parts.push(`exit ${step.exitCode}`);
  if (step.message) parts.push(step.message);
  if (step.stale) parts.push("stale: its commands changed since");
  return parts.length > 0 ? parts.join(" · ") : null;
}

/** The message once a backup is written. */
export function backupMessage(written: BackupWritten): string {
  const terminals = `${written.casts} terminal${written.casts === 1 ? "" : "s"}`;
  const shots = `${written.snapshots} snapshot${written.snapshots === 1 ? "" : "s"}`;
  return `Backup written: ${written.relative} (${sizeLabel(written.bytes)}; casts ${sizeLabel(written.castsBytes)} in ${terminals}, ${shots}). It plays offline in any browser.`;
}

/** Which rehearsal to show: the one asked for if it is still listed, else the latest. */
export function pickRehearsal(entries: readonly RehearsalEntry[], wanted: string | null): RehearsalEntry | null {
  return entries.find((e) => e.name === wanted) ?? entries[0] ?? null;
}
