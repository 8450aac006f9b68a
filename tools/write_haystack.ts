/**
 * Writes the evaluation text of ropekit's default model: filler paragraphs of the facts corpus (no
 * facts, so a needle hidden in it is never ambiguous), from a seed the training never used.
 *
 *   deno run --allow-write tools/write_haystack.ts models/facts837K/eval.txt [--seed 2026] [--paragraphs 600]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { haystackText } from "../train/fact_corpus.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { seed: { type: "string" }, paragraphs: { type: "string" } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error("usage: write_haystack.ts OUT.txt [--seed N] [--paragraphs N]");
  Deno.exit(1);
}
const text = haystackText(Number(values.seed ?? 2026), Number(values.paragraphs ?? 600));
await Deno.writeTextFile(positionals[0], text + "\n");
console.error(`wrote ${positionals[0]}: ${text.length} characters`);
