/**
 * Interactive charts of a report with uPlot (zoom by dragging, hover values, click a legend entry
 * to hide a series): perplexity by position, needle NLL by depth, per-pair factors with the
 * critical dimensions marked.
 *
 * @module
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Report } from "./api.ts";

const COLORS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#ff7f0e",
  "#17becf",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
];

interface Line {
  name: string;
  points: [number, number][];
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

/** Lines on a shared x axis (uPlot wants aligned columns; gaps are null). */
function lineChart(
  parent: HTMLElement,
  title: string,
  axes: { x: string; y: string; logY?: boolean; integerX?: boolean },
  lines: Line[],
  markers: { x: number; label: string }[] = [],
): void {
  const xs = [...new Set(lines.flatMap((l) => l.points.map(([x]) => x)))].sort((a, b) => a - b);
  const columns = lines.map((l) => {
    const byX = new Map(l.points);
    return xs.map((x) => byX.get(x) ?? null);
  });
  const figure = document.createElement("figure");
  figure.className = "chart";
  parent.append(figure);
  new uPlot(
    {
      title,
      width: Math.min(900, parent.clientWidth || 900),
      height: 320,
      scales: { x: { time: false }, y: axes.logY ? { distr: 3 } : {} },
      axes: [
        { label: axes.x, ...(axes.integerX ? { incrs: [1, 2, 4, 8, 16, 32, 64, 128, 256] } : {}) },
        { label: axes.y, size: 60 },
      ],
      series: [
        { label: axes.x },
        ...lines.map((l, i) => ({
          label: l.name,
          stroke: l.dashed ? "#666" : COLORS[i % COLORS.length],
          dash: l.dashed ? [6, 4] : undefined,
          width: 1.5,
          spanGaps: true,
          points: { show: xs.length < 40 },
        })),
      ],
      plugins: [markersPlugin(markers)],
    },
    [xs, ...columns] as uPlot.AlignedData,
    figure,
  );
}

/** Draws every chart the report has data for into `parent`. */
export function drawCharts(parent: HTMLElement, r: Report): void {
  parent.replaceChildren();
  const L0 = r.model.spec.originalContext;
  for (const L of r.settings.lengths) {
    const lines: Line[] = r.strategies.flatMap((s) =>
      s.ppl?.[L]
        ? [{ name: s.label, points: s.ppl[L].curve.map(([x, y]) => [x, Math.exp(y)] as [number, number]) }]
        : []
    );
    const base = r.baseline?.[L];
    if (base) {
      lines.push({ name: "L0 windows", points: base.curve.map(([x, y]) => [x, Math.exp(y)]), dashed: true });
    }
    if (lines.length) {
      lineChart(
        parent,
        `Perplexity by position, windows of ${L} tokens`,
        { x: "position", y: "perplexity", logY: true },
        lines,
        [
          { x: L0, label: "L0" },
        ],
      );
    }
  }
  const needle: Line[] = r.strategies.flatMap((s) =>
    r.settings.lengths.map((L) => ({
      name: r.settings.lengths.length > 1 ? `${s.label} @${L}` : s.label,
      points: (s.needle?.cells ?? []).filter((c) => c.length === L).map((c) =>
        [c.depth, c.nll.mean] as [number, number]
      ),
    }))
  ).filter((l) => l.points.length);
  if (needle.length) {
    lineChart(parent, "Needle answer NLL by depth", { x: "depth", y: "NLL (nats/token)" }, needle);
  }
  const a = r.strategies[0]?.analysis;
  lineChart(
    parent,
    `Per-pair rescale factors at target ${
      typeof r.settings.target === "number" ? r.settings.target : Math.max(...r.settings.lengths)
    }`,
    { x: "frequency pair i", y: "λ_i = θ_i / θ'_i", logY: true, integerX: true },
    r.strategies.map((s) => ({ name: s.label, points: s.factors.map((f, i) => [i, f] as [number, number]) })),
    a
      ? [{ x: a.theoreticalCriticalDim, label: "d_tcd" }, { x: a.tenPeriodCriticalDim, label: "d10_tcd" }]
      : [],
  );
}
