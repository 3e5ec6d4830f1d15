// The chart strip: one uPlot chart per metric series (and the machine's CPU and
// memory), over a 1–5 minute window, with the runbook's targets drawn as dashed lines.
//
// Idle cost: a chart is drawn again only when a point arrived for it, at most once per
// animation frame, and only while it is in sight: a chart scrolled out of the strip,
// or any chart while the window is hidden or minimised, is drawn when it is seen again.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { setText } from "../shared/dom";
import { PerFrame } from "../shared/frames";
import type { MetricPoint, Runbook, SystemSample } from "../shared/model";
import { type Series, SeriesStore, targetLines, valueLabel } from "./probe-logic";

const COLORS = ["#5fd49a", "#7cc4ff", "#ffb547", "#d69bff", "#ff8fa3", "#9be3e0"];
const HEIGHT = 86;

interface Chart {
  series: Series;
  plot: uPlot;
  value: HTMLElement;
  box: HTMLElement;
  targets: number[];
}

export class ChartStrip {
  readonly store = new SeriesStore();
  private readonly charts = new Map<string, Chart>();
  private runbook: Runbook | null = null;
  private readonly errors = new Map<string, string>();
  /** Charts with points they have not drawn yet. */
  private readonly stale = new Set<Chart>();
  /** The chart boxes in sight now. */
  private readonly inSight = new Set<Element>();
  private readonly frame = new PerFrame<Chart>(() => this.drawPending());
  private readonly sight = new IntersectionObserver((entries) => this.onSight(entries));
  /** What the section's pinned height was measured for (see `pin`). */
  private pinnedFor = "";

  constructor(
    private readonly root: HTMLElement,
    private readonly list: HTMLElement,
    windowSelect: HTMLSelectElement,
  ) {
    windowSelect.addEventListener("change", () => {
      this.store.setWindow(Number(windowSelect.value));
      for (const chart of this.charts.values()) this.redraw(chart);
      this.drawLater();
    });
    new ResizeObserver(() => this.resize()).observe(list);
    if (root.parentElement) new ResizeObserver(() => this.pin(null)).observe(root.parentElement);
    document.addEventListener("visibilitychange", () => this.drawLater());
  }

  /** A new runbook (or a reload): targets may have changed; another file starts afresh. */
  setRunbook(runbook: Runbook, samePath: boolean): void {
    this.runbook = runbook;
    if (!samePath) {
      for (const chart of this.charts.values()) {
        this.sight.unobserve(chart.box);
        chart.plot.destroy();
      }
      this.charts.clear();
      this.stale.clear();
      this.inSight.clear();
      this.store.clear();
      this.errors.clear();
      this.list.replaceChildren();
    }
    for (const chart of this.charts.values()) {
      chart.targets = targetLines(chart.series.label, chart.series.unit, runbook);
      this.redraw(chart);
    }
    this.drawLater();
    this.updateEmpty();
  }

  /**
   * A source's new points (and error). The plots are drawn by the `drawPending` that
   * follows in the same frame (main.ts), so no frame of their own is asked for.
   */
  addMetrics(source: string, points: MetricPoint[], error: string | null): void {
    if (error) this.errors.set(source, error);
    else this.errors.delete(source);
    for (const p of points) this.show(this.store.addMetric(p));
    this.updateEmpty();
  }

  addSystem(sample: SystemSample): void {
    this.store.addSystem(sample);
    for (const key of ["system/cpu", "system/memory"]) {
      const series = this.store.get(key);
      if (series) this.show(series);
    }
    this.updateEmpty();
  }

  private show(series: Series): void {
    const chart = this.charts.get(series.key) ?? this.create(series);
    this.redraw(chart);
  }

  /**
   * Draws the charts that got points and are in sight. Once per frame: at the end of
   * the frame that applied a round of probe events (main.ts), so the charts are painted
   * with the lights in that one frame rather than in a frame of their own after it
   * (each repaint costs the web and app processes), and in the frame after a chart
   * comes into sight or the window is shown again.
   */
  drawPending(): void {
    if (document.hidden) return;
    for (const chart of this.stale) {
      if (!this.inSight.has(chart.box)) continue;
      this.stale.delete(chart);
      const s = chart.series;
      chart.plot.setData([s.xs, s.ys]);
    }
  }

  /** Asks for a frame if a chart waits to be drawn. */
  private drawLater(): void {
    const first = this.stale.values().next();
    if (!first.done) this.frame.push(first.value);
  }

  private onSight(entries: IntersectionObserverEntry[]): void {
    for (const e of entries) {
      if (e.isIntersecting) this.inSight.add(e.target);
      else this.inSight.delete(e.target);
    }
    this.drawLater();
  }

