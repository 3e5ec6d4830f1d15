import html from "../../index.html?raw";
import { beforeEach, describe, expect, it } from "vitest";
import { block, runbook, step } from "../shared/fixture.test-helpers";
import { inlineCode } from "../shared/dom";
import { renderBody, renderError, renderPresenter, renderSteps, renderStep } from "./render";


beforeEach(() => {
  document.documentElement.innerHTML = html.replace(/^<!doctype html>/i, "");
});

describe("steps list", () => {
  it("renders the stable hooks with budget and run counts", () => {
    const rb = runbook([
      step("intro", { budget: { seconds: 300, source: "heading", line: 1 } }),
      step("demo", { blocks: [block("demo-1"), block("demo-2", { kind: "shown" })] }),
    ]);
    const picked: number[] = [];
    renderSteps(rb, 1, (i) => picked.push(i));
    const items = document.querySelectorAll<HTMLLIElement>("#steps li.step");
    expect([...items].map((li) => li.dataset.stepId)).toEqual(["intro", "demo"]);
    expect(items[0]?.querySelector(".budget")?.textContent).toBe("5:00");
    expect(items[1]?.getAttribute("aria-current")).toBe("step");
    expect(items[1]?.querySelector(".run-count")?.textContent).toBe("▶ 1");
    items[0]?.click();
    expect(picked).toEqual([0]);
  });
});

describe("step body", () => {
  it("fills core's placeholders with blocks; Run and a status slot on runnable ones only", () => {
    const s = step("demo", {
      html: '<p>Start it:</p><div class="cue-block" data-block="demo-1"></div><div class="cue-block" data-block="demo-2"></div>',
      blocks: [block("demo-1", { background: true }), block("demo-2", { kind: "shown", lang: "go", source: "package main\n" })],
    });
    renderStep(s);
    const run = document.querySelector<HTMLButtonElement>('#step-body .cue-block[data-block="demo-1"] button.run');
    expect(run?.disabled).toBe(false);
    expect(document.querySelector('.cue-block[data-block="demo-1"] .status')?.getAttribute("data-status")).toBe("idle");
    expect(document.querySelector('.cue-block[data-block="demo-1"] .badge.background')).not.toBeNull();
    expect(document.querySelector('.cue-block[data-block="demo-2"] button.run')).toBeNull();
    expect(document.querySelector('.cue-block[data-block="demo-2"] pre')?.textContent).toBe("package main");
    expect(document.getElementById("step-title")?.textContent).toBe("demo");
  });

  it("strips script from core's HTML (defense in depth)", () => {
    const body = document.createElement("div");
    renderBody(body, step("x", { html: '<p onclick="alert(1)">hi</p><script>alert(1)</script><img src=x onerror="alert(1)">' }));
    expect(body.querySelector("script")).toBeNull();
    expect(body.querySelector("[onclick]")).toBeNull();
    expect(body.querySelector("[onerror]")).toBeNull();
    expect(body.textContent).toContain("hi");
  });

  it("falls back to the Markdown source as text, never as HTML", () => {
    const body = document.createElement("div");
    renderBody(body, step("x", { markdown: "<b>bold?</b>\n\n```bash\nls\n```\n", blocks: [block("x-1", { source: "ls\n" })] }));
    expect(body.querySelector("b")).toBeNull();
    expect(body.querySelector(".md-text")?.textContent).toBe("<b>bold?</b>");
    expect(body.querySelector('.cue-block[data-block="x-1"]')).not.toBeNull();
  });

  it("shows input blocks as typed lines", () => {
    const body = document.createElement("div");
    const input = block("chat", { kind: "input", input: [{ text: "hello", target: "Client 1", line: 4, control: null }], commands: [] });
    renderBody(body, step("x", { blocks: [input] }));
    expect(body.querySelector(".cue-block.kind-input .typed")?.textContent).toBe("hello");
  });

  it("shows a control line as the key and never a block's hidden setup lines", () => {
    const body = document.createElement("div");
    const stop = block("stop", { kind: "input", input: [{ text: "", target: null, line: 2, control: "c" }], commands: [] });
    const setup = block("setup", { source: "#| export TOKEN=hunter2\nls\n", display: "ls\n" });
    renderBody(body, step("x", { blocks: [stop, setup] }));
    expect(body.querySelector('.cue-block[data-block="stop"] .typed')?.textContent).toBe("^C");
    expect(body.querySelector('.cue-block[data-block="setup"] code')?.textContent).toBe("ls");
    expect(body.textContent).not.toContain("hunter2");
  });
});

describe("presenter column", () => {
  it("renders notes, Q&A and expectations as text", () => {
    renderPresenter(
      step("x", {
        notes: [{ kind: "talkingPoint", label: "Talking Points", text: "<i>latency</i> matters", line: 3 }],
        questions: [{ question: "Why Raft?", answer: "Leader election.", line: 5 }],
        expectations: [{ text: "You should see `LEADER`", output: "LEADER", line: 6 }],
      }),
    );
    const note = document.querySelector<HTMLElement>("#notes .note");
    expect(note?.dataset.kind).toBe("talkingPoint");
    expect(note?.textContent).toBe("<i>latency</i> matters");
    expect(document.querySelector("#qa .qa-card .question")?.textContent).toBe("Why Raft?");
    expect(document.querySelector("#qa .qa-card .answer")?.textContent).toBe("Leader election.");
    expect(document.querySelectorAll("#expectations .expectation")).toHaveLength(1);
  });
});

describe("error panel", () => {
  it("is hidden without errors", () => {
    renderError(null, runbook([]));
    expect(document.getElementById("error")?.hidden).toBe(true);
  });
  it("names file and line of error diagnostics", () => {
    renderError(null, runbook([], { diagnostics: [{ severity: "error", line: 12, message: "unclosed fence" }] }));
    const panel = document.getElementById("error");
    expect(panel?.hidden).toBe(false);
    expect(panel?.textContent).toContain("basic.md:12: unclosed fence");
  });
  it("names the file and reason of a load error", () => {
    renderError({ kind: "unreadable", path: "/x/missing.md", reason: "No such file" }, null);
    expect(document.getElementById("error")?.textContent).toContain("/x/missing.md: No such file");
  });
});

describe("inlineCode", () => {
  it("turns code spans into code elements and keeps everything else as text", () => {
    const parts = inlineCode("The `demo` light turns green when `/health` answers");
    expect(parts.map((p) => (typeof p === "string" ? p : `<${(p as Element).tagName}>${p.textContent}`))).toEqual([
      "The ",
      "<CODE>demo",
      " light turns green when ",
      "<CODE>/health",
      " answers",
    ]);
    expect(inlineCode("no code here")).toEqual(["no code here"]);
    expect(inlineCode("one ` unpaired")).toEqual(["one ` unpaired"]);
    const html = inlineCode("`<img src=x onerror=alert(1)>`");
    expect((html[0] as Element).innerHTML).toBe("&lt;img src=x onerror=alert(1)&gt;");
  });
});
