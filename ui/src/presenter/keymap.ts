// The presenter's keys, as the `?` sheet lists them (README's key map says the same).

import { h } from "../shared/dom";

export const KEYMAP: readonly (readonly [keys: string, does: string])[] = [
  ["PageDown, →  (remote: next)", "advance: run the step's next block; when all have run, go to the next step"],
  ["PageUp, ←  (remote: back)", "back one step"],
  ["↓ / ↑, Home / End", "move between steps without running anything"],
  ["Enter", "run the step's next block that has not run (or failed)"],
  ["P", "play the step from its recording (the fallback)"],
  ["Ctrl+.", "stop what runs (or the playback)"],
  ["A", "open the audience window, or bring it up"],
  ["F5  (remote)", "audience window fullscreen, and start the clock"],
  ["Esc  (remote)", "audience leaves fullscreen; in a terminal: back to the show"],
  ["B or .  (remote: blank)", "blank the audience screen; again to restore"],
  ["T", "start, pause or resume the talk clock"],
  ["Shift+T", "reset the clock (asks first)"],
  ["C", "show or hide the talk clock on the audience screen"],
  ["R", "the rehearsals: each step's snapshots, and Export backup… (one HTML file that plays offline)"],
  ["S / Shift+S", "capture the presenter / audience window to a PNG in .cuedeck/captures/ beside the runbook"],
  ["Ctrl+Alt+= / Ctrl+Alt+-", "notes bigger / smaller"],
  ["Ctrl+= / Ctrl+- / Ctrl+0  (in a terminal)", "terminal font bigger / smaller / back"],
  ["Ctrl+O", "open a runbook"],
  ["?", "this sheet"],
];

export class KeymapSheet {
  constructor(private readonly dialog: HTMLElement) {
    const table = dialog.querySelector("table");
    table?.replaceChildren(...KEYMAP.map(([keys, does]) => h("tr", {}, h("th", {}, keys), h("td", {}, does))));
    dialog.querySelector(".keymap-close")?.addEventListener("click", () => this.close());
  }

  isOpen(): boolean {
    return !this.dialog.hidden;
  }

  toggle(): void {
    this.dialog.hidden = !this.dialog.hidden;
  }

  close(): void {
    this.dialog.hidden = true;
  }
}
