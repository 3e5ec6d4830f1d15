// The start page, shown while no runbook is open: the runbooks opened lately (click to
// open again, × to forget), Open…, the tour, and About.

import { h } from "../shared/dom";
import { about, forgetRecent, startInfo } from "../shared/ipc";
import type { About, RecentEntry, StartInfo } from "../shared/model";
import { homeOf, openedAgo, splitPath } from "./start-logic";

export interface StartActions {
  open: (path: string) => void;
  choose: () => void;
  tour: () => void;
}

export class StartPage {
  private facts: About | null = null;
  /** What the page shows now, as JSON: a refresh with nothing new leaves it alone. */
  private shown = "";

  constructor(
    private readonly root: HTMLElement,
    private readonly aboutDialog: HTMLElement,
    private readonly actions: StartActions,
  ) {
    aboutDialog.querySelector(".about-close")?.addEventListener("click", () => this.closeAbout());
  }

  /** Reads the recent list again and shows it. */
  async refresh(): Promise<void> {
    try {
      const [info, facts] = await Promise.all([startInfo(), this.facts ? Promise.resolve(this.facts) : about()]);
      this.facts = facts;
      // The window re-renders on every change of the show; rebuilding an unchanged page
      // would lose a click in progress and the keyboard focus.
      if (JSON.stringify(info) === this.shown && this.root.childElementCount > 0) return;
      this.render(info);
    } catch (e) {
      console.error("start page", e);
    }
  }

  isAboutOpen(): boolean {
    return !this.aboutDialog.hidden;
  }

  closeAbout(): void {
    this.aboutDialog.hidden = true;
  }

  async showAbout(): Promise<void> {
    this.facts ??= await about();
    const f = this.facts;
    const rows: [string, string | null][] = [
      ["Version", f.version],
      ["Tauri", f.tauri],
      ["WebKitGTK", f.webview],
      ["License", f.license],
      ["Settings", f.configDir],
      ["Data (the tour's copy)", f.dataDir],
    ];
    const list = this.aboutDialog.querySelector("dl");
    list?.replaceChildren(
      ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "unknown")]),
    );
    const title = this.aboutDialog.querySelector("h2");
    if (title) title.textContent = `${f.name} ${f.version}`;
    const what = this.aboutDialog.querySelector(".about-what");
    if (what) what.textContent = f.description;
    this.aboutDialog.hidden = false;
  }

  private render(info: StartInfo): void {
    this.shown = JSON.stringify(info);
    const home = homeOf(this.facts?.configDir ?? null);
    const now = Math.floor(Date.now() / 1000);
    const list = h("ol", { id: "recent-list" });
    for (const entry of info.recent) list.append(this.row(entry, home, now));
    const recent =
      info.recent.length > 0
        ? [h("h2", {}, "Recent runbooks"), list]
        : [h("p", { class: "muted start-none" }, "No runbook opened yet.")];
    const open = h("button", { type: "button", id: "start-open", class: "primary" }, "Open a runbook…");
    open.addEventListener("click", () => this.actions.choose());
    const buttons: HTMLElement[] = [open];
    if (info.tour) {
      const tour = h("button", { type: "button", id: "start-tour" }, "Take the tour");
      tour.title = "A short runbook that shows what Cuedeck does, with a service to demo";
      tour.addEventListener("click", () => this.actions.tour());
      buttons.push(tour);
    }
    const aboutButton = h("button", { type: "button", id: "start-about", class: "link" }, "About Cuedeck");
    aboutButton.addEventListener("click", () => void this.showAbout());
    this.root.replaceChildren(
      h(
        "div",
        { class: "start-card" },
        h("h1", {}, "Cuedeck", h("span", { class: "start-version" }, this.facts ? ` ${this.facts.version}` : "")),
        h("p", { class: "start-what" }, "Present a live demo from a Markdown runbook."),
        h("div", { class: "start-actions" }, ...buttons),
        ...recent,
        info.notKept ? h("p", { class: "muted" }, info.notKept) : null,
        h("p", { class: "drop-hint" }, "Or drop a Markdown file anywhere on this window. ", aboutButton),
      ),
    );
  }

  private row(entry: RecentEntry, home: string | null, now: number): HTMLElement {
    const { folder, file } = splitPath(entry.path, home);
    const open = h(
      "button",
      { type: "button", class: "recent-open", title: entry.path },
      h("span", { class: "recent-title" }, entry.title || file),
      h("span", { class: "recent-path" }, folder, h("b", {}, file)),
    );
    open.disabled = !entry.exists;
    open.addEventListener("click", () => this.actions.open(entry.path));
    const forget = h("button", { type: "button", class: "recent-forget", "aria-label": `Forget ${entry.path}` }, "×");
    forget.title = "Take it off this list (the file stays)";
    forget.addEventListener("click", () => {
      void forgetRecent(entry.path).then((info) => this.render(info));
    });
    return h(
      "li",
      { class: "recent", "data-exists": String(entry.exists) },
      open,
      h("span", { class: "recent-when" }, entry.exists ? openedAgo(entry.openedUnix, now) : "not found"),
      forget,
    );
  }
}
