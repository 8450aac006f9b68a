/**
 * `compare`: extend one model to a target length with each strategy and measure, side by side, what
 * each costs and gains — perplexity by position (against L0-window baselines), needle-driven
 * perplexity, passkey retrieval and short-context retention. The CLI and the HTTP server both call
 * {@linkcode compare}.
 *
 * @module
 */
import type { Params, RopeTable } from "../strategies/types.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";
import { analyzeTable, type CriticalAnalysis } from "../strategies/analysis.ts";
import { factorsOf } from "../strategies/export.ts";
import type { LanguageModel, TableFor } from "../eval/language_model.ts";
import { measureSwitch, type SwitchResult } from "../eval/kv_switch.ts";
import { Model } from "../model/model.ts";
import type { Corpus } from "../eval/corpus.ts";
import { perplexityByPosition, type PerplexityResult } from "../eval/perplexity.ts";
import {
  type NeedleCell,
  needlePerplexity,
  type NeedleTemplate,
  type NeedleValidity,
  needleValidity,
} from "../eval/needle.ts";
import { type PasskeyCell, passkeyRetrieval, type PasskeyTrial } from "../eval/passkey.ts";
import { type RetentionResult, shortContextRetention } from "../eval/retention.ts";
import type { Estimate } from "../util/stats.ts";
import type { ProgressSink } from "../util/progress.ts";
import type { ResolvedEntry } from "./strategy_entry.ts";

/** The metrics compare can run. */
export const METRICS = ["ppl", "needle", "passkey", "short", "switch"] as const;
/** One of {@linkcode METRICS}. */
export type Metric = typeof METRICS[number];

/** Everything a comparison needs. */
export interface CompareOptions {
  model: LanguageModel;
  /** Where the model came from (for the report). */
  modelName: string;
  strategies: ResolvedEntry[];
  corpus: Corpus;
  /** Evaluation lengths (tokens). */
  lengths: number[];
  /**
   * Extension target the strategies are built for. Default: each length is its own target (a
   * strategy evaluated at 2048 is built to extend to 2048, at 4096 to 4096).
   */
  target?: number;
  metrics: Metric[];
  /** Windows / documents per length. */
  samples: number;
  seed: number;
  template: NeedleTemplate;
  /** Needle depths (fractions of the filler before the needle). */
  depths?: number[];
  onProgress?: ProgressSink;
  /** Checked between evaluations; an aborted comparison throws the signal's reason. */
  signal?: AbortSignal;
}

/** One strategy's results. */
export interface StrategyReport {
  label: string;
  name: string;
  params: Params;
  /** The long table (what the target length runs with). */
  invFreq: number[];
  attentionScale: number;
  /** Short set (used within L0), when the strategy has one. */
  short?: { invFreq: number[]; attentionScale: number; switchLength: number };
  /** Per-pair factor λ_i = θ_i / θ'_i of the long table. */
  factors: number[];
  analysis: CriticalAnalysis;
  ppl?: Record<string, PerplexityResult>;
  needle?: { cells: NeedleCell[]; byLength: Record<string, Estimate & { ppl: number }> };
  passkey?: { cells: PasskeyCell[]; byLength: Record<string, Estimate>; trials: PasskeyTrial[] };
  short_context?: RetentionResult;
  /** LongRoPE's switch under a KV cache (strategies with short and long sets, local models). */
  switch?: SwitchResult | { skipped: string };
  seconds: number;
}

/** The whole comparison, as written to report.json. */
export interface CompareReport {
  format: "ropekit-compare-report";
  version: 1;
  created: string;
  model: { name: string; spec: LanguageModel["spec"] };
  corpus: { name: string; tokens: number };
  settings: {
    lengths: number[];
    /** The fixed target, or "per-length" when each length was its own target. */
    target: number | "per-length";
    metrics: Metric[];
    samples: number;
    seed: number;
    template: string;
    depths: number[];
  };
  /** The same tokens as each length's ppl windows, scored in L0 windows with the original RoPE. */
  baseline?: Record<string, PerplexityResult>;
  /** Whether the model can use the needle template within its trained window at all. */
  validity?: NeedleValidity;
  strategies: StrategyReport[];
  seconds: number;
}

/** Thrown for options that cannot run; the message names the option. */
export class CompareError extends Error {
  override name = "CompareError";
}

const DEFAULT_DEPTHS = [0, 0.25, 0.5, 0.75];

/** Seeds of the different document sets, kept apart so no metric reuses another's documents. */
function seeds(seed: number) {
  return { ppl: seed, needle: seed * 7919 + 101, passkey: seed * 7919 + 202, short: seed * 7919 + 303 };
}

function tableFor(entry: ResolvedEntry, model: LanguageModel, target: number): TableFor {
  const cache = new Map<number, Promise<RopeTable>>();
  return (seqLen) => {
    let t = cache.get(seqLen);
    if (!t) {
      t = buildTable(entry.strategy, model.spec, { targetLength: target, seqLen }, entry.params);
      cache.set(seqLen, t);
    }
    return t;
  };
}

