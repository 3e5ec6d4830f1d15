import { describe, expect, it } from "vitest";
import { block, step } from "./fixture.test-helpers";
import type { BlockStatus } from "./model";
import {
  BLINK_FOR_MS,
  CursorBlink,
  ECHO_MAX_BYTES,
  ECHO_WITHIN_MS,
  EchoWatch,
  keyTypingData,
  statusDetail,
  fontForGrid,
  OutputFeed,
  activeBlocks,
  badgeText,
  blockTerminals,
  isActive,
  nextToRun,
  opensLink,
  pageKey,
  terminalLinkHandler,
  usageLabel,
  terminalKey,
  zoomed,
  type KeyPress,
} from "./terminal-logic";

const status = (blockId: string, state: BlockStatus["state"], exitCode: number | null = null): BlockStatus => ({
  blockId,
  state,
  exitCode,
  durationMs: 1234,
  message: null,
});

describe("terminal pane rules", () => {
  it("names a block's terminals, split ones in order", () => {
    const b = block("b", {
      commands: [
        { terminal: "Terminal 1", text: "a", comment: null, line: 1, ports: [] },
        { terminal: "Terminal 2", text: "b", comment: null, line: 2, ports: [] },
        { terminal: "Terminal 1", text: "c", comment: null, line: 3, ports: [] },
      ],
    });
    expect(blockTerminals(b)).toEqual(["Terminal 1", "Terminal 2"]);
    expect(blockTerminals(block("i", { kind: "input", commands: [], terminal: "server" }))).toEqual(["server"]);
  });

  it("shows exit codes and durations on badges", () => {
    expect(badgeText(status("b", "failed", 2))).toBe("✗ exit 2 1.2s");
    expect(badgeText(status("b", "ok", 0))).toBe("✓ ok 1.2s");
    expect(badgeText(status("b", "waiting"))).toBe("… waiting for ready");
    expect(isActive("running")).toBe(true);
    expect(isActive("ready")).toBe(false);
  });

  it("Enter runs the next block not yet done", () => {
    const s = step("s", {
      blocks: [block("a"), block("shown", { kind: "shown" }), block("b"), block("c")],
    });
    const done = new Map([
      ["a", status("a", "ok", 0)],
      ["b", status("b", "running")],
    ]);
    expect(nextToRun(s, new Map())?.id).toBe("a");
    expect(nextToRun(s, done)?.id).toBe("c");
    done.set("b", status("b", "failed", 1));
    expect(nextToRun(s, done)?.id).toBe("b");
    done.set("b", status("b", "ok", 0)).set("c", status("c", "ready"));
    expect(nextToRun(s, done)).toBeNull();
  });

  it("zooms within bounds", () => {
    expect(zoomed(14, "=", 14)).toBe(16);
    expect(zoomed(8, "-", 14)).toBe(8);
    expect(zoomed(20, "0", 14)).toBe(14);
    expect(zoomed(14, "x", 14)).toBeNull();
  });
});

