// asciinema-player (the web player a backup bundle embeds) reads our casts: its own
// parser and driver play `fixtures/recorded.cast`, written by our recorder (the Rust
// test `committed_player_fixture_matches_the_recorder` keeps it current), and deliver
// the same output and the same step markers.

import { describe, expect, it } from "vitest";
import castText from "./fixtures/recorded.cast?raw";

type CastEvent = [number, string, string];

interface PlayerCore {
  addEventListener(name: string, handler: (event: unknown) => void): void;
  terminalReady(): void;
  init(): Promise<void>;
  play(): Promise<unknown>;
  getDuration(): number | undefined;
}

type CoreClass = new (src: { data: string }, opts: Record<string, unknown>) => PlayerCore;

/**
 * The player's headless core (what `AsciinemaPlayer.create` drives; its UI needs a
 * canvas, which jsdom lacks). The package exports it only from a content-hashed chunk.
 */
async function playerCore(): Promise<CoreClass> {
  const chunks = import.meta.glob<{ C: CoreClass }>("../../node_modules/asciinema-player/dist/core-*.js");
  const load = Object.values(chunks)[0];
  if (!load) throw new Error("no core chunk in asciinema-player/dist: did the package change its layout?");
  return (await load()).C;
}

function ourEvents(): CastEvent[] {
  return castText
    .split("\n")
    .slice(1)
    .filter((l: string) => l.trim() !== "")
    .map((l: string) => JSON.parse(l) as CastEvent);
}

describe("asciinema-player", () => {
  it("plays our cast: the same output, the same step markers, its duration", async () => {
    const Core = await playerCore();
    const quiet = { log() {}, debug() {}, info() {}, warn: console.warn, error: console.error };
    const core = new Core({ data: castText }, { logger: quiet, speed: 20, preload: true, pauseOnMarkers: false });
    let output = "";
    const markers: string[] = [];
    core.addEventListener("output", (e) => {
      output += (e as string[]).join("");
    });
    core.addEventListener("marker", (e) => markers.push((e as { label: string }).label));
    const ended = new Promise((resolve) => core.addEventListener("ended", resolve));
    core.terminalReady();
    await core.init();

    const events = ourEvents();
    const last = events[events.length - 1];
    expect(last).toBeDefined();
    expect(core.getDuration()).toBeCloseTo(last?.[0] ?? -1, 3);

    await core.play();
    await ended;
    const expected = events.filter((e) => e[1] === "o").map((e) => e[2]).join("");
    expect(output).toBe(expected);
    expect(output).toContain("héllo → ✓");
    expect(markers.filter((m) => /^(start|end) /.test(m))).toEqual([
      "start greet",
      "end greet",
      "start count",
      "end count",
      "start secret",
      "end secret",
    ]);
  });
});
