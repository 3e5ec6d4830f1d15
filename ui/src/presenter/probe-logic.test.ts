import { describe, expect, it } from "vitest";
import { runbook, step } from "../shared/fixture.test-helpers";
import type { ServiceStatus } from "../shared/model";
import { SeriesStore, latencyLabel, lightTitle, parseTarget, targetLines, valueLabel } from "./probe-logic";

function status(over: Partial<ServiceStatus> = {}): ServiceStatus {
  return {
    service: "demo", url: "http://127.0.0.1:7878/health", health: "up", at: 0,
    latencyMs: 12.4, httpStatus: 200, error: null, ...over,
  };
}

describe("SeriesStore", () => {
  it("keeps only the chosen window, oldest first", () => {
    const store = new SeriesStore(60);
    for (let t = 0; t <= 120; t += 10) store.add("a/x", "x", t * 1000, t);
    const s = store.get("a/x");
    expect(s?.xs).toEqual([60, 70, 80, 90, 100, 110, 120]);
    expect(s?.ys[0]).toBe(60);
  });

  it("drops points that arrive out of order", () => {
    const store = new SeriesStore();
    store.add("a/x", "x", 2000, 1);
    store.add("a/x", "x", 1000, 2);
    expect(store.get("a/x")?.ys).toEqual([1]);
  });

  it("narrowing the window trims what is held", () => {
    const store = new SeriesStore(300);
    for (let t = 0; t <= 300; t += 30) store.add("a/x", "x", t * 1000, t);
    store.setWindow(60);
    expect(store.get("a/x")?.xs).toEqual([240, 270, 300]);
  });

  it("system samples become CPU and memory percentages", () => {
    const store = new SeriesStore();
    store.addSystem({ at: 1000, cpuPercent: 12.345, memoryUsedBytes: 1, memoryTotalBytes: 4, terminals: [] });
    expect(store.get("system/cpu")?.ys).toEqual([12.3]);
    expect(store.get("system/memory")?.ys).toEqual([25]);
  });
});

describe("labels", () => {
  it("latency and hover text", () => {
    expect(latencyLabel(status())).toBe("12 ms");
    expect(latencyLabel(status({ latencyMs: 3.21 }))).toBe("3.2 ms");
    expect(latencyLabel(status({ latencyMs: null }))).toBe("");
    expect(latencyLabel(status({ latencyMs: 999.4 }))).toBe("999 ms");
    expect(latencyLabel(status({ latencyMs: 999.6 }))).toBe("1.0 s");
    expect(latencyLabel(status({ latencyMs: 2345 }))).toBe("2.3 s");
    expect(latencyLabel(status({ latencyMs: 30_000 }))).toBe("30 s");
    for (const ms of [0.1, 9.99, 10, 999, 1500, 9949, 9951, 120_000]) {
      expect(latencyLabel(status({ latencyMs: ms })).length).toBeLessThanOrEqual(6);
    }
    const title = lightTitle(status({ health: "down", error: "connection refused" }));
    expect(title).toContain("demo: down");
    expect(title).toContain("connection refused");
  });

  it("values with units", () => {
    expect(valueLabel(42.456, "per second")).toBe("42.5/s");
    expect(valueLabel(187.2, "ms")).toBe("187 ms");
    expect(valueLabel(undefined, null)).toBe("–");
  });
});

describe("targets", () => {
  it("parses table cells", () => {
    expect(parseTarget("< 200ms")).toEqual({ value: 200, unit: "ms", below: true });
    expect(parseTarget("> 100 rps")).toEqual({ value: 100, unit: "per second", below: false });
    expect(parseTarget("≤ 1.5 s")).toEqual({ value: 1.5, unit: "s", below: true });
    expect(parseTarget("fast")).toBeNull();
  });

  it("belong to the series they name, in its unit", () => {
    const rb = runbook([
      step("a", {
        targets: [
          { metric: "p95 latency", target: "< 250ms", achieved: null, line: 3 },
          { metric: "Throughput (rps)", target: "> 50 rps", achieved: null, line: 4 },
          { metric: "JWT Validation", target: "< 5ms", achieved: null, line: 5 },
        ],
      }),
    ]);
    expect(targetLines("p95_ms", null, rb)).toEqual([250]);
    expect(targetLines("demo_request_duration_seconds:p95", "s", rb)).toEqual([0.25]);
    expect(targetLines("rps", "per second", rb)).toEqual([50]);
    expect(targetLines("demo_in_flight_requests", null, rb)).toEqual([]);
  });
});
