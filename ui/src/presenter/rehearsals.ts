// The rehearsal view (R, or "Rehearsals" in the top bar): every rehearsal of the
// open runbook, each step with how it went and thumbnails of its terminals' screens
// at its end; a thumbnail opens full size. "Export backup…" writes the rehearsal's
// backup bundle, one HTML file that plays it offline anywhere. And the step list's
// peek: hovering a step that has a recording shows its snapshots.

import { save as saveDialog } from "@tauri-apps/plugin-dialog";
import { exportBackup, rehearsalList, rehearsalSnapshot } from "../shared/ipc";
import type { RehearsalEntry, StepRecordingInfo, StepSnapshot, StepSummary } from "../shared/model";
import { byId, h } from "../shared/dom";
import { rehearsalTime } from "./playback-logic";
import {
  backupMessage,
  durationLabel,
  passed,
  pickRehearsal,
  rehearsalDetail,
  rehearsalLabel,
  statusText,
  stepNote,
} from "./rehearsals-logic";

function errorText(e: unknown): string {
  return typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e);
}

/** Snapshot PNGs as `data:` URLs, fetched once each (a rehearsal's files never change). */
export class SnapshotImages {
  private readonly cache = new Map<string, Promise<string>>();

  get(rehearsal: string, file: string): Promise<string> {
    const key = `${rehearsal}/${file}`;
    let url = this.cache.get(key);
    if (!url) {
      url = rehearsalSnapshot(rehearsal, file);
      this.cache.set(key, url);
      // A failed read is tried again next time.
      url.catch(() => this.cache.delete(key));
    }
    return url;
  }

  /** Another runbook: its rehearsals have names of their own. */
  clear(): void {
    this.cache.clear();
  }

  /** A thumbnail that fills itself in; a snapshot that cannot be read says why. */
  thumbnail(rehearsal: string, shot: StepSnapshot, onOpen: (img: HTMLImageElement) => void): HTMLElement {
    const img = h("img", { class: "thumb", alt: `${shot.terminal} at the end of the step`, "data-file": shot.file });
    const figure = h("figure", { class: "snapshot" }, img, h("figcaption", {}, shot.terminal));
    this.get(rehearsal, shot.file)
      .then((url) => {
        img.src = url;
      })
      .catch((e: unknown) => {
        figure.classList.add("unreadable");
        figure.title = errorText(e);
      });
    img.addEventListener("click", () => onOpen(img));
    return figure;
  }
}

export class RehearsalView {
  private entries: RehearsalEntry[] = [];
  private chosen: string | null = null;
  private exporting = false;
  readonly images = new SnapshotImages();

  private readonly dialog = byId("rehearsals");
  private readonly pick = byId<HTMLSelectElement>("rehearsal-pick");
  private readonly detail = byId("rehearsal-detail");
  private readonly list = byId("rehearsal-steps");
  private readonly empty = byId("rehearsals-empty");
  private readonly form = byId<HTMLFormElement>("export-form");
  private readonly target = byId<HTMLInputElement>("export-path");
  private readonly notes = byId<HTMLInputElement>("export-notes");
  private readonly result = byId("export-result");
  private readonly exportButton = byId<HTMLButtonElement>("export-open");
  private readonly zoom = byId("snapshot-zoom");

