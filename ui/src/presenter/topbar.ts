// The top bar fits its content, not the screen's width: it shows full labels while
// they fit, goes compact (short labels, tighter spacing) when the title would be cut or
// the lights clipped, and only then folds the lights into their summary. It refits when
// the window resizes and when anything in the bar appears, hides or changes its text
// (the pre-flight button, the show controls, a runbook's title), once per frame.

import type { HealthBar } from "./health";

export class TopBar {
  private pending = false;

  constructor(
    private readonly bar: HTMLElement,
    private readonly title: HTMLElement,
    private readonly health: HealthBar,
  ) {
    new ResizeObserver(() => this.schedule()).observe(bar);
    new MutationObserver((records) => {
      // The summary light (repainted by the fit itself) and folded lights are no reason to fit again.
      if (records.some((r) => !this.health.ownsRefitFree(r.target))) this.schedule();
    }).observe(bar, { subtree: true, childList: true, characterData: true, attributeFilter: ["hidden"] });
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.fit();
    });
  }

  /** Full labels if they fit; compact if not; then the lights fold if still needed. */
  fit(): void {
    this.bar.classList.remove("compact");
    this.health.unfold();
    if (this.cut()) this.bar.classList.add("compact");
    this.health.fit();
  }

  /** The title shows less than its text, or the lights less than their row. */
  private cut(): boolean {
    return this.title.scrollWidth > this.title.clientWidth + 1 || this.health.overflows();
  }
}
