/**
 * Interactive charts of a report with uPlot (zoom by dragging, hover values, click a legend entry
 * to hide a series): every chart a metric declares in the report (perplexity by position, needle NLL
 * and accuracy by depth, with standard-error bars), and the per-pair factors with the critical
 * dimensions marked. Nothing here knows a metric by name.
 *
 * @module
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Report } from "./api.ts";
import type { ChartPoint } from "../compare/report_types.ts";
import { chartsOf } from "../compare/report_view.ts";
import { errorBar, seriesStyle } from "../util/svg_chart.ts";
import { fitRange } from "./axis_range.ts";

interface Line {
  name: string;
  points: ChartPoint[];
  dashed?: boolean;
}

/** Vertical markers drawn over the plot (L0, critical dimensions). */
function markersPlugin(markers: { x: number; label: string }[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const c = u.ctx;
        c.save();
        c.strokeStyle = "#888";
        c.fillStyle = "#555";
        c.setLineDash([4, 4]);
        c.font = `${12 * devicePixelRatio}px sans-serif`;
        for (const m of markers) {
          const x = u.valToPos(m.x, "x", true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          c.beginPath();
          c.moveTo(x, u.bbox.top);
          c.lineTo(x, u.bbox.top + u.bbox.height);
          c.stroke();
          c.fillText(m.label, x + 4, u.bbox.top + 14 * devicePixelRatio);
        }
        c.restore();
      },
    },
  };
}

/** ± standard-error bars for the points that carry one (hidden series draw none). */
function errorBarsPlugin(lines: Line[], colors: string[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const c = u.ctx;
        c.save();
        c.lineWidth = devicePixelRatio;
        lines.forEach((l, i) => {
          if (!u.series[i + 1].show) return;
          c.strokeStyle = colors[i];
          for (const p of l.points) {
            const bar = errorBar(p);
            if (!bar) continue;
            const px = u.valToPos(p[0], "x", true);
            const [lo, hi] = [u.valToPos(bar[0], "y", true), u.valToPos(bar[1], "y", true)];
            c.beginPath();
            c.moveTo(px, lo);
            c.lineTo(px, hi);
            c.moveTo(px - 4, lo);
            c.lineTo(px + 4, lo);
            c.moveTo(px - 4, hi);
            c.lineTo(px + 4, hi);
            c.stroke();
          }
        });
        c.restore();
      },
    },
  };
}

/** Lines on a shared x axis (uPlot wants aligned columns; gaps are null). */
export function lineChart(
  parent: HTMLElement,
  title: string,
  axes: { x: string; y: string; logY?: boolean; integerX?: boolean },
  lines: Line[],
  markers: { x: number; label: string }[] = [],
): void {
  const xs = [...new Set(lines.flatMap((l) => l.points.map(([x]) => x)))].sort((a, b) => a - b);
  const columns = lines.map((l) => {
    const byX = new Map(l.points.map(([x, y]) => [x, y]));
    return xs.map((x) => byX.get(x) ?? null);
  });
  const styles = lines.map((l, i) => (l.dashed ? { color: "#666", dash: "6 4" } : seriesStyle(i)));
  const figure = document.createElement("figure");
  figure.className = "chart";
  // The canvas says nothing to a screen reader: the title and series are given in words.
  figure.setAttribute("role", "img");
  figure.setAttribute(
    "aria-label",
    `${title}: ${axes.y} by ${axes.x}; series ${lines.map((l) => l.name).join(", ")}`,
  );
  parent.append(figure);
  const xRange = fitRange(xs);
  const yRange = fitRange(
    lines.flatMap((l) => l.points.flatMap((p) => [p[1], ...(errorBar(p) ?? [])])),
    axes.logY,
  );
  new uPlot(
    {
      title,
      width: Math.max(280, Math.min(900, (parent.clientWidth || 900) - 8)),
      height: 320,
      scales: {
        x: { time: false, ...(xRange ? { range: xRange } : {}) },
        y: { ...(axes.logY ? { distr: 3 } : {}), ...(yRange ? { range: yRange } : {}) },
      },
      axes: [
        { label: axes.x, ...(axes.integerX ? { incrs: [1, 2, 4, 8, 16, 32, 64, 128, 256] } : {}) },
        { label: axes.y, size: 60 },
      ],
      series: [
        { label: axes.x },
        ...lines.map((l, i) => ({
          label: l.name,
          stroke: styles[i].color,
          dash: styles[i].dash ? styles[i].dash.split(" ").map(Number) : undefined,
          width: 1.5,
          spanGaps: true,
          points: { show: xs.length < 40 },
        })),
      ],
      plugins: [markersPlugin(markers), errorBarsPlugin(lines, styles.map((s) => s.color))],
    },
    [xs, ...columns] as uPlot.AlignedData,
    figure,
  );
}

/** Draws every chart the report has data for into `parent`. */
export function drawCharts(parent: HTMLElement, r: Report): void {
  parent.replaceChildren();
  if (r.version !== 2) return; // see drawTable
  for (const c of chartsOf(r)) {
    lineChart(
      parent,
      c.title,
      { x: c.xLabel, y: c.yLabel, logY: c.logY, integerX: c.integerX },
      c.lines,
      c.markers,
    );
  }
}

/**
 * The charts of several reports overlaid: one chart per chart id, each report's lines named with its
 * tag (e.g. "run 1 · yarn"), markers from the first report that has the chart.
 */
export function drawOverlaid(parent: HTMLElement, reports: { tag: string; report: Report }[]): void {
  parent.replaceChildren();
  const byId = new Map<string, { view: ReturnType<typeof chartsOf>[number]; lines: Line[] }>();
  for (const { tag, report } of reports) {
    if (report.version !== 2) continue;
    for (const c of chartsOf(report)) {
      const entry = byId.get(c.id) ?? { view: c, lines: [] };
      entry.lines.push(...c.lines.map((l) => ({ ...l, name: `${tag} · ${l.name}` })));
      byId.set(c.id, entry);
    }
  }
  for (const { view, lines } of byId.values()) {
    lineChart(
      parent,
      view.title,
      { x: view.xLabel, y: view.yLabel, logY: view.logY, integerX: view.integerX },
      lines,
      view.markers,
    );
  }
}
