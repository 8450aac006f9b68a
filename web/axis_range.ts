/** Axis ranges that fit the data they show. @module */

/**
 * An axis range that fits the data: uPlot's own pads a lone x value out to round numbers (a chart of one
 * length, 1024, spanned 0–2000), so one value gets a narrow window around it instead.
 */
export function fitRange(values: number[], log = false): [number, number] | undefined {
  const v = values.filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (!v.length) return undefined;
  const lo = Math.min(...v), hi = Math.max(...v);
  if (log) return lo === hi ? [lo / 1.1, hi * 1.1] : [lo / 1.05, hi * 1.05];
  const pad = lo === hi ? Math.max(Math.abs(lo) * 0.05, 0.5) : (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}