  private create(series: Series): Chart {
    const box = document.createElement("div");
    box.className = "chart";
    box.dataset.series = series.key;
    const head = document.createElement("div");
    head.className = "chart-head";
    const name = document.createElement("span");
    name.className = "chart-name";
    name.textContent = series.label;
    name.title = series.key;
    const value = document.createElement("span");
    value.className = "chart-value";
    head.append(name, value);
    const canvas = document.createElement("div");
    box.append(head, canvas);
    // The runbook's metrics first, the machine's CPU and memory last.
    const firstSystem = this.list.querySelector('.chart[data-series^="system/"]');
    if (series.key.startsWith("system/") || !firstSystem) this.list.append(box);
    else this.list.insertBefore(box, firstSystem);
    const chart: Chart = {
      series,
      value,
      box,
      targets: targetLines(series.label, series.unit, this.runbook),
      plot: new uPlot(this.options(series, this.charts.size), [[], []], canvas),
    };
    // Targets are read through `chart` at draw time, so a reload's new targets apply.
    chart.plot.hooks.draw = [(u: uPlot) => drawTargets(u, chart.targets)];
    this.charts.set(series.key, chart);
    this.sight.observe(box);
    return chart;
  }

  private options(series: Series, index: number): uPlot.Options {
    const color = series.key.startsWith("system/") ? "#9aa6bf" : (COLORS[index % COLORS.length] ?? "#5fd49a");
    const axis = { stroke: "#6b7794", grid: { stroke: "#222c42", width: 1 }, ticks: { show: false }, font: "11px sans-serif" };
    return {
      width: Math.max(160, this.list.clientWidth - 4),
      height: HEIGHT,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        // Always the chosen window ending at the newest point, so a chart with one
        // point shows a time axis too, and every chart shares the same span.
        x: { time: true, range: (_u, _min, max) => [max - this.store.windowS, max] },
        y: { range: (_u, min, max) => yRange(min, max, this.charts.get(series.key)?.targets ?? []) },
      },
      axes: [{ ...axis, size: 22 }, { ...axis, size: 38 }],
      series: [{}, { stroke: color, width: 2, fill: `${color}22`, points: { show: false } }],
    };
  }

  /**
   * Its label and point count now; the plot at the next `drawPending` while it is in
   * sight (a caller outside a probe round's frame asks for one with `drawLater`).
   */
  private redraw(chart: Chart): void {
    const s = chart.series;
    this.stale.add(chart);
    setText(chart.value, valueLabel(s.ys[s.ys.length - 1], s.unit));
    const points = String(s.xs.length);
    if (chart.box.dataset.points !== points) chart.box.dataset.points = points;
  }

  private resize(): void {
    const width = Math.max(160, this.list.clientWidth - 4);
    for (const chart of this.charts.values()) chart.plot.setSize({ width, height: HEIGHT });
  }

  private updateEmpty(): void {
    const empty = this.root.querySelector<HTMLElement>(".charts-empty");
    if (!empty) return;
    const errors = [...this.errors.entries()].map(([source, e]) => `${source}: ${e}`);
    const hidden = this.charts.size > 0 && errors.length === 0;
    if (empty.hidden !== hidden) empty.hidden = hidden;
    setText(empty, errors.length > 0 ? errors.join("\n") : "No metrics yet.");
    empty.classList.toggle("error", errors.length > 0);
    this.pin(`${this.charts.size}|${hidden}|${empty.textContent}`);
  }

  /**
   * Pins the section at the height its content asks for, as a relayout boundary
   * (`.pinned` in style.css): a round of new values then lays out and repaints the
   * section alone. Without it WebKit laid out and repainted the whole presenter column
   * for each round (857 600 bytes painted, against 294 840), and a boundary per chart
   * head does not help: two of them changing in one frame make it lay out everything.
   * Measured again only when the content changes `shape` (a chart added, the empty
   * line or its text) or, for `null`, when the column was resized.
   */
  private pin(shape: string | null): void {
    if (shape !== null) {
      if (shape === this.pinnedFor) return;
      this.pinnedFor = shape;
    }
    this.root.classList.remove("pinned");
    this.root.style.height = "";
    this.root.style.height = `${this.root.getBoundingClientRect().height}px`;
    this.root.classList.add("pinned");
  }
}

/** The y range: the data's, widened to show every target line. */
function yRange(min: number | null, max: number | null, targets: number[]): uPlot.Range.MinMax {
  const values = [min ?? 0, max ?? 1, ...targets].filter((v) => Number.isFinite(v));
  const lo = Math.min(0, ...values);
  const hi = Math.max(...values);
  return [lo, hi === lo ? lo + 1 : hi * 1.1];
}

function drawTargets(u: uPlot, targets: number[]): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.strokeStyle = "#ffb547";
  ctx.setLineDash([6, 4]);
  ctx.lineWidth = Math.max(1, devicePixelRatio);
  for (const t of targets) {
    const y = Math.round(u.valToPos(t, "y", true));
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
  }
  ctx.restore();
}
