/**
 * The paper's needle on a model, by greedy decoding: for a needle template (default LongRoPE2's 7-digit
 * magic number), the validity check within L0 and the share of documents whose answer the model writes
 * exactly (every digit), per depth, at each length, for each strategy. `compare`'s `passkey` metric does
 * the same with the pass-key template; this tool names the template, so a model card can state the magic
 * number's retrieval the way the paper probes it.
 *
 *   deno run --allow-read --allow-env --allow-ffi=.build tools/needle_retrieval.ts MODEL TEXT \
 *     [--lengths 256,1024] [--depths 0,0.25,0.5,0.75,1] [--samples 20] [--strategies default,yarn] \
 *     [--template magic-number] [--seed 0] [--trials]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadModel } from "../model/load_model.ts";
import { loadCorpus } from "../eval/corpus.ts";
import { NEEDLE_TEMPLATES, needleValidity } from "../eval/needle.ts";
import { passkeyRetrieval } from "../eval/passkey.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    lengths: { type: "string" },
    depths: { type: "string" },
    samples: { type: "string" },
    strategies: { type: "string" },
    template: { type: "string" },
    seed: { type: "string" },
    // Print every trial's expected and generated answer (what a failure looks like).
    trials: { type: "boolean" },
  },
  allowPositionals: true,
});
if (positionals.length !== 2) {
  console.error("usage: needle_retrieval.ts MODEL TEXT [--lengths L,..] [--depths D,..] [--samples N] ...");
  Deno.exit(1);
}
const list = (raw: string | undefined, fallback: number[]) => raw?.split(",").map(Number) ?? fallback;
const model = await loadModel(positionals[0]);
const corpus = await loadCorpus(positionals[1], model.tokenizer);
const L0 = model.spec.originalContext;
const template = NEEDLE_TEMPLATES[values.template ?? "magic-number"];
if (!template) throw new Error(`unknown template ${values.template}`);
const lengths = list(values.lengths, [L0]);
const depths = list(values.depths, [0, 0.25, 0.5, 0.75, 1]);
const samples = Number(values.samples ?? 20), seed = Number(values.seed ?? 0);
const registry = builtinRegistry();
const tableFor = (name: string, target: number) => (seqLen: number) =>
  buildTable(registry.get(name), model.spec, { targetLength: Math.max(target, L0), seqLen }, {});

const validity = await needleValidity(model, tableFor("default", L0), corpus, {
  template,
  samples: 2 * samples,
  seed,
  depth: 0,
});
console.log(`${positionals[0]}: template "${template.name}", ${validity.message}`);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(`strategy   length  ${depths.map((d) => `depth ${d}`.padStart(10)).join(" ")}       all`);
for (const name of (values.strategies ?? "default").split(",")) {
  for (const L of lengths) {
    const r = await passkeyRetrieval(model, tableFor(name, L), corpus, {
      template,
      lengths: [L],
      depths,
      samples,
      seed: seed + L,
    });
    if (values.trials) {
      for (const t of r.trials) {
        console.log(
          `  depth ${t.depth}: ${t.expected} → ${JSON.stringify(t.generated)}${t.correct ? " ✓" : ""}`,
        );
      }
    }
    const cells = r.cells.map((c) => pct(c.accuracy.mean).padStart(10)).join(" ");
    console.log(
      `${name.padEnd(10)} ${String(L).padStart(6)}  ${cells} ${pct(r.accuracy.mean).padStart(9)} ± ${
        pct(r.accuracy.stderr)
      }  (n ${r.accuracy.n})`,
    );
  }
}
