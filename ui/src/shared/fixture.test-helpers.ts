// Builders for model values in unit tests (not bundled: only *.test.ts import this).

import type { CellAttributes, CodeBlock, Runbook, Step } from "./model";

export function attributes(over: Partial<CellAttributes> = {}): CellAttributes {
  return {
    name: null, id: null, background: null, interactive: null, cwd: null,
    excludeFromRunAll: false, promptEnv: null, closeTerminalOnSuccess: null,
    openTerminalOnError: null, interpreter: null, mimeType: null, terminalRows: null,
    tags: [], ignore: false, terminal: null, expect: null, timeoutMs: null, waitFor: null,
    typing: null, port: null, redact: [], unknown: {}, ...over,
  };
}

export function block(id: string, over: Partial<CodeBlock> = {}): CodeBlock {
  const source = over.source ?? "echo hi\n";
  return {
    id, line: 1, endLine: 3, lang: "bash", info: "bash", attributes: attributes(),
    kind: "run", terminal: "main", source, commands: [{ terminal: "main", text: source.trim(), comment: null, line: 2, ports: [] }],
    input: [], background: false, substep: null, inferred: [], waitFor: null,
    hidden: [], display: source, interactive: false, prompt: null, inferredShell: false, notSent: [], ...over,
  };
}

export function step(id: string, over: Partial<Step> = {}): Step {
  return {
    id, title: id, level: 2, line: 1, endLine: 1, breadcrumbs: [], budget: null,
    optional: false, markdown: "", html: "", blocks: [], substeps: [], notes: [],
    questions: [], expectations: [], pitch: null, targets: [], links: [], ...over,
  };
}

export function runbook(steps: Step[], over: Partial<Runbook> = {}): Runbook {
  return {
    path: "/talks/basic.md", title: "Basic", steps,
    frontMatter: { title: null, shell: null, cwd: null, env: {}, skipPrompts: null, redact: [], redactPresenter: null, end: null, durationSeconds: null, typing: null, lines: null, extra: {} },
    outline: [], timeline: [], checklist: [], services: [], metrics: [], terminals: ["main"],
    diagnostics: [], codeBlocksInSource: 0, proposedTerminals: [], ...over,
  };
}
