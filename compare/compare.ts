/**
 * `compare`: extend one model to a target length with each strategy and measure, side by side, what
 * each costs and gains. It loops over the metric registry (`eval/metrics/`): every metric scores every
 * strategy on the same documents, and `statistics.ts` pairs their per-document scores into
 * differences with intervals. The CLI and the HTTP server both call {@linkcode compare}.
 *
 * @module
 */
import type { RopeTable } from "../strategies/types.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";
import { analyzeTable } from "../strategies/analysis.ts";
import { factorsOf } from "../strategies/export.ts";
import type { LanguageModel, TableFor } from "../eval/language_model.ts";
import type { Corpus } from "../eval/corpus.ts";
import type { NeedleTemplate } from "../eval/needle.ts";
import type { Metric, MetricContext, PreparedMetric } from "../eval/metrics/metric.ts";
import { METRIC_IDS, metricById } from "../eval/metrics/registry.ts";
import type { ProgressSink } from "../util/progress.ts";
import type { ResolvedEntry } from "../entries/mod.ts";
import type { CompareReport, StrategyReport } from "./report_types.ts";
import { pairedComparisons, type StatisticsOptions } from "./statistics.ts";
import { RopekitError } from "../util/errors.ts";
import { checkOption, COMPARE_DEFAULTS, CompareOptionError } from "./options.ts";

export type * from "./report_types.ts";

/** The metrics compare can run (ids of the metric registry, in display order). */
export const METRICS: readonly string[] = METRIC_IDS;
/** A metric id, one of {@linkcode METRICS}. */
export type MetricId = string;

/** Everything a comparison needs. */
export interface CompareOptions {
  /** The model every strategy is scored on: local, queue workers, or a reference engine. */
  model: LanguageModel;
  /** Where the model came from (for the report). */
  modelName: string;
  /** The strategies to compare, in row order; their labels must be distinct. */
  strategies: ResolvedEntry[];
  /** The evaluation text, tokenized once; windows, fillers and needles are drawn from it. */
  corpus: Corpus;
  /** Evaluation lengths (tokens). */
  lengths: number[];
  /**
   * Extension target the strategies are built for. Default: each length is its own target (a
   * strategy evaluated at 2048 is built to extend to 2048, at 4096 to 4096).
   */
  target?: number;
  /** Metric ids of the registry, or metrics defined elsewhere (a {@linkcode Metric} object). */
  metrics: (MetricId | Metric)[];
  /** Windows / documents per length. */
  samples: number;
  /** Seeds document choice and the Monte Carlo tests: the same seed gives the same report. */
  seed: number;
  /** A needle template for the needle metric; default: its own choice (magic number where valid). */
  template?: NeedleTemplate;
  /** Digits of numeric answers (magic number, passkey); default 7. */
  digits?: number;
  /** Needle depths (fractions of the filler before the needle). */
  depths?: number[];
  /** The strategy every other is compared against (a label); default: the best one per column. */
  reference?: string;
  /** A pre-registered primary column, "METRIC@LENGTH", tested as its own family (`docs/statistics.md`). */
  primary?: string;
  /** Equivalence margins by metric id, in the metric's score unit (default: each metric's own). */
  margins?: Record<string, number>;
  /** Receives progress per metric and, as each strategy finishes, its row (`detail`). */
  onProgress?: ProgressSink;
  /** Checked between evaluations; an aborted comparison throws the signal's reason. */
  signal?: AbortSignal;
}

/** Thrown for options that cannot run; the message names the option. */
export class CompareError extends RopekitError {
  /** The class name, spelled out so that a bundler renaming classes cannot change what logs say. */
  override name = "CompareError";
}

function tableFor(entry: ResolvedEntry, model: LanguageModel, target: number): TableFor {
  const cache = new Map<number, Promise<RopeTable>>();
  return (seqLen) => {
    let t = cache.get(seqLen);
    if (!t) {
      t = buildTable(
        entry.strategy,
        model.spec,
        { targetLength: entry.targetLength ?? target, seqLen },
        entry.params,
      );
      cache.set(seqLen, t);
    }
    return t;
  };
}

/** A named reference must be one of the strategies' labels. */
export function checkReference(reference: string | undefined, strategies: { label: string }[]): void {
  if (reference !== undefined && !strategies.some((s) => s.label === reference)) {
    throw new CompareError(
      `reference: no strategy is labelled "${reference}" (labels: ${
        strategies.map((s) => s.label).join(", ")
      })`,
    );
  }
}

/** The statistics options of a comparison's options. */
export function statisticsOptions(
  opts: Pick<CompareOptions, "seed" | "reference" | "primary" | "margins">,
): StatisticsOptions {
  return { seed: opts.seed, reference: opts.reference, primary: opts.primary, margins: opts.margins };
}

/** The options' declared domains (compare/options.ts), the same the CLI and the server check. */
function checkDeclared(opts: CompareOptions): void {
  try {
    for (const name of ["lengths", "target", "samples", "seed", "digits", "depths"] as const) {
      checkOption(name, opts[name]);
    }
    checkOption("margin", opts.margins);
  } catch (e) {
    if (e instanceof CompareOptionError) throw new CompareError(e.message, { field: e.field });
    throw e;
  }
}

