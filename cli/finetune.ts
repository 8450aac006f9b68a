/**
 * `deno task finetune`: LongRoPE2's mixed context window fine-tuning of a llama2.c model under a
 * rescaled RoPE. A thin front over `deno task train --init … --mixed`, with the defaults a fine-tune
 * wants: the tokenizer found beside the model, short windows of the model's own context L0, long
 * windows of the target length, generated long-range documents.
 *
 *   deno task finetune --model M.bin --strategy longrope2@result.json --target 2048 --out runs/ft/model.bin
 *   deno task finetune ... --no-mixed      # the ablation: every window under the rescaled RoPE
 *
 * @module
 */
import { llama2cTokenizerCandidates } from "../model/load_model.ts";
import { LLAMA2C_HEADER_BYTES, parseLlama2cHeader } from "../model/llama2c_checkpoint.ts";
import { CliError, parseFlags, positiveInt, required, runCommand, STRATEGY_OPTIONS } from "./args.ts";
import { train } from "./train.ts";

const USAGE = `Usage: deno task finetune --model M.bin --strategy S --target N --out OUT.bin [options]

  --model M              the llama2.c .bin to fine-tune (its L0 is the short windows' length)
  --tokenizer FILE       its tokenizer.bin (default: tokenizer.bin or tok<vocab>.bin beside --model)
  --strategy S           the long windows' RoPE: a name, name:k=v or name@result.json
  --param k=v            a strategy parameter, repeatable
  --target N             the length to extend to: the long windows' length (required)
  --out FILE             the fine-tuned .bin (run state in FILE.ckpt, loss.svg beside it)
  --mixed / --no-mixed   mixed context windows (default): short windows keep the original RoPE and
                         per-document masks; --no-mixed gives every window the rescaled RoPE
  --steps N              optimizer steps (default 100)
  --batch N              short windows per micro-batch (default 4)
  --long-windows N       long windows per micro-batch (default 1)
  --accum N              micro-batches per step (default 1)
  --lr X                 peak learning rate (default 5e-4), warm-up then cosine
  --corpus C / --data F  generated corpus (facts | stories; default facts, from document 100,000 on:
                         past the drill curriculum) or a text file
  --seed N               corpus seed (default 1)
  --resume               continue from OUT.ckpt
  -h, --help             this text`;

/** Where a fine-tune's generated documents start (see the train call below). */
const FINETUNE_FIRST_DOC = 100_000;

/** The model's header ints (read without loading the weights) and its tokenizer, found as `loadModel` finds it. */
async function modelFacts(model: string): Promise<{ context: number; tokenizer: string }> {
  const head = new Uint8Array(LLAMA2C_HEADER_BYTES);
  const f = await Deno.open(model);
  try {
    await f.read(head);
  } finally {
    f.close();
  }
  const h = parseLlama2cHeader(head, model);
  const candidates = llama2cTokenizerCandidates(model, Math.abs(h[5]));
  for (const path of candidates) {
    try {
      if ((await Deno.stat(path)).isFile) return { context: h[6], tokenizer: path };
    } catch { /* try the next one */ }
  }
  throw new CliError(
    `${model}: no tokenizer found (looked for ${candidates.join(", ")}); pass --tokenizer FILE`,
  );
}

await runCommand(async () => {
  const v = parseFlags(Deno.args, {
    model: { type: "string" },
    tokenizer: { type: "string" },
    out: { type: "string" },
    mixed: { type: "boolean" },
    "no-mixed": { type: "boolean" },
    steps: { type: "string" },
    batch: { type: "string" },
    "long-windows": { type: "string" },
    accum: { type: "string" },
    lr: { type: "string" },
    corpus: { type: "string" },
    data: { type: "string" },
    seed: { type: "string" },
    resume: { type: "boolean" },
    ...STRATEGY_OPTIONS,
    help: { type: "boolean", short: "h" },
  });
  if (v.help) return console.log(USAGE);
  const out = required(v, "out");
  if (v.resume) return await train({ out, resume: true, steps: v.steps }, USAGE);
  const model = required(v, "model");
  const target = positiveInt("--target", v.target);
  if (target === undefined) throw new CliError("--target is required: the length to extend to");
  if (v.mixed && v["no-mixed"]) throw new CliError("give --mixed or --no-mixed, not both");
  const facts = await modelFacts(model);
  const l0 = facts.context;
  if (target <= l0) throw new CliError(`--target ${target} must exceed the model's context ${l0}`);
  await train({
    out,
    init: model,
    tokenizer: (v.tokenizer as string | undefined) ?? facts.tokenizer,
    mixed: true,
    "rescale-short": v["no-mixed"] === true,
    seq: String(l0),
    "long-seq": String(target),
    target: String(target),
    strategy: v.strategy,
    param: v.param,
    steps: v.steps ?? "100",
    batch: v.batch,
    "long-windows": v["long-windows"],
    accum: v.accum,
    lr: v.lr ?? "5e-4",
    corpus: v.data === undefined ? (v.corpus ?? "facts") : undefined,
    // Generated documents from 100,000 on: past the facts corpus's drill curriculum, and documents a
    // model trained from scratch on the same seed for under ~15M tokens has not seen.
    "first-doc": v.data === undefined ? String(FINETUNE_FIRST_DOC) : undefined,
    data: v.data,
    seed: v.seed,
  }, USAGE);
});