  constructor(private readonly button: HTMLButtonElement) {
    button.addEventListener("click", () => this.toggle());
    this.dialog.querySelector(".rehearsals-close")?.addEventListener("click", () => this.close());
    this.pick.addEventListener("change", () => {
      this.chosen = this.pick.value;
      this.render();
    });
    this.exportButton.addEventListener("click", () => this.showForm());
    byId("export-choose").addEventListener("click", () => void this.chooseTarget());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.export();
    });
    this.zoom.addEventListener("click", () => (this.zoom.hidden = true));
    (window as unknown as { __cuedeckRehearsals: unknown }).__cuedeckRehearsals = {
      entries: (): RehearsalEntry[] => this.entries,
      chosen: (): string | null => this.current()?.name ?? null,
    };
  }

  isOpen(): boolean {
    return !this.dialog.hidden;
  }

  /** Escape: the full-size snapshot first, then the view. */
  close(): void {
    if (!this.zoom.hidden) this.zoom.hidden = true;
    else this.dialog.hidden = true;
  }

  toggle(): void {
    if (this.isOpen()) {
      this.dialog.hidden = true;
      return;
    }
    this.dialog.hidden = false;
    void this.refresh(true);
  }

  /** A runbook was shown, or a rehearsal ended: the list is read again. */
  async refresh(samePath: boolean): Promise<void> {
    this.button.hidden = false;
    if (!samePath) {
      this.images.clear();
      this.chosen = null;
      this.form.hidden = true;
      this.result.hidden = true;
    }
    if (!this.isOpen()) return;
    try {
      this.entries = await rehearsalList();
    } catch (e) {
      this.entries = [];
      this.detail.textContent = `Cannot list the rehearsals: ${errorText(e)}`;
    }
    this.render();
  }

  private current(): RehearsalEntry | null {
    return pickRehearsal(this.entries, this.chosen);
  }

  private render(): void {
    const entry = this.current();
    this.pick.replaceChildren(...this.entries.map((e) => h("option", { value: e.name }, rehearsalLabel(e))));
    this.pick.hidden = entry === null;
    this.empty.hidden = entry !== null;
    this.exportButton.disabled = entry === null || entry.error !== null;
    if (!entry) {
      this.detail.textContent = "";
      this.list.replaceChildren();
      this.form.hidden = true;
      return;
    }
    this.pick.value = entry.name;
    this.detail.textContent = rehearsalDetail(entry);
    this.list.replaceChildren(...entry.steps.map((s) => this.stepRow(entry.name, s)));
    if (!this.form.hidden && this.target.dataset.rehearsal !== entry.name) this.fillTarget(entry);
  }

  private stepRow(rehearsal: string, step: StepSummary): HTMLElement {
    const note = stepNote(step);
    const thumbs = step.snapshots.map((s) => this.images.thumbnail(rehearsal, s, (img) => this.open(img, step, s)));
    return h(
      "li",
      { class: "rehearsal-step", "data-step-id": step.id, "data-status": passed(step.status) ? "ok" : "failed" },
      h(
        "div",
        { class: "rehearsal-step-head" },
        h("span", { class: "number" }, String(step.number)),
        h("span", { class: "title" }, step.title),
        h("span", { class: "status" }, statusText(step.status)),
        h("span", { class: "duration muted" }, durationLabel(step.durationMs)),
      ),
      note === null ? null : h("p", { class: `note${step.stale ? " stale" : ""}` }, note),
      thumbs.length > 0 ? h("div", { class: "thumbs" }, ...thumbs) : h("p", { class: "muted no-snapshots" }, "no snapshot"),
    );
  }

  /** A thumbnail clicked: the snapshot at full size, over the view. */
  private open(img: HTMLImageElement, step: StepSummary, shot: StepSnapshot): void {
    if (!img.src) return;
    const full = this.zoom.querySelector("img");
    const caption = this.zoom.querySelector("p");
    if (full) full.src = img.src;
    if (caption) caption.textContent = `${step.number}. ${step.title} — ${shot.terminal}`;
    this.zoom.hidden = false;
  }

  private showForm(): void {
    const entry = this.current();
    if (!entry) return;
    this.form.hidden = false;
    this.fillTarget(entry);
    this.target.focus();
  }

  private fillTarget(entry: RehearsalEntry): void {
    this.target.value = entry.backup;
    this.target.dataset.rehearsal = entry.name;
  }

  /** The native save dialog, for a place outside the runbook's folder. */
  private async chooseTarget(): Promise<void> {
    try {
      const chosen = await saveDialog({
        title: "Export backup",
        defaultPath: this.target.value,
        filters: [{ name: "HTML page", extensions: ["html"] }],
      });
      if (chosen) this.target.value = chosen;
    } catch (e) {
      this.say(`Cannot open the save dialog: ${errorText(e)}`, true);
    }
  }

  private async export(): Promise<void> {
    const entry = this.current();
    if (!entry || this.exporting) return;
    this.exporting = true;
    byId<HTMLButtonElement>("export-go").disabled = true;
    this.say(`Exporting the rehearsal of ${rehearsalTime(entry.name)}…`, false);
    try {
      const written = await exportBackup(entry.name, this.target.value.trim() || null, this.notes.checked);
      this.say(backupMessage(written), false);
      this.result.dataset.path = written.path;
    } catch (e) {
      this.say(`Cannot export the backup: ${errorText(e)}`, true);
    } finally {
      this.exporting = false;
      byId<HTMLButtonElement>("export-go").disabled = false;
    }
  }

  private say(text: string, failed: boolean): void {
    this.result.textContent = text;
    this.result.hidden = false;
    this.result.classList.toggle("failed", failed);
    delete this.result.dataset.path;
  }
}

/** Hovering a step in the list: the snapshots of the recording it would play. */
export class StepPeek {
  private shownFor: string | null = null;
  private readonly peek = byId("step-peek");

  constructor(
    list: HTMLElement,
    private readonly recordingOf: (stepId: string) => StepRecordingInfo | undefined,
    private readonly images: SnapshotImages,
  ) {
    list.addEventListener("mouseover", (e) => this.onOver(e));
    list.addEventListener("mouseleave", () => this.hide());
  }

  private onOver(e: MouseEvent): void {
    const item = e.target instanceof Element ? e.target.closest<HTMLElement>("li.step[data-step-id]") : null;
    const id = item?.dataset.stepId ?? null;
    if (id === this.shownFor) return;
    const info = id === null ? undefined : this.recordingOf(id);
    if (!item || !info || info.snapshots.length === 0) {
      this.hide();
      return;
    }
    this.shownFor = info.stepId;
    const when = `Recorded ${rehearsalTime(info.rehearsal)}${info.stale ? " — stale" : ""}`;
    this.peek.replaceChildren(
      h("p", { class: "peek-when" }, when),
      h("div", { class: "thumbs" }, ...info.snapshots.map((s) => this.images.thumbnail(info.rehearsal, s, () => undefined))),
    );
    const box = item.getBoundingClientRect();
    this.peek.style.left = `${Math.round(box.right + 8)}px`;
    this.peek.style.top = `${Math.round(Math.max(8, Math.min(box.top, window.innerHeight - 260)))}px`;
    this.peek.hidden = false;
  }

  hide(): void {
    this.shownFor = null;
    this.peek.hidden = true;
  }
}
