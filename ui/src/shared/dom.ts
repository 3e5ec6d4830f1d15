// DOM building without HTML parsing: every model string reaches the page as text.

type Attrs = Record<string, string | undefined>;

/** Creates an element with text content and attributes; never parses HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined) continue;
    if (name === "class") el.className = value;
    else el.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/**
 * Presenter text with its `code spans` as <code> elements (notes, Q&A, expectations
 * are plain text in the model). Built from text nodes: nothing in it is parsed as HTML.
 */
export function inlineCode(text: string): (Node | string)[] {
  const parts = text.split("`");
  // An odd number of backticks leaves one unpaired: keep the text as written.
  if (parts.length % 2 === 0) return [text];
  return parts.filter((p) => p !== "").length === 0
    ? [text]
    : parts.map((part, i) => (i % 2 === 1 ? h("code", {}, part) : part)).filter((p) => p !== "");
}

/**
 * Sets `el`'s text only when it differs: writing the same text still replaces its
 * text node, and the window repaints it (several labels are refreshed every second).
 */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Sets `el.dataset[key]` only when it differs (the same reason as `setText`). */
export function setData(el: HTMLElement, key: string, value: string): void {
  if (el.dataset[key] !== value) el.dataset[key] = value;
}

/** Shows or hides `el`, touching it only when that changes. */
export function setHidden(el: HTMLElement, hidden: boolean): void {
  if (el.hidden !== hidden) el.hidden = hidden;
}

/** The page's element `#id`; a page without it is a bug (its HTML and code disagree). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`${location.pathname} lacks #${id}`);
  return el as T;
}
