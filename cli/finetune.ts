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
import { basename, dirname, join } from "node:path";
import { CliError, parseFlags, positiveInt, required, runCommand, STRATEGY_OPTIONS } from "./args.ts";
import { train } from "./train.ts";

const USAGE = `Usage: deno task finetune --model M.bin --strategy S --target N --out OUT.bin [options]

  --model M              the llama2.c .bin to fine-tune (its L0 is the short windows' length)
  --tokenizer FILE       its tokenizer.bin (default: the one tok*.bin beside --model)
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

/** The one tok*.bin beside `model`. */
async function tokenizerBeside(model: string): Promise<string> {
  const dir = dirname(model) || ".";
  const found: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile && /^tok\d*\.bin$/.test(e.name)) found.push(e.name);
  if (found.length !== 1) {
    throw new CliError(
      `--tokenizer is needed: ${
        found.length ? `several tokenizers beside ${basename(model)}` : `no tok*.bin in ${dir}`
      }`,
    );
  }
  return join(dir, found[0]);
}

/** The trained context L0 a llama2.c header records (its 7th int32). */
async function headerContext(model: string): Promise<number> {
  const f = await Deno.open(model);
  try {
    const head = new Uint8Array(28);
    if ((await f.read(head)) !== 28) throw new CliError(`${model}: not a llama2.c checkpoint`);
    return new DataView(head.buffer).getInt32(24, true);
  } finally {
    f.close();
  }
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
  const l0 = await headerContext(model);
  if (target <= l0) throw new CliError(`--target ${target} must exceed the model's context ${l0}`);
  await train({
    out,
    init: model,
    tokenizer: (v.tokenizer as string | undefined) ?? await tokenizerBeside(model),
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