/**
 * Runs the comparison. Deterministic given the options (seed included).
 *
 * @example The original RoPE against YaRN at 2× the trained context, with paired statistics
 * ```ts
 * import assert from "node:assert/strict";
 * import { compare } from "./compare.ts";
 * import { resolveEntry } from "../entries/mod.ts";
 * import { loadCorpus } from "../eval/corpus.ts";
 * import { loadModel } from "../model/load_model.ts";
 * import { builtinRegistry } from "../strategies/mod.ts";
 *
 * const model = await loadModel("models/facts837K/model.bin");
 * const corpus = await loadCorpus("models/facts837K/eval.txt", model.tokenizer);
 * const registry = builtinRegistry();
 * const strategies = await Promise.all(["default", "yarn"].map((e) => resolveEntry(e, { registry })));
 * const report = await compare({
 *   model,
 *   modelName: "facts837K",
 *   strategies,
 *   corpus,
 *   lengths: [512],
 *   metrics: ["ppl"],
 *   samples: 2,
 *   seed: 0,
 * });
 * assert.deepEqual(report.strategies.map((s) => s.label), ["default", "yarn"]);
 * assert.ok(report.comparisons.length > 0); // each column's paired tests
 * ```
 */
export async function compare(opts: CompareOptions): Promise<CompareReport> {
  const t0 = performance.now();
  const { model, corpus, lengths, samples } = opts;
  if (opts.strategies.length === 0) throw new CompareError("strategies: at least one strategy is needed");
  if (lengths.length === 0) throw new CompareError("lengths: at least one length is needed");
  if (opts.metrics.length === 0) throw new CompareError("metrics: at least one metric is needed");
  const metrics = opts.metrics.map((m) => {
    if (typeof m !== "string") return m;
    try {
      return metricById(m);
    } catch (e) {
      throw new CompareError(`metrics: ${(e as Error).message}`);
    }
  });
  if (new Set(metrics.map((m) => m.id)).size !== metrics.length) {
    throw new CompareError("metrics: a metric is listed twice");
  }
  checkDeclared(opts);
  checkReference(opts.reference, opts.strategies);
  const target = opts.target ?? Math.max(...lengths); // the headline table (factors, analysis, short)
  const targetFor = (L: number) => opts.target ?? L;
  const depths = opts.depths ?? [...COMPARE_DEFAULTS.depths];
  const digits = opts.digits ?? COMPARE_DEFAULTS.digits;
  const original: ResolvedEntry = {
    label: "original",
    strategy: builtinRegistry().get("default"),
    params: {},
  };
  const progress = opts.onProgress;
  const ctx: MetricContext = {
    model,
    corpus,
    lengths,
    samples,
    seed: opts.seed,
    template: opts.template,
    digits,
    depths,
    original: tableFor(original, model, target),
    onProgress: progress,
    check: () => opts.signal?.throwIfAborted(),
  };
  const prepared: PreparedMetric[] = [];
  for (const m of metrics) prepared.push(await m.prepare(ctx));

  const strategies: StrategyReport[] = [];
  for (const entry of opts.strategies) {
    const ts = performance.now();
    const headline = tableFor(entry, model, target);
    const perLength = new Map(lengths.map((L) => [L, tableFor(entry, model, targetFor(L))]));
    const table = await headline(target);
    const r: StrategyReport = {
      label: entry.label,
      name: entry.strategy.name,
      params: entry.params,
      invFreq: Array.from(table.invFreq),
      attentionScale: table.attentionScale,
      ...(table.short
        ? {
          short: {
            invFreq: Array.from(table.short.invFreq),
            attentionScale: table.short.attentionScale,
            switchLength: table.switchLength!,
          },
        }
        : {}),
      factors: factorsOf(model.spec, table.invFreq),
      analysis: analyzeTable(model.spec, table, target),
      metrics: {},
      seconds: 0,
    };
    const tables = { forLength: (L: number) => perLength.get(L)!, headline };
    for (const p of prepared) r.metrics[p.info.id] = await p.run(tables, entry.label);
    r.seconds = (performance.now() - ts) / 1000;
    strategies.push(r);
    // Partial results: each strategy's row as soon as it is complete (the server streams these).
    progress?.({ task: "strategies", done: strategies.length, total: opts.strategies.length, detail: r });
  }
  const infos = prepared.map((p) => p.info);
  return {
    format: "ropekit-compare-report",
    version: 2,
    created: new Date().toISOString(),
    model: { name: opts.modelName, spec: model.spec },
    corpus: { name: corpus.name, tokens: corpus.ids.length },
    settings: {
      lengths,
      target: opts.target ?? "per-length",
      metrics: metrics.map((m) => m.id),
      samples,
      seed: opts.seed,
      template: opts.template?.name ?? "default",
      digits,
      depths,
    },
    metrics: infos,
    strategies,
    // A metric that cannot rank (a needle template failing its validity check) gets no verdict.
    ...pairedComparisons(infos.filter((i) => !i.invalid), strategies, statisticsOptions(opts)),
    seconds: (performance.now() - t0) / 1000,
  };
}
