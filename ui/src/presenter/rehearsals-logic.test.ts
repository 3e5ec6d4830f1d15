import { describe, expect, it } from "vitest";
import type { RehearsalEntry, StepSummary } from "../shared/model";
import {
  backupMessage,
  durationLabel,
  pickRehearsal,
  rehearsalDetail,
  rehearsalLabel,
  sizeLabel,
  statusText,
  stepNote,
} from "./rehearsals-logic";

const step = (over: Partial<StepSummary> = {}): StepSummary => ({
  id: "start",
  number: 2,
  title: "Start",
  status: "ok",
  exitCode: 0,
  durationMs: 600,
  message: null,
  stale: false,
  snapshots: [{ terminal: "main", file: "snapshots/start--main.png" }],
  ...over,
});

const entry = (over: Partial<RehearsalEntry> = {}): RehearsalEntry => ({
  name: "20261201-101500",
  started: "2026-12-01T10:15:00Z",
  finished: "2026-12-01T10:16:02Z",
  passed: 8,
  failed: 1,
  steps: [step(), step({ id: "b", snapshots: [] })],
  error: null,
  backup: ".cuedeck/backups/tour/tour-20261201-101500.html",
  ...over,
});

describe("the rehearsal view", () => {
  it("labels a rehearsal by its time and result, and says when it was cut short or unreadable", () => {
    expect(rehearsalLabel(entry())).toBe("2026-12-01 10:15:00 UTC · 8 passed, 1 failed");
    expect(rehearsalLabel(entry({ finished: null }))).toContain("cut short");
    expect(rehearsalLabel(entry({ error: "bad JSON" }))).toBe("2026-12-01 10:15:00 UTC · unreadable");
    expect(rehearsalDetail(entry())).toBe("2 steps, 1 snapshot");
    expect(rehearsalDetail(entry({ error: "manifest.json:3: bad JSON" }))).toContain("manifest.json:3");
  });

  it("picks the rehearsal asked for while it is listed, else the latest", () => {
    const list = [entry({ name: "b" }), entry({ name: "a" })];
    expect(pickRehearsal(list, "a")?.name).toBe("a");
    expect(pickRehearsal(list, "gone")?.name).toBe("b");
    expect(pickRehearsal(list, null)?.name).toBe("b");
    expect(pickRehearsal([], null)).toBeNull();
  });

  it("says why a step failed and when its recording is stale", () => {
    expect(stepNote(step())).toBeNull();
    expect(stepNote(step({ status: "failed", exitCode: 2, message: "exited before it was ready" }))).toBe(
      "exit 2 · exited before it was ready",
    );
    expect(stepNote(step({ stale: true }))).toBe("stale: its commands changed since");
    expect(statusText("timedOut")).toBe("timed out");
  });

  it("writes durations and sizes the way people read them", () => {
    expect(durationLabel(600)).toBe("0.6 s");
    expect(durationLabel(12_400)).toBe("12 s");
    expect(durationLabel(65_000)).toBe("1:05");
    expect(sizeLabel(812)).toBe("812 B");
    expect(sizeLabel(422_195)).toBe("412.3 KB");
    expect(sizeLabel(2_202_010)).toBe("2.1 MB");
  });

  it("names the backup file, its size and what it holds", () => {
    const text = backupMessage({
      path: "/talks/.cuedeck/backups/tour/tour-1.html",
      relative: ".cuedeck/backups/tour/tour-1.html",
      bytes: 422_195,
      castsBytes: 20_480,
      casts: 1,
      snapshots: 9,
    });
    expect(text).toBe(
      "Backup written: .cuedeck/backups/tour/tour-1.html (412.3 KB; casts 20.0 KB in 1 terminal, 9 snapshots). It plays offline in any browser.",
    );
  });
});
