/**
 * `ppl`: perplexity by position over windows of each evaluation length, beside the same tokens scored
 * in L0 windows with the original RoPE (the baseline a longer context has to beat). Score: each
 * window's mean NLL (nats/token); the column shows exp(mean), i.e. the perplexity.
 *
 * @module
 */
import { perplexityByPosition, type PerplexityResult } from "../perplexity.ts";
import { type ChartPoint, lengthColumns, type Metric, type MetricResult, summarise } from "./metric.ts";
import { nonOverlapping, overlapNote } from "../window_overlap.ts";

const exp = (curve: [number, number][]): ChartPoint[] => curve.map(([x, y]) => [x, Math.exp(y)]);

/** Perplexity by position. */
export const pplMetric: Metric = {
  id: "ppl",
  description:
    "perplexity of windows of each length (lower is better), beside L0 windows of the original RoPE",
  options: ["lengths", "samples", "seed"],
  async prepare(ctx) {
    const { model, corpus, lengths, samples } = ctx;
    const baseline: Record<string, PerplexityResult> = {};
    for (const L of lengths) {
      ctx.check();
      baseline[L] = await perplexityByPosition(model, ctx.original, corpus, {
        length: L,
        samples,
        seed: ctx.seed,
        chunk: model.spec.originalContext,
        onProgress: ctx.onProgress,
        label: `baseline (L0 windows) @${L}`,
      });
    }
    const L0 = model.spec.originalContext;
    // Every strategy scores the baseline's windows (same seed, same offsets): where they overlap, the
    // statistics pair only windows that share no token, and the note says how many tokens they cover.
    const independent = (L: number) => nonOverlapping(baseline[L].offsets, L - 1);
    const notes = lengths.map((L) => overlapNote(baseline[L].offsets, L - 1, L)).filter((x) => x);
    return {
      info: {
        id: "ppl",
        description: pplMetric.description,
        better: "lower",
        scale: "exp",
        percent: false,
        scoreUnit: "mean NLL per window, nats/token",
        columns: lengthColumns("ppl", lengths),
        ...(notes.length ? { note: notes.join("; ") } : {}),
        baseline: {
          label: "L0 windows (original)",
          values: Object.fromEntries(lengths.map((L) => [L, baseline[L].ppl])),
        },
        charts: lengths.map((L) => ({
          id: `ppl_by_position_${L}`,
          title: `Perplexity by position, windows of ${L} tokens`,
          xLabel: "position in window",
          yLabel: "perplexity",
          logY: true,
          markers: [{ x: L0, label: "L0" }],
          reference: { name: "L0 windows", points: exp(baseline[L].curve) },
        })),
        detail: { baseline },
      },
      async run(tables, label) {
        const out: Required<Pick<MetricResult, "cells" | "lines">> & { detail: unknown } = {
          cells: {},
          lines: {},
          detail: {},
        };
        const detail: Record<string, unknown> = {};
        for (const L of lengths) {
          ctx.check();
          const r = await perplexityByPosition(model, tables.forLength(L), corpus, {
            length: L,
            samples,
            seed: ctx.seed,
            onProgress: ctx.onProgress,
            label: `ppl ${label} @${L}`,
          });
          const keep = independent(L);
          out.cells[L] = {
            ...summarise(r.perWindow, "exp"),
            ...(keep.length < r.perWindow.length ? { independent: keep } : {}),
          };
          out.lines[`ppl_by_position_${L}`] = exp(r.curve);
          detail[L] = { buckets: r.buckets, offsets: r.offsets };
        }
        out.detail = detail;
        return out;
      },
    };
  },
};