/** Runs the comparison. Deterministic given the options (seed included). */
export async function compare(opts: CompareOptions): Promise<CompareReport> {
  const t0 = performance.now();
  const { model, corpus, lengths, samples } = opts;
  if (opts.strategies.length === 0) throw new CompareError("strategies: at least one strategy is needed");
  if (lengths.length === 0) throw new CompareError("lengths: at least one length is needed");
  if (opts.metrics.length === 0) throw new CompareError("metrics: at least one metric is needed");
  const target = opts.target ?? Math.max(...lengths); // the headline table (factors, analysis, short)
  const targetFor = (L: number) => opts.target ?? L;
  const depths = opts.depths ?? DEFAULT_DEPTHS;
  const s = seeds(opts.seed);
  const check = () => opts.signal?.throwIfAborted();
  const original: ResolvedEntry = {
    label: "original",
    strategy: builtinRegistry().get("default"),
    params: {},
  };
  const originalFor = tableFor(original, model, target);
  const progress = opts.onProgress;
  const has = (m: Metric) => opts.metrics.includes(m);

  const report: CompareReport = {
    format: "ropekit-compare-report",
    version: 1,
    created: new Date().toISOString(),
    model: { name: opts.modelName, spec: model.spec },
    corpus: { name: corpus.name, tokens: corpus.ids.length },
    settings: {
      lengths,
      target: opts.target ?? "per-length",
      metrics: opts.metrics,
      samples,
      seed: opts.seed,
      template: opts.template.name,
      depths,
    },
    strategies: [],
    seconds: 0,
  };

  if (has("ppl")) {
    report.baseline = {};
    for (const L of lengths) {
      check();
      report.baseline[L] = await perplexityByPosition(model, originalFor, corpus, {
        length: L,
        samples,
        seed: s.ppl,
        chunk: model.spec.originalContext,
        onProgress: progress,
        label: `baseline (L0 windows) @${L}`,
      });
    }
  }
  if (has("needle") || has("passkey")) {
    check();
    report.validity = await needleValidity(model, originalFor, corpus, {
      template: opts.template,
      samples: Math.max(samples, 4),
      seed: s.needle + 1,
      depth: 0,
      onProgress: progress,
    });
  }
  let originalPpl: number | undefined;

  for (const entry of opts.strategies) {
    const ts = performance.now();
    const name = entry.label;
    const forLen = tableFor(entry, model, target);
    const perLength = new Map(lengths.map((L) => [L, tableFor(entry, model, targetFor(L))]));
    const table = await forLen(target);
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
      seconds: 0,
    };
    if (has("ppl")) {
      r.ppl = {};
      for (const L of lengths) {
        check();
        r.ppl[L] = await perplexityByPosition(model, perLength.get(L)!, corpus, {
          length: L,
          samples,
          seed: s.ppl,
          onProgress: progress,
          label: `ppl ${name} @${L}`,
        });
      }
    }
    const needleOpts = {
      template: opts.template,
      depths,
      samples: Math.max(1, Math.ceil(samples / depths.length)),
    };
    if (has("needle")) {
      const cells: NeedleCell[] = [];
      const byLength: Record<string, Estimate & { ppl: number }> = {};
      for (const L of lengths) {
        check();
        const n = await needlePerplexity(model, perLength.get(L)!, corpus, {
          ...needleOpts,
          lengths: [L],
          seed: s.needle + L,
          onProgress: progress,
          label: `needle ${name} @${L}`,
        });
        cells.push(...n.cells);
        byLength[L] = { ...n.nll, ppl: n.ppl };
      }
      r.needle = { cells, byLength };
    }
    if (has("passkey")) {
      const cells: PasskeyCell[] = [];
      const trials: PasskeyTrial[] = [];
      const byLength: Record<string, Estimate> = {};
      for (const L of lengths) {
        check();
        const p = await passkeyRetrieval(model, perLength.get(L)!, corpus, {
          ...needleOpts,
          lengths: [L],
          seed: s.passkey + L,
          onProgress: progress,
          label: `passkey ${name} @${L}`,
        });
        cells.push(...p.cells);
        trials.push(...p.trials);
        byLength[L] = p.accuracy;
      }
      r.passkey = { cells, byLength, trials };
    }
    if (has("short")) {
      check();
      r.short_context = await shortContextRetention(model, forLen, corpus, {
        samples,
        seed: s.short,
        original: originalFor,
        originalPpl, // the original RoPE's short-window perplexity is the same for every strategy
        onProgress: progress,
        label: `short ${name}`,
      });
      originalPpl = r.short_context.originalPpl;
    }
    if (has("switch")) {
      check();
      // Needs the model's own KV cache (a local Model) and a table with short and long sets.
      r.switch = !table.short
        ? { skipped: "no short and long sets" }
        : !(model instanceof Model)
        ? { skipped: "needs a local model" }
        : await measureSwitch(model, table, corpus.ids, { documents: samples });
    }
    r.seconds = (performance.now() - ts) / 1000;
    report.strategies.push(r);
    // Partial results: each strategy's row as soon as it is complete (the server streams these).
    progress?.({
      task: "strategies",
      done: report.strategies.length,
      total: opts.strategies.length,
      detail: r,
    });
  }
  report.seconds = (performance.now() - t0) / 1000;
  return report;
}
