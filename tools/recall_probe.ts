/**
 * What a model trained on the recall corpus has learned, on held-out documents of that corpus (seed 99,
 * far past any run's documents): whether it copies — the answer NLL of a drill's line at its first, second
 * and third reading, for lines of nonsense words and lines of digit groups — and whether it retrieves —
 * the NLL of a 7-digit number's digits where it is stated against where it is asked for. Copying shows as
 * later readings far cheaper than the first; chance for a digit is ln 10 = 2.30 nats.
 *
 *   deno run --allow-read --allow-env --allow-ffi=.build tools/recall_probe.ts MODEL [--docs 200]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadModel } from "../model/load_model.ts";
import { tokenSpans } from "../eval/corpus.ts";
import { recallDocument } from "../train/recall_corpus.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { docs: { type: "string" } },
  allowPositionals: true,
});
if (positionals.length !== 1) {
  console.error("usage: recall_probe.ts MODEL [--docs N]");
  Deno.exit(1);
}
const model = await loadModel(positionals[0]);
const L0 = model.spec.originalContext;
const table = await buildTable(
  builtinRegistry().get("default"),
  model.spec,
  { targetLength: L0, seqLen: L0 },
  {},
);
const docs = Number(values.docs ?? 200);

/** Mean NLL of the tokens lying inside each character span [a, b) of `doc`. */
async function spanNll(doc: string, spans: [number, number][]): Promise<{ sum: number; n: number }[] | null> {
  const ids = model.tokenizer.encode(doc);
  if (ids.length > L0) return null;
  const [nll] = (await model.nll([ids], table)).nll;
  const tok = tokenSpans(model.tokenizer, ids);
  return spans.map(([a, b]) => {
    let sum = 0, n = 0;
    tok.forEach(([p, q], j) => {
      if (j > 0 && p >= a && q <= b && q > p) sum += nll[j - 1], n++;
    });
    return { sum, n };
  });
}

const fmt = (s: { sum: number; n: number }) => (s.sum / s.n).toFixed(3);
for (const kind of ["words", "digits"]) {
  const acc = [0, 1, 2].map(() => ({ sum: 0, n: 0 }));
  for (let i = 0, used = 0; used < docs / 2 && i < 20 * docs; i++) {
    const doc = recallDocument(99, 1_000_000 + i, { drillChance: 1 });
    const line = doc.match(/read out a line: ([^.]+)\./)![1];
    if (/\d/.test(line) !== (kind === "digits")) continue;
    const starts: [number, number][] = [];
    for (let from = 0, r = 0; r < 3; r++) {
      const a = doc.indexOf(line, from);
      starts.push([a, a + line.length]);
      from = a + line.length;
    }
    const got = await spanNll(doc, starts);
    if (!got) continue;
    used++;
    got.forEach((g, r) => (acc[r].sum += g.sum, acc[r].n += g.n));
  }
  console.log(`drills of ${kind}: nats/token at the 1st, 2nd, 3rd reading: ${acc.map(fmt).join(", ")}`);
}
const stated = { sum: 0, n: 0 }, asked = { sum: 0, n: 0 };
for (let i = 0, used = 0; used < docs && i < 5 * docs; i++) {
  const doc = recallDocument(99, 2_000_000 + i, { drillChance: 0 });
  const questions = doc.indexOf(
    "\n",
    doc.startsWith("Some") || doc.startsWith("Read") || doc.startsWith("Here") ||
      doc.startsWith("Keep")
      ? doc.indexOf("\n") + 1
      : 0,
  );
  const numbers = [...doc.matchAll(/\b\d{7}\b/g)].map((m) => [m.index!, m.index! + 7] as [number, number]);
  if (numbers.length === 0) continue;
  const got = await spanNll(doc, numbers);
  if (!got) continue;
  used++;
  got.forEach((g, j) => {
    const into = numbers[j][0] > questions ? asked : stated;
    into.sum += g.sum, into.n += g.n;
  });
}
console.log(
  // Per token of the value: one digit each with single-digit tokens, a group of 1–3 with bpe:N:digits3.
  `7-digit values: nats per token where stated ${fmt(stated)} (${stated.n} tokens), where asked for ${
    fmt(asked)
  } (${asked.n} tokens)`,
);
