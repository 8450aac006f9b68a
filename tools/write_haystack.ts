/**
 * Writes the evaluation text of a model trained on a generated corpus: filler paragraphs of the facts
 * corpus (default) or of the recall corpus (`--corpus recall`) — no facts, so a needle hidden in it is
 * never ambiguous — from a seed the training never used.
 *
 *   deno run --allow-write tools/write_haystack.ts models/facts837K/eval.txt [--seed 2026] [--paragraphs 600]
 *   deno run --allow-write tools/write_haystack.ts models/recall-needle/eval.txt --corpus recall
 *
 * @module
 */
import { parseArgs } from "node:util";
import { haystackText } from "../train/fact_corpus.ts";
import { recallHaystack } from "../train/recall_corpus.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { seed: { type: "string" }, paragraphs: { type: "string" }, corpus: { type: "string" } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error("usage: write_haystack.ts OUT.txt [--seed N] [--paragraphs N] [--corpus facts|recall]");
  Deno.exit(1);
}
if (values.corpus !== undefined && values.corpus !== "facts" && values.corpus !== "recall") {
  console.error(`--corpus must be facts or recall, got ${values.corpus}`);
  Deno.exit(1);
}
const write = values.corpus === "recall" ? recallHaystack : haystackText;
const text = write(Number(values.seed ?? 2026), Number(values.paragraphs ?? 600));
await Deno.writeTextFile(positionals[0], text + "\n");
console.error(`wrote ${positionals[0]}: ${text.length} characters`);
