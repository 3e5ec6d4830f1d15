// A step's content as DOM, for both windows: core's rendered Markdown (safe by
// construction, sanitized again by DOMPurify) with each code block placeholder
// replaced by the window's own block view (the presenter's has Run/Stop and a
// status badge; the audience's is plain code).

import DOMPurify from "dompurify";
import { h } from "./dom";

/**
 * Fills `body` with core's `html`, each `.cue-block[data-block]` placeholder replaced
 * by `renderBlock` of its block; blocks without a placeholder follow at the end.
 */
export function fillContent<B extends { id: string }>(
  body: HTMLElement,
  html: string,
  blocks: readonly B[],
  renderBlock: (block: B) => HTMLElement,
): void {
  const byBlockId = new Map(blocks.map((b) => [b.id, b]));
  const fragment = DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select"],
    FORBID_ATTR: ["style"],
  });
  const content = h("div", { class: "markdown" });
  content.append(fragment);
  const placed = new Set<string>();
  for (const slot of content.querySelectorAll<HTMLElement>(".cue-block[data-block]")) {
    const block = byBlockId.get(slot.dataset.block ?? "");
    if (block && !placed.has(block.id)) {
      slot.replaceWith(renderBlock(block));
      placed.add(block.id);
    } else {
      slot.remove();
    }
  }
  body.append(content);
  for (const block of blocks) if (!placed.has(block.id)) body.append(renderBlock(block));
  inertLinks(body);
}

/** Rendered links must never navigate the app's webview away from the deck. */
export function inertLinks(root: ParentNode): void {
  for (const a of root.querySelectorAll<HTMLAnchorElement>("a[href]")) {
    a.title = a.href;
    a.addEventListener("click", (e) => e.preventDefault());
  }
}

/** Whether core's HTML can be shown (DOMPurify needs a real DOM). */
export function canFillContent(): boolean {
  return DOMPurify.isSupported;
}

/**
 * The text a code block shows, in either window: core's `display` (its source without
 * the hidden `#|` setup lines, which must never reach a view), final newline dropped.
 */
export function blockText(block: { display: string }): string {
  return block.display.replace(/\n$/, "");
}

/** How an input line reads: its text, or the control key it sends (`^C`). */
export function inputLineText(line: { text: string; control: string | null }): string {
  if (line.control === null) return line.text;
  return `^${line.control.toUpperCase()}`;
}
