/**
 * `deno task nll`: per-window NLL and perplexity of a model under a RoPE strategy, with the exact
 * inverse frequencies and attention scale used.
 *
 *   deno task nll --model M (--text FILE | --tokens FILE.json) [--length N] [--strategy S --param k=v]... [--json]
 *
 * @module
 */
import type { Model } from "../model/model.ts";
import type { ResolvedRope } from "../strategies/table.ts";
import {
  CliError,
  loadModelFromFlags,
  MODEL_OPTIONS,
  MODEL_USAGE,
  parseFlags,
  positiveInt,
  runCommand,
  STRATEGY_OPTIONS,
  STRATEGY_USAGE,
  tableFromFlags,
} from "./args.ts";

const USAGE = `Usage: deno task nll --model M (--text FILE | --tokens FILE.json) [options]

  --text FILE            text to score, cut into windows of BOS + (length − 1) tokens (a short tail is dropped)
  --tokens FILE.json     a JSON list of token-id windows (BOS included by you)
  --length N             window length for --text (default: the model's trained context L0)
  --max-windows N        score at most N windows
  --json                 print one JSON object (with per-token NLL) instead of a table
${STRATEGY_USAGE}
${MODEL_USAGE}`;

async function readWindows(
  values: { text?: string; tokens?: string; length?: string },
  model: Model,
): Promise<number[][]> {
  const text = values.text, tokens = values.tokens;
  if ((text === undefined) === (tokens === undefined)) {
    throw new CliError("give exactly one of --text and --tokens");
  }
  const read = async (flag: string, path: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (e) {
      throw new CliError(`${flag} ${path}: cannot read (${(e as Error).message})`);
    }
  };
  if (tokens !== undefined) {
    let windows: unknown;
    try {
      windows = JSON.parse(await read("--tokens", tokens));
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`--tokens ${tokens}: not JSON (${(e as Error).message})`);
    }
    const ok = Array.isArray(windows) &&
      windows.every((w) => Array.isArray(w) && w.length >= 2 && w.every((t) => Number.isInteger(t)));
    if (!ok) {
      throw new CliError(`--tokens ${tokens}: expected a list of windows, each a list of ≥ 2 integer ids`);
    }
    return windows as number[][];
  }
  const length = positiveInt("--length", values.length) ?? model.spec.originalContext;
  if (length < 2) throw new CliError("--length must be at least 2");
  const ids = model.tokenizer.encode(await read("--text", text!), { bos: false });
  const windows: number[][] = [];
  for (let i = 0; i + length - 1 <= ids.length; i += length - 1) {
    windows.push([model.tokenizer.bosId, ...ids.slice(i, i + length - 1)]);
  }
  if (windows.length === 0) {
    throw new CliError(`--text ${text}: ${ids.length} tokens, fewer than --length − 1 = ${length - 1}`);
  }
  return windows;
}

const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

await runCommand(async () => {
  const values = parseFlags(Deno.args, {
    ...MODEL_OPTIONS,
    ...STRATEGY_OPTIONS,
    text: { type: "string" },
    tokens: { type: "string" },
    length: { type: "string" },
    "max-windows": { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) return console.log(USAGE);
  const model = await loadModelFromFlags(values);
  const maxWindows = positiveInt("--max-windows", values["max-windows"]);
  const windows = (await readWindows(values, model)).slice(0, maxWindows);
  // A table per window length: length-dependent strategies (dynamic NTK) differ between them.
  const results: { nll: Float32Array; rope: ResolvedRope }[] = [];
  let seconds = 0;
  for (const length of new Set(windows.map((w) => w.length))) {
    const table = await tableFromFlags(values, model.spec, length, model.configRope);
    const group = windows.map((w, i) => ({ w, i })).filter(({ w }) => w.length === length);
    const r = await model.nll(group.map(({ w }) => w), table);
    seconds += r.seconds;
    group.forEach(({ i }, j) => results[i] = { nll: r.nll[j], rope: r.rope[j] });
  }
  const scored = results.reduce((n, r) => n + r.nll.length, 0);
  const total = results.reduce((s, r) => s + sum(r.nll), 0);
  const report = {
    model: model.source,
    backend: model.backend.name,
    spec: model.spec,
    strategy: values.strategy ?? (model.configRope ? "config" : "default"),
    config_rope: model.configRope,
    params: values.param ?? [],
    windows: results.map((r) => ({
      tokens: r.nll.length,
      nll_sum: sum(r.nll),
      mean_nll: sum(r.nll) / r.nll.length,
      perplexity: Math.exp(sum(r.nll) / r.nll.length),
      rope: {
        choice: r.rope.choice,
        inv_freq: [...r.rope.invFreq],
        attention_scale: r.rope.attentionScale,
        start_tokens: r.rope.startTokens,
      },
      nll: [...r.nll],
    })),
    total: { tokens: scored, nll_sum: total, mean_nll: total / scored, perplexity: Math.exp(total / scored) },
    seconds,
    tokens_per_s: scored / seconds,
  };
  if (values.json) return console.log(JSON.stringify(report));
  const fmt = (x: number) => x.toFixed(4);
  console.log(
    `model ${report.model} (${model.backend.name}), strategy ${report.strategy} ${report.params.join(" ")}`,
  );
  const seen = new Set<string>();
  for (const w of report.windows) {
    const key = JSON.stringify(w.rope);
    if (seen.has(key)) continue;
    seen.add(key);
    console.log(
      `rope (${w.rope.choice}): attention scale ${w.rope.attention_scale}, inv_freq [${
        w.rope.inv_freq.join(", ")
      }]` +
        (w.rope.start_tokens ? `, first ${w.rope.start_tokens} positions unscaled` : ""),
    );
  }
  console.log("window  tokens  nll_sum  mean_nll  perplexity");
  report.windows.forEach((w, i) =>
    console.log(`${i}  ${w.tokens}  ${fmt(w.nll_sum)}  ${fmt(w.mean_nll)}  ${fmt(w.perplexity)}`)
  );
  const t = report.total;
  console.log(`total  ${t.tokens}  ${fmt(t.nll_sum)}  ${fmt(t.mean_nll)}  ${fmt(t.perplexity)}`);
  console.log(`${report.seconds.toFixed(3)} s, ${report.tokens_per_s.toFixed(0)} tokens/s`);
});
