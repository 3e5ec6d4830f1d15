// The trust sheet: before the first Run, Rehearse or Play of a runbook, what it
// would execute beyond the blocks the presenter sees (environment, shell, folders,
// interpreters, hidden setup lines, hosts beyond this machine), and what no runbook
// may do. Nothing of the runbook runs until the presenter trusts it; an edit to what
// it executes asks again (the backend pins the decision to a digest and refuses
// runs without it, whatever this window does).

import { trustAccept, trustStatus } from "../shared/ipc";
import type { TrustSheet } from "../shared/model";
import { byId, h } from "../shared/dom";
import { kindText, orderedItems, sheetSummary } from "./trust-logic";

function errorText(e: unknown): string {
  return typeof e === "object" && e !== null && "message" in e ? String(e.message) : String(e);
}

export class TrustGate {
  private readonly dialog = byId("trust");
  private readonly accept = byId<HTMLButtonElement>("trust-accept");
  private pending: ((trusted: boolean) => void) | null = null;
  private sheet: TrustSheet | null = null;

  constructor(private readonly say: (message: string) => void) {
    this.accept.addEventListener("click", () => void this.onAccept());
    byId("trust-cancel").addEventListener("click", () => this.finish(false));
  }

  isOpen(): boolean {
    return !this.dialog.hidden;
  }

  /** Esc: not now. */
  close(): void {
    this.finish(false);
  }

  /** Resolves true once the open runbook is trusted as it is now (asking first if need be). */
  async ensure(): Promise<boolean> {
    if (this.pending) return false;
    let status;
    try {
      status = await trustStatus();
    } catch (e) {
      this.say(`Cannot check whether this runbook is trusted: ${errorText(e)}`);
      return false;
    }
    if (status.trusted) return true;
    this.show(status.sheet, status.storeError);
    return new Promise<boolean>((resolve) => (this.pending = resolve));
  }

  private show(sheet: TrustSheet, storeError: string | null): void {
    this.sheet = sheet;
    byId("trust-path").textContent = sheet.path;
    byId("trust-summary").textContent = sheetSummary(sheet);
    byId("trust-items").replaceChildren(
      ...orderedItems(sheet.items).map((i) =>
        h(
          "li",
          { class: `trust-item${i.warn ? " warn" : ""}`, "data-kind": i.kind },
          h("span", { class: "kind" }, kindText(i.kind)),
          h("span", { class: "line" }, `line ${i.line}`),
          h("code", { class: "subject" }, i.subject),
          h("span", { class: "detail" }, i.detail),
        ),
      ),
    );
    byId("trust-blocked").replaceChildren(
      ...sheet.blocked.map((b) =>
        h(
          "li",
          { class: "trust-item blocked" },
          h("span", { class: "kind" }, "Refused"),
          h("span", { class: "line" }, `line ${b.line}`),
          h("code", { class: "subject" }, b.subject),
          h("span", { class: "detail" }, b.reason),
        ),
      ),
    );
    byId("trust-store").textContent = storeError ? `Trusted for this session only: ${storeError}` : "";
    byId("trust-store").hidden = storeError === null;
    byId("trust-error").hidden = true;
    this.accept.hidden = sheet.blocked.length > 0;
    byId("trust-cancel").textContent = sheet.blocked.length > 0 ? "Close" : "Not now";
    this.dialog.hidden = false;
    (sheet.blocked.length > 0 ? byId("trust-cancel") : this.accept).focus();
  }

  private async onAccept(): Promise<void> {
    if (!this.sheet) return;
    try {
      await trustAccept(this.sheet.digest);
      this.finish(true);
    } catch (e) {
      const error = byId("trust-error");
      error.textContent = errorText(e);
      error.hidden = false;
    }
  }

  private finish(trusted: boolean): void {
    this.dialog.hidden = true;
    const resolve = this.pending;
    this.pending = null;
    this.sheet = null;
    resolve?.(trusted);
  }
}
