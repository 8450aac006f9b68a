/**
 * `deno task rope`: inspect the RoPE table a config (or a strategy applied to it) produces.
 *
 *   deno task rope --config FILE [--seq-len N] [--json] [--analysis] [--export]
 *                  [--strategy NAME [--param k=v]... [--target N]]
 *
 * FILE holds one HF-style config object or a JSON array of them; an object may carry "seq_len".
 *
 * @module
 */
import { CliError, parseFlags, positiveInt } from "./args.ts";
import { isExplained, runCommand } from "./run_command.ts";
import { commandPlugins, resolveEntry } from "../entries/mod.ts";
import { doctorMain } from "./rope_doctor.ts";
import {
  analyzeTable,
  baseInvFreq,
  builtinRegistry,
  type CriticalAnalysis,
  HF_ALIASES,
  type HfConfig,
  type HfRopeTable,
  type Params,
  parseParamArgs,
  ropeFromHfConfig,
  ropeJson,
  type StrategyRegistry,
} from "../strategies/mod.ts";

const USAGE = `Usage: deno task rope --config FILE [options]

  --config FILE      HF-style config.json (an object, or an array of objects; each may carry "seq_len")
  --seq-len N        sequence length (picks LongRoPE's long set when N > L0; dynamic NTK's length)
  --strategy NAME    apply a strategy to a config without rope_scaling (ropekit or HF name, or a
                     plugin URL/path, loaded sandboxed; URL#k=v,k=v gives it parameters)
  --param k=v        a strategy parameter (repeatable), e.g. --param factor=4
  --target N         extension target for --strategy (default: max_position_embeddings)
  --analysis         add the critical-dimension report
  --export           add the HF rope_scaling block and llama.cpp GGUF keys
  --doctor           what transformers, vLLM, llama.cpp and ropekit each compute, and the pitfalls
  --json             print JSON (an object per config; an array for an array)
  -h, --help         this text`;