describe("badges for every state", () => {
  it("has a text for each state the backend sends", () => {
    expect(badgeText(status("b", "running"))).toBe("… running");
    expect(badgeText(status("b", "ready"))).toBe("● ready 1.2s");
    expect(badgeText(status("b", "timedOut"))).toBe("◷ timed out 1.2s");
    expect(badgeText(status("b", "stopped"))).toBe("■ stopped 1.2s");
    expect(badgeText(status("b", "failed"))).toBe("✗ failed 1.2s");
    expect(badgeText({ ...status("b", "ready"), message: "ready: port 8080" })).toBe("● ready: port 8080 1.2s");
    expect(badgeText({ ...status("b", "typing"), message: "press keys to type in `main`" })).toBe("⌨ press keys to type in `main`");
    expect(isActive("typing")).toBe(true);
    const split = { ...status("b", "ready"), message: "ready: Terminal 1: port 5401 · Terminal 2: quiet 500 ms" };
    expect(badgeText(split)).toBe("● ready ×2 1.2s");
    expect(statusDetail(split)).toBe("Terminal 1: port 5401   ·   Terminal 2: quiet 500 ms");
    expect(statusDetail({ ...status("b", "ready"), message: "ready: port 8080" })).toBeNull();
  });

  it("lists the terminals of input lines meant for several clients", () => {
    const b = block("i", {
      kind: "input",
      commands: [],
      terminal: "Client 1",
      input: [
        { text: "a", target: "Client 1", line: 2, control: null },
        { text: "b", target: "Client 2", line: 3, control: null },
      ],
    });
    expect(blockTerminals(b)).toEqual(["Client 1", "Client 2"]);
  });

  it("types keys pressed outside the terminals while a command waits for them", () => {
    const key = (k: string, mods: Partial<{ ctrlKey: boolean; altKey: boolean; metaKey: boolean }> = {}) =>
      keyTypingData({ key: k, ctrlKey: false, altKey: false, metaKey: false, ...mods });
    expect(key("a")).toBe("a");
    expect(key(" ")).toBe(" ");
    expect(key("PageDown")).toBe("\r");
    expect(key("Enter")).toBe("\r");
    expect(key("p")).toBeNull();
    expect(key("Escape")).toBeNull();
    expect(key(".", { ctrlKey: true })).toBeNull();
  });

  it("stops only what is still in progress", () => {
    const all = new Map([
      ["a", status("a", "running")],
      ["b", status("b", "waiting")],
      ["c", status("c", "ready")],
      ["d", status("d", "ok", 0)],
    ]);
    expect(activeBlocks(all)).toEqual(["a", "b"]);
  });
});

