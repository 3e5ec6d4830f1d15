// Model -> DOM. Model strings only ever reach the DOM as text (textContent, attribute
// values); the one HTML input, core's rendered Markdown, goes through DOMPurify first.

import { byId, h, inlineCode } from "../shared/dom";
import type { CodeBlock, Diagnostic, OpenError, Runbook, Step } from "../shared/model";
import { blockText, canFillContent, fillContent, inertLinks, inputLineText } from "../shared/step-content";
import {
  countBlocks,
  errorDiagnostics,
  fileName,
  formatBudget,
  groupNotes,
  location,
  sectionLabels,
  splitMarkdown,
} from "../shared/logic";



// --- Left column: the steps ---

export function renderSteps(runbook: Runbook, current: number, onSelect: (index: number) => void): void {
  const list = byId<HTMLOListElement>("steps");
  list.replaceChildren();
  const sections = sectionLabels(runbook.steps);
  let group: string | undefined;
  runbook.steps.forEach((step, index) => {
    const section = sections[index];
    if (section !== undefined && section !== group) {
      list.append(h("li", { class: "group", role: "presentation" }, section));
    }
    group = section;
    const runnable = countBlocks(step, "run");
    const inputs = countBlocks(step, "input");
    const item = h(
      "li",
      {
        class: `step level-${Math.min(step.level, 6)}${step.optional ? " optional" : ""}`,
        "data-step-id": step.id,
        "data-index": String(index),
        tabindex: "-1",
      },
      h("span", { class: "step-number" }, String(index + 1)),
      h("span", { class: "step-name" }, step.title),
      h(
        "span",
        { class: "step-meta" },
        runnable > 0
          ? h("span", { class: "pill run-count", title: plural(runnable, "runnable block") }, `▶ ${runnable}`)
          : null,
        inputs > 0 ? h("span", { class: "pill input-count", title: plural(inputs, "input block") }, `⌨ ${inputs}`) : null,
        step.budget ? h("span", { class: "budget", title: "Time budget" }, formatBudget(step.budget.seconds)) : null,
      ),
    );
    if (index === current) item.setAttribute("aria-current", "step");
    item.addEventListener("click", () => onSelect(index));
    list.append(item);
  });
}