/** A `seq_len` given inside a config object (a JSON number). */
function seqLenField(where: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw <= 0) {
    throw new CliError(`${where} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

interface Options {
  seqLen?: number;
  strategy?: string;
  params: string[];
  /** The resolved entry's parameters (declared defaults filled in), under `params`. */
  entryParams?: Params;
  target?: number;
  analysis: boolean;
  exports: boolean;
}

interface Report {
  result: HfRopeTable;
  seqLen?: number;
  analysis?: CriticalAnalysis;
}

async function buildReport(
  config: HfConfig,
  index: number,
  opt: Options,
  registry: StrategyRegistry,
): Promise<Report> {
  const where = `config[${index}]`;
  const seqLen = seqLenField(`${where}.seq_len`, config.seq_len) ?? opt.seqLen;
  // The entry's parameters (its k=v pieces, a result file's), then --param over them.
  const params = opt.strategy
    ? { ...opt.entryParams, ...parseParamArgs(opt.strategy, registry.get(opt.strategy).params, opt.params) }
    : undefined;
  const { seq_len: _ignored, ...hf } = config;
  const result = await ropeFromHfConfig(hf, {
    seqLen,
    strategy: opt.strategy,
    params,
    targetLength: opt.target,
    registry,
  });
  const target = seqLen ?? result.targetLength;
  return {
    result,
    seqLen,
    analysis: opt.analysis ? analyzeTable(result.spec, result.table, target) : undefined,
  };
}

function toJson(r: Report, opt: Options): Record<string, unknown> {
  return ropeJson(r.result, { seqLen: r.seqLen, analysis: opt.analysis, exports: opt.exports });
}

const fmt = (v: number, digits = 6) => v === Infinity ? "inf" : Number(v.toPrecision(digits)).toString();

function toText(r: Report, index: number, opt: Options): string {
  const { result, analysis } = r;
  const s = result.spec;
  const lines = [
    `config[${index}]: ${result.ropeType}` +
    (HF_ALIASES[result.hfRopeType] === result.ropeType ? ` (HF "${result.hfRopeType}")` : ""),
    `  theta ${s.theta}  head_dim ${s.headDim}  rotary_dim ${s.rotaryDim}  L0 ${s.originalContext}  ` +
    `max_position_embeddings ${s.maxPositions}  target ${result.targetLength}` +
    (r.seqLen ? `  seq_len ${r.seqLen}` : ""),
    `  attention factor ${result.chosen.attentionScale}` +
    (result.table.short
      ? `  table ${result.chosen.choice} (long when seq_len > ${result.table.switchLength})`
      : ""),
  ];
  if (Object.keys(result.params).length) {
    const shown = Object.entries(result.params).map(([k, v]) =>
      `${k}=${Array.isArray(v) ? `[${v.length} values]` : v}`
    );
    lines.push(`  params ${shown.join("  ")}`);
  }
  if (analysis) {
    lines.push(
      `  critical dimension: x = ${
        fmt(analysis.criticalPosition, 5)
      }  d_tcd = ${analysis.theoreticalCriticalDim}  d10_tcd = ${analysis.tenPeriodCriticalDim} (1-based, as the paper)` +
        `  critical index k = ${analysis.criticalIndex} (0-based pair; pairs > x never complete a period within L0)`,
    );
  }
  const header = ["pair", "inv_freq", "factor", "period", "scaled period"];
  if (analysis) header.push("turns in L0", "angle ratio", "");
  const original = baseInvFreq(s.theta, s.rotaryDim);
  const rows = Array.from(result.chosen.invFreq, (inv, i) => {
    const row = [
      String(i),
      fmt(inv, 8),
      fmt(original[i] / inv, 5),
      fmt((2 * Math.PI) / original[i]),
      fmt((2 * Math.PI) / inv),
    ];
    const pair = analysis?.pairs[i];
    if (pair) {
      row.push(
        fmt(s.originalContext / pair.period, 4),
        fmt(pair.angleRatio, 4),
        (i === analysis!.criticalIndex ? "← k " : "") + (pair.outOfDistribution ? "OOD" : ""),
      );
    }
    return row;
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => "  " + cells.map((v, c) => v.padStart(widths[c])).join("  ");
  lines.push(line(header), ...rows.map(line));
  if (opt.exports) {
    const j = toJson(r, opt).export as Record<string, unknown>;
    lines.push("  export:", ...JSON.stringify(j, null, 2).split("\n").map((l) => "    " + l));
  }
  return lines.join("\n");
}

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  let v;
  try {
    v = parseFlags(args, {
      config: { type: "string" },
      "seq-len": { type: "string" },
      strategy: { type: "string" },
      param: { type: "string", multiple: true, default: [] },
      target: { type: "string" },
      analysis: { type: "boolean", default: false },
      export: { type: "boolean", default: false },
      doctor: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    }) as {
      config?: string;
      "seq-len"?: string;
      strategy?: string;
      param: string[];
      target?: string;
      analysis: boolean;
      export: boolean;
      doctor: boolean;
      json: boolean;
      help: boolean;
    };
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (v.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    if (!v.config) throw new CliError("--config FILE is required");
    if (v.param.length && !v.strategy) throw new CliError("--param needs --strategy NAME");
    const opt: Options = {
      seqLen: positiveInt("--seq-len", v["seq-len"]),
      strategy: v.strategy,
      params: v.param,
      target: positiveInt("--target", v.target),
      analysis: v.analysis,
      exports: v.export,
    };
    let text: string;
    try {
      text = await Deno.readTextFile(v.config);
    } catch (e) {
      throw new CliError(`cannot read --config ${v.config}: ${(e as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new CliError(`--config ${v.config} is not valid JSON: ${(e as Error).message}`);
    }
    const configs = Array.isArray(doc) ? doc : [doc];
    if (configs.length === 0) throw new CliError(`--config ${v.config} holds an empty array`);
    if (v.doctor) return await doctorMain(doc, v.json);
    const reports: Report[] = [];
    const registry = builtinRegistry();
    // A plugin entry (URL or path, URL#k=v) is loaded once, sandboxed, then used by its declared name.
    const plugins = commandPlugins(registry);
    try {
      if (opt.strategy !== undefined) {
        // Left out, --strategy means each config's own rope_scaling, so "config" is refused here.
        const entry = await resolveEntry(opt.strategy, {
          registry,
          plugins: plugins.resolve,
          configEntry: false,
        });
        opt.strategy = entry.strategy.name;
        opt.entryParams = entry.params;
      }
      for (const [i, c] of configs.entries()) {
        if (c === null || typeof c !== "object" || Array.isArray(c)) {
          throw new CliError(`config[${i}] must be an object`);
        }
        try {
          reports.push(await buildReport(c as HfConfig, i, opt, registry));
        } catch (e) {
          throw new CliError(
            configs.length > 1 ? `config[${i}]: ${(e as Error).message}` : (e as Error).message,
          );
        }
      }
    } finally {
      await plugins.close();
    }
    if (v.json) {
      const out = reports.map((r) => toJson(r, opt));
      console.log(JSON.stringify(Array.isArray(doc) ? out : out[0], null, 2));
    } else {
      console.log(reports.map((r, i) => toText(r, i, opt)).join("\n\n"));
    }
    return 0;
  } catch (e) {
    // A bug is not the user's mistake: runCommand prints its stack.
    if (!isExplained(e)) throw e;
    console.error(`error: ${e.message}`);
    return 1;
  }
}

if (import.meta.main) await runCommand(async () => Deno.exit(await main(Deno.args)));