/** A fake xterm.js: records writes and parses them when told to. */
function fakeTerm() {
  const written: string[] = [];
  const waiting: (() => void)[] = [];
  const write = (bytes: Uint8Array, parsed: () => void) => {
    written.push(new TextDecoder().decode(bytes));
    waiting.push(parsed);
  };
  const parseAll = () => waiting.splice(0).forEach((f) => f());
  return { written, write, parseAll };
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe("flow-control acknowledgements", () => {
  it("writes the redraw first, then early batches in order, and acks only parsed output", () => {
    const term = fakeTerm();
    const acks: number[] = [];
    const feed = new OutputFeed(term.write, (n) => acks.push(n));
    feed.push(bytes("abc"));
    feed.push(bytes("de"));
    expect(term.written).toEqual([]);
    expect(feed.pending).toBe(5);

    feed.start(bytes("SCREEN"));
    expect(term.written).toEqual(["SCREEN", "abc", "de"]);
    expect(acks).toEqual([]); // nothing acknowledged before xterm parsed it

    term.parseAll();
    expect(acks).toEqual([3, 2]); // the redraw is not stream output: never acknowledged
    feed.push(bytes("fghi"));
    expect(feed.pending).toBe(4);
    term.parseAll();
    expect(acks.reduce((a, b) => a + b, 0)).toBe(9);
    expect(feed.pending).toBe(0);
  });

  it("acknowledges every byte exactly once across many batches", () => {
    const term = fakeTerm();
    let acked = 0;
    const feed = new OutputFeed(term.write, (n) => (acked += n));
    feed.start(new Uint8Array());
    let sent = 0;
    for (let i = 1; i <= 100; i++) {
      feed.push(new Uint8Array(i));
      sent += i;
      if (i % 7 === 0) term.parseAll();
    }
    term.parseAll();
    expect(acked).toBe(sent);
    expect(term.written).toHaveLength(100); // an empty redraw is not written
  });

  it("stops writing and acknowledging once closed", () => {
    const term = fakeTerm();
    const acks: number[] = [];
    const feed = new OutputFeed(term.write, (n) => acks.push(n));
    feed.start(new Uint8Array());
    feed.push(bytes("x"));
    feed.close();
    feed.push(bytes("y"));
    term.parseAll();
    expect(term.written).toEqual(["x"]);
    expect(acks).toEqual([]);
  });
});

const key = (k: string, mods: Partial<KeyPress> = {}): KeyPress => ({
  key: k,
  ctrlKey: false,
  shiftKey: false,
  altKey: false,
  metaKey: false,
  ...mods,
});

describe("keys", () => {
  it("terminal keys: zoom, copy, paste, stop; the rest reach the program", () => {
    expect(terminalKey(key("=", { ctrlKey: true }))).toBe("zoomIn");
    expect(terminalKey(key("+", { ctrlKey: true, shiftKey: true }))).toBe("zoomIn");
    expect(terminalKey(key("-", { ctrlKey: true }))).toBe("zoomOut");
    expect(terminalKey(key("0", { ctrlKey: true }))).toBe("zoomReset");
    expect(terminalKey(key("C", { ctrlKey: true, shiftKey: true }))).toBe("copy");
    expect(terminalKey(key("V", { ctrlKey: true, shiftKey: true }))).toBe("paste");
    expect(terminalKey(key(".", { ctrlKey: true }))).toBe("stop");
    expect(terminalKey(key("c", { ctrlKey: true }))).toBeNull(); // Ctrl+C interrupts the program
    expect(terminalKey(key("v", { ctrlKey: true }))).toBeNull();
    expect(terminalKey(key("=", { ctrlKey: true, altKey: true }))).toBeNull();
    expect(terminalKey(key("a"))).toBeNull();
  });

  it("page keys: Enter runs outside terminals and buttons; Ctrl+. stops anywhere", () => {
    const page = { inTerminal: false, onButton: false };
    expect(pageKey(key("Enter"), page)).toBe("run");
    expect(pageKey(key("Enter"), { ...page, inTerminal: true })).toBeNull();
    expect(pageKey(key("Enter"), { ...page, onButton: true })).toBeNull();
    expect(pageKey(key("Enter", { shiftKey: true }), page)).toBeNull();
    expect(pageKey(key("p"), { ...page, onButton: true })).toBe("play");
    expect(pageKey(key("p"), { ...page, inTerminal: true })).toBeNull();
    expect(pageKey(key("p", { ctrlKey: true }), page)).toBeNull();
    expect(pageKey(key(".", { ctrlKey: true }), { ...page, inTerminal: true })).toBe("stop");
    expect(pageKey(key("ArrowDown"), page)).toBeNull();
  });
});

describe("links", () => {
  it("Ctrl+click opens web links only", () => {
    const ctrl = { ctrlKey: true, metaKey: false };
    expect(opensLink(ctrl, "http://localhost:8080/health")).toBe(true);
    expect(opensLink({ ctrlKey: false, metaKey: true }, "https://example.com")).toBe(true);
    expect(opensLink({ ctrlKey: false, metaKey: false }, "https://example.com")).toBe(false);
    expect(opensLink(ctrl, "file:///etc/passwd")).toBe(false);
    expect(opensLink(ctrl, "javascript:alert(1)")).toBe(false);
  });
});

describe("terminalLinkHandler (OSC 8 hyperlinks)", () => {
  const click = (mods: { ctrlKey?: boolean; metaKey?: boolean } = {}) => {
    const e = { ctrlKey: mods.ctrlKey ?? false, metaKey: mods.metaKey ?? false, prevented: false, preventDefault() { e.prevented = true; } };
    return e;
  };

  it("opens an http(s) link through open_link only on Ctrl/Cmd+click", () => {
    const opened: string[] = [];
    const handler = terminalLinkHandler((uri) => opened.push(uri));
    expect(handler.allowNonHttpProtocols).toBe(false);
    handler.activate(click({ ctrlKey: true }), "http://localhost:8080/health");
    handler.activate(click({ metaKey: true }), "https://example.com/docs");
    const plain = click();
    handler.activate(plain, "https://example.com/plain-click");
    expect(plain.prevented).toBe(true);
    expect(opened).toEqual(["http://localhost:8080/health", "https://example.com/docs"]);
  });

  it("never opens other schemes or garbage, even with Ctrl held", () => {
    const opened: string[] = [];
    const handler = terminalLinkHandler((uri) => opened.push(uri));
    for (const uri of ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,<script>1</script>", "ssh://host", "not a url", "JAVASCRIPT:alert(1)//http://x"]) {
      const e = click({ ctrlKey: true });
      handler.activate(e, uri);
      expect(e.prevented).toBe(true);
    }
    expect(opened).toEqual([]);
  });

  it("is inert in a view that cannot open links (the audience's)", () => {
    const handler = terminalLinkHandler(undefined);
    const e = click({ ctrlKey: true });
    expect(() => handler.activate(e, "https://example.com")).not.toThrow();
    expect(e.prevented).toBe(true);
  });
});

describe("usageLabel", () => {
  it("is short: CPU percent and memory", () => {
    expect(usageLabel({ terminal: "main", cpuPercent: 3.4, rssBytes: 12 * 1024 * 1024, processes: 2 })).toBe("3% · 12 MB");
    expect(usageLabel({ terminal: "db", cpuPercent: 150, rssBytes: 3 * 1024 ** 3, processes: 9 })).toBe("150% · 3.0 GB");
  });
});

describe("fontForGrid", () => {
  const cell = { width: 0.6, height: 1.2 };
  it("fits the grid in both directions, in half pixels, with a margin", () => {
    // 100 columns across 1200 px: 20 px a column's font; 30 rows in 600 px: 16.7 px.
    expect(fontForGrid({ cols: 100, rows: 30 }, 1200, 600, cell)).toBe(16);
    expect(fontForGrid({ cols: 100, rows: 10 }, 1200, 600, cell)).toBe(19);
  });
  it("fits the columns alone when the height is unbounded", () => {
    expect(fontForGrid({ cols: 100, rows: 300 }, 600, Number.POSITIVE_INFINITY, cell)).toBe(9.5);
  });
  it("never goes below a floor, nor fails on an empty element", () => {
    expect(fontForGrid({ cols: 400, rows: 200 }, 300, 200, cell)).toBe(6);
    expect(fontForGrid({ cols: 100, rows: 30 }, 0, 0, cell)).toBe(6);
  });
});

describe("CursorBlink", () => {
  it("blinks only while focused and for a few seconds after the last activity", () => {
    const blink = new CursorBlink();
    expect(blink.blinks(0)).toBe(false);
    blink.activity(0);
    expect(blink.blinks(1), "not focused").toBe(false);
    blink.focus(1000);
    expect(blink.blinks(1000)).toBe(true);
    expect(blink.stopsIn(2000)).toBe(BLINK_FOR_MS - 1000);
    expect(blink.blinks(1000 + BLINK_FOR_MS)).toBe(false);
    expect(blink.stopsIn(1000 + BLINK_FOR_MS)).toBeNull();
    blink.activity(9000);
    expect(blink.blinks(9500)).toBe(true);
    blink.blur();
    expect(blink.blinks(9500)).toBe(false);
  });
});

describe("EchoWatch", () => {
  it("draws the first small write after a key at once, and only that one", () => {
    const echo = new EchoWatch();
    expect(echo.drawsNow(0, 1), "no key typed").toBe(false);
    echo.typed(100);
    expect(echo.drawsNow(103, 1)).toBe(true);
    expect(echo.drawsNow(104, 1), "the key's echo was drawn already").toBe(false);
  });

  it("leaves late or large output to the next frame", () => {
    const echo = new EchoWatch();
    echo.typed(0);
    expect(echo.drawsNow(ECHO_WITHIN_MS + 1, 1)).toBe(false);
    echo.typed(0);
    expect(echo.drawsNow(1, ECHO_MAX_BYTES + 1)).toBe(false);
    expect(echo.drawsNow(2, 1), "a large write ends the wait too").toBe(false);
    echo.typed(0);
    expect(echo.drawsNow(ECHO_WITHIN_MS, ECHO_MAX_BYTES)).toBe(true);
  });
});
