// Pure logic behind the health bar and the charts: series buffers trimmed to a time
// window, labels, and target lines read from the runbook's metric-target tables.
// No DOM here, so vitest covers it whole.

import type { MetricPoint, MetricTarget, Runbook, ServiceStatus, SystemSample } from "../shared/model";

/** The chart window the presenter can choose, in seconds (1–5 minutes). */
export const WINDOW_CHOICES = [60, 120, 300] as const;
export const DEFAULT_WINDOW_S = 120;

/** One chart's data: x in Unix seconds, y values, oldest first. */
export interface Series {
  key: string;
  label: string;
  unit: string | null;
  xs: number[];
  ys: number[];
}

/** Keeps every series' points within the last `windowS` seconds. */
export class SeriesStore {
  private readonly series = new Map<string, Series>();

  constructor(public windowS: number = DEFAULT_WINDOW_S) {}

  /** Adds one point; returns the series it went to. */
  add(key: string, label: string, at: number, value: number, unit: string | null = null): Series {
    let s = this.series.get(key);
    if (!s) {
      s = { key, label, unit, xs: [], ys: [] };
      this.series.set(key, s);
    }
    const x = at / 1000;
    // Out-of-order points (a late poll) are dropped: uPlot needs ascending x.
    const last = s.xs[s.xs.length - 1];
    if (last !== undefined && x <= last) return s;
    s.xs.push(x);
    s.ys.push(value);
    s.unit = unit ?? s.unit;
    this.trim(s, x);
    return s;
  }

  addMetric(p: MetricPoint): Series {
    return this.add(metricKey(p.source, p.series), p.series, p.at, p.value, p.unit);
  }

  /** The machine's CPU and memory as two series (percent). */
  addSystem(sample: SystemSample): void {
    this.add("system/cpu", "CPU", sample.at, round1(sample.cpuPercent), "%");
    if (sample.memoryTotalBytes > 0) {
      const used = (100 * sample.memoryUsedBytes) / sample.memoryTotalBytes;
      this.add("system/memory", "Memory", sample.at, round1(used), "%");
    }
  }

  get(key: string): Series | undefined {
    return this.series.get(key);
  }

  keys(): string[] {
    return [...this.series.keys()];
  }

  setWindow(windowS: number): void {
    this.windowS = windowS;
    for (const s of this.series.values()) {
      const last = s.xs[s.xs.length - 1];
      if (last !== undefined) this.trim(s, last);
    }
  }

  clear(): void {
    this.series.clear();
  }

  private trim(s: Series, now: number): void {
    const from = now - this.windowS;
    let drop = 0;
    while (drop < s.xs.length && (s.xs[drop] ?? Infinity) < from) drop++;
    if (drop > 0) {
      s.xs.splice(0, drop);
      s.ys.splice(0, drop);
    }
  }
}

export function metricKey(source: string, series: string): string {
  return `${source}/${series}`;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** "12 ms" for a light's latency; nothing before the first answer. */
export function latencyLabel(status: ServiceStatus): string {
  const ms = status.latencyMs;
  if (ms === null) return "";
  // At most six characters: the label has a fixed width (style.css), so a new
  // latency every second never changes how the top bar fits.
  if (ms < 9.95) return `${ms.toFixed(1)} ms`;
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  return ms < 9950 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** The hover text of a light: state, URL, and the last error when there is one. */
export function lightTitle(status: ServiceStatus): string {
  const parts = [`${status.service}: ${status.health}`, status.url];
  if (status.error) parts.push(status.error);
  parts.push("Click to open in the browser");
  return parts.join("\n");
}

/** A number with its unit, short enough for a chart's corner: "42.5/s", "187 ms". */
export function valueLabel(value: number | undefined, unit: string | null): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const text = value.toFixed(digits);
  if (unit === "per second") return `${text}/s`;
  if (unit === "%") return `${text}%`;
  return unit ? `${text} ${unit}` : text;
}

/** A target parsed from a table cell like "< 200ms", "≤ 1 s", "99.9%". */
export interface ParsedTarget {
  value: number;
  /** "ms", "s", "%", or null for a bare number. */
  unit: string | null;
  /** Whether staying under the line is good ("<"), or over it (">"). */
  below: boolean;
}

export function parseTarget(text: string): ParsedTarget | null {
  const m = /([<>≤≥]=?)?\s*~?\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?|%|rps|\/s)?/i.exec(text);
  if (!m || m[2] === undefined) return null;
  const op = m[1] ?? "<";
  let unit = m[3]?.toLowerCase() ?? null;
  if (unit !== null && /^s(ec|econds?)?$/.test(unit)) unit = "s";
  if (unit === "rps" || unit === "/s") unit = "per second";
  return { value: Number(m[2]), unit, below: op.startsWith("<") || op.startsWith("≤") };
}

function words(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 1),
  );
}

/** Words that tie a target row to a series on their own (p95 ↔ `…:p95`, `p95_ms`). */
const DISTINCT = /^(p\d{2,3}|rps|qps|latency|errors?|throughput)$/;

/** The target lines that belong on the chart of `series`, in the series' unit. */
export function targetLines(series: string, unit: string | null, runbook: Runbook | null): number[] {
  if (!runbook) return [];
  const seriesWords = words(series);
  if (seriesWords.has("duration") || seriesWords.has("ms") || seriesWords.has("seconds")) seriesWords.add("latency");
  const lines: number[] = [];
  for (const t of allTargets(runbook)) {
    const shared = [...words(t.metric)].filter((w) => seriesWords.has(w));
    if (!shared.some((w) => DISTINCT.test(w)) && shared.length < 2) continue;
    const parsed = parseTarget(t.target);
    if (!parsed) continue;
    const value = inUnitOf(parsed, series, unit);
    if (value !== null && !lines.includes(value)) lines.push(value);
  }
  return lines;
}

function allTargets(runbook: Runbook): MetricTarget[] {
  return runbook.steps.flatMap((s) => s.targets);
}

/** A target's value in the unit the series is measured in (ms vs seconds). */
function inUnitOf(t: ParsedTarget, series: string, unit: string | null): number | null {
  const seriesInSeconds = /seconds/.test(series) || unit === "s";
  const seriesInMs = /(^|[_:.])ms($|[_:.])/.test(series) || unit === "ms";
  if (t.unit === "ms" && seriesInSeconds) return t.value / 1000;
  if (t.unit === "s" && seriesInMs) return t.value * 1000;
  return t.value;
}
