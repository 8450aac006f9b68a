/** The loss curve of a run as an SVG chart. @module */
import { lineChart } from "../util/svg_chart.ts";

/** Per-step loss (thin) and its moving average over `window` steps, which shows the trend. */
export function lossChartSvg(losses: number[], title: string, window = 20): string {
  const smooth = losses.map((_, i) => {
    const from = Math.max(0, i - window + 1);
    const part = losses.slice(from, i + 1);
    return [i + 1, part.reduce((a, b) => a + b, 0) / part.length] as [number, number];
  });
  return lineChart({
    title,
    xLabel: "step",
    yLabel: "training loss (nats/token)",
    series: [
      { name: "loss", points: losses.map((l, i) => [i + 1, l]), color: 8 },
      { name: `mean of ${window}`, points: smooth, color: 0 },
    ],
  });
}