/** Moves the highlight without rebuilding the list; scrolls the step into view. */
export function markCurrent(current: number): void {
  const list = byId("steps");
  for (const li of list.querySelectorAll<HTMLLIElement>("li.step")) {
    if (li.dataset.index === String(current)) {
      li.setAttribute("aria-current", "step");
      li.scrollIntoView?.({ block: "nearest" });
    } else {
      li.removeAttribute("aria-current");
    }
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

// --- Middle: the current step ---

export function renderStep(step: Step | undefined): void {
  const crumbs = byId("breadcrumbs");
  const title = byId("step-title");
  const budget = byId("step-budget");
  const body = byId("step-body");
  crumbs.replaceChildren(...(step?.breadcrumbs ?? []).map((c) => h("li", {}, c)));
  title.textContent = step?.title ?? "";
  budget.hidden = !step?.budget;
  budget.textContent = step?.budget ? `◷ ${formatBudget(step.budget.seconds)}` : "";
  body.replaceChildren();
  if (!step) {
    body.append(h("p", { class: "muted" }, "This runbook has no steps yet: add a heading with a shell block under it."));
    return;
  }
  if (step.optional) body.append(h("p", { class: "optional-banner" }, "Optional: not part of Run All"));
  renderBody(body, step);
  const stage = byId("stage");
  stage.scrollTop = 0;
}

/** Fills `body` with the step's content: core's HTML (sanitized), else its Markdown as text. */
export function renderBody(body: HTMLElement, step: Step): void {
  if (step.html && canFillContent()) {
    fillContent(body, step.html, step.blocks, renderBlock);
    return;
  }
  const content = h("div", { class: "markdown source" });
  for (const segment of splitMarkdown(step.markdown, step.blocks)) {
    content.append(segment.kind === "text" ? h("div", { class: "md-text" }, segment.text) : renderBlock(segment.block));
  }
  body.append(content);
  inertLinks(body);
}

export function renderBlock(block: CodeBlock): HTMLElement {
  const head = h(
    "div",
    { class: "cue-head" },
    h("span", { class: "lang" }, block.lang ?? "text"),
    block.attributes.name ? h("span", { class: "cell-name" }, block.attributes.name) : null,
    block.kind === "input" ? h("span", { class: "badge input" }, "input") : null,
    block.kind === "shown" ? h("span", { class: "badge shown" }, "shown only") : null,
    block.inferredShell
      ? h("span", { class: "badge inferred", title: "No language given: it reads as shell commands, so it runs in the terminal" }, "inferred shell")
      : null,
    block.notSent.length > 0
      ? h(
          "span",
          { class: "badge not-sent", title: `Lines ${block.notSent.join(", ")} are shown but not sent (pasted output or // notes)` },
          `${block.notSent.length} not sent`,
        )
      : null,
    block.background ? h("span", { class: "badge background" }, "background") : null,
    block.interactive && !block.background
      ? h("span", { class: "badge interactive", title: "Ready once it waits for input; it stays running" }, "interactive")
      : null,
    block.hidden.length > 0
      ? h("span", { class: "badge hidden-setup", title: "Hidden setup lines (#|) run first, unseen" }, `+${block.hidden.length} setup`)
      : null,
    typingBadge(block),
    block.attributes.interpreter
      ? h(
          "span",
          { class: "badge interpreter", title: "The block runs with this program instead of its language's usual one" },
          `runs with ${block.attributes.interpreter}`,
        )
      : null,
    block.attributes.cwd ? h("span", { class: "badge cwd", title: "The folder the block runs in" }, `in ${block.attributes.cwd}`) : null,
    ...terminalBadges(block),
    h("span", { class: "spacer" }),
  );
  if (block.kind !== "shown") {
    // Clicks are handled by the terminal pane (event delegation on the step body).
    const what = block.kind === "input" ? "Type these lines into the running program" : "Run in the terminal";
    head.append(
      h("span", { class: "status", "data-status": "idle", "aria-live": "polite" }),
      h("button", { class: "stop", type: "button", title: "Stop (Ctrl+.): Ctrl+C, then SIGTERM, then SIGKILL", hidden: "" }, "■ Stop"),
      h("button", { class: "run", type: "button", title: `${what} (Enter)`, "aria-label": "Run" }, "▶ Run"),
    );
  }
  const code =
    block.kind === "input" && block.input.length > 0
      ? h(
          "pre",
          { class: "input-lines" },
          ...block.input.map((line) =>
            h(
              "div",
              { class: "input-line" },
              line.target ? h("span", { class: "input-target" }, `${line.target} `) : null,
              h("span", { class: "input-prompt" }, "› "),
              h("span", { class: line.control ? "typed control" : "typed" }, inputLineText(line)),
            ),
          ),
        )
      : h("pre", {}, h("code", {}, blockText(block).replace(/\n$/, "")));
  const detail = block.kind === "shown" ? null : h("div", { class: "status-detail", hidden: "" });
  return h("div", { class: `cue-block kind-${block.kind}`, "data-block": block.id, "data-kind": block.kind }, head, detail, code);
}

/** The terminals a block uses, one badge each; a split into more than two, one badge. */
function terminalBadges(block: CodeBlock): HTMLElement[] {
  const names = terminals(block);
  if (names.length <= 2) return names.map((t) => h("span", { class: "badge terminal", title: "Terminal" }, `▣ ${t}`));
  return [h("span", { class: "badge terminal", title: `Terminals: ${names.join(", ")}` }, `▣ ${names.length} terminals`)];
}

/** "typed 40/s" or "typed on keys" when the block (not the front matter) asks for it. */
function typingBadge(block: CodeBlock): HTMLElement | null {
  const typing = block.attributes.typing;
  if (typing === null) return null;
  const label = typing === "keys" ? "typed on keys" : `typed ${typing.cps}/s`;
  return h("span", { class: "badge typing", title: "The command is typed visibly" }, label);
}

function terminals(block: CodeBlock): string[] {
  const names = new Set(block.commands.map((c) => c.terminal));
  if (block.attributes.terminal) names.add(block.attributes.terminal);
  names.delete("main");
  return [...names];
}

// --- Right: presenter notes ---

export function renderPresenter(step: Step | undefined): void {
  const pitchSection = byId("pitch-section");
  pitchSection.hidden = !step?.pitch;
  byId("pitch").textContent = step?.pitch ?? "";

  const notes = byId("notes");
  notes.replaceChildren();
  for (const group of groupNotes(step?.notes ?? [])) {
    notes.append(
      h(
        "section",
        { class: "note-group", "data-kind": group.kind },
        h("h4", {}, group.label),
        h("ul", {}, ...group.notes.map((n) => h("li", { class: "note", "data-kind": n.kind }, ...inlineCode(n.text)))),
      ),
    );
  }
  if (!notes.childElementCount) notes.append(h("p", { class: "muted" }, "No notes for this step."));

  const qa = byId("qa");
  qa.replaceChildren(
    ...(step?.questions ?? []).map((card) =>
      h(
        "div",
        { class: "qa-card" },
        h("p", { class: "question" }, ...inlineCode(card.question)),
        h("p", { class: "answer" }, ...inlineCode(card.answer)),
      ),
    ),
  );
  byId("qa-section").hidden = !step?.questions.length;

  const expectations = byId("expectations");
  expectations.replaceChildren(
    ...(step?.expectations ?? []).map((e) =>
      h("li", { class: "expectation" }, ...inlineCode(e.text), e.output ? h("code", { class: "expected-output" }, e.output) : null),
    ),
  );
  byId("expectations-section").hidden = !step?.expectations.length;

  const targets = byId<HTMLTableElement>("targets");
  const rows = step?.targets ?? [];
  targets.replaceChildren(
    h("thead", {}, h("tr", {}, h("th", {}, "Metric"), h("th", {}, "Target"), h("th", {}, "Achieved"))),
    h(
      "tbody",
      {},
      ...rows.map((t) => h("tr", { class: "target" }, h("td", {}, t.metric), h("td", {}, t.target), h("td", {}, t.achieved ?? "—"))),
    ),
  );
  byId("targets-section").hidden = rows.length === 0;
}

// --- Header, error panel, empty state ---

export function renderHeader(runbook: Runbook | null, current: number): void {
  const title = runbook?.title.trim() || (runbook?.path ? fileName(runbook.path) : "Cuedeck");
  const heading = byId("runbook-title");
  heading.textContent = title;
  heading.title = title; // the whole title, when the bar is too narrow for it
  const counter = byId("step-counter");
  counter.textContent = runbook && runbook.steps.length > 0 ? `Step ${current + 1} / ${runbook.steps.length}` : "";
  const warnings = runbook?.diagnostics.filter((d) => d.severity === "warning") ?? [];
  const summary = byId("diag-summary");
  summary.hidden = warnings.length === 0;
  summary.textContent = warnings.length ? `⚠ ${plural(warnings.length, "warning")}` : "";
  summary.title = warnings.map((d) => `${location(runbook?.path ?? null, d.line)}: ${d.message}`).join("\n");
}

/** Shows the error panel for a load failure or a runbook's error diagnostics; hides it otherwise. */
export function renderError(error: OpenError | null, runbook: Runbook | null): void {
  const panel = byId("error");
  panel.replaceChildren();
  const diagnostics: Diagnostic[] = runbook ? errorDiagnostics(runbook) : [];
  if (error) {
    panel.append(
      h("p", { class: "error-title" }, "Cannot open this runbook"),
      h("p", { class: "error-line" }, h("code", { class: "where" }, error.path), `: ${error.reason}`),
    );
  } else if (diagnostics.length > 0) {
    panel.append(h("p", { class: "error-title" }, `This runbook has ${plural(diagnostics.length, "error")}`));
    for (const d of diagnostics) {
      panel.append(
        h(
          "p",
          { class: "error-line" },
          h("code", { class: "where", title: runbook?.path ?? undefined }, location(runbook?.path ?? null, d.line)),
          `: ${d.message}`,
        ),
      );
    }
  }
  panel.hidden = panel.childElementCount === 0;
}

/** Which of the three main views shows: the deck, or the empty drop zone. */
export function showDeck(deck: boolean): void {
  byId("deck").hidden = !deck;
  byId("empty").hidden = deck;
}
