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
import { finetuneRunOptions } from "../train/finetune.ts";
import { resumeTraining, startTraining } from "../train/run.ts";
import {
  CliError,
  parseFlags,
  positiveInt,
  required,
  runCommand,
  STRATEGY_OPTIONS,
  tableFromFlags,
} from "./args.ts";
import {
  corpusFlag,
  learningRateFlag,
  recallWordingFlags,
  resumedLine,
  trainWithProgress,
} from "./train_report.ts";

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
  --corpus C / --data F  generated corpus (facts | stories | recall; default facts, from document 100,000 on:
                         past the drill curriculum) or a text file
  --seed N               corpus seed (default 1)
  --paragraphs           recall corpus: bodies in paragraphs (as \`train --paragraphs\`)
  --gap-words            recall corpus: gap-word questions (as \`train --gap-words\`)
  --resume               continue from OUT.ckpt
  -h, --help             this text`;

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
    paragraphs: { type: "boolean" },
    "gap-words": { type: "boolean" },
    resume: { type: "boolean" },
    ...STRATEGY_OPTIONS,
    help: { type: "boolean", short: "h" },
  });
  if (v.help) return console.log(USAGE);
  const out = required(v, "out");
  if (v.resume) {
    const run = await resumeTraining(out);
    console.error(resumedLine(run));
    return await trainWithProgress(
      run,
      positiveInt("--steps", v.steps) ?? run.trainer.opts.schedule.totalSteps,
    );
  }
  const model = required(v, "model");
  const target = positiveInt("--target", v.target);
  if (target === undefined) throw new CliError("--target is required: the length to extend to");
  if (v.mixed && v["no-mixed"]) throw new CliError("give --mixed or --no-mixed, not both");
  const corpus = corpusFlag(v);
  const lr = learningRateFlag(v.lr);
  const run = await startTraining(
    await finetuneRunOptions({
      out,
      model,
      tokenizer: v.tokenizer,
      target,
      table: (spec, seqLen) => tableFromFlags(v, spec, seqLen),
      mixed: !v["no-mixed"],
      steps: positiveInt("--steps", v.steps),
      batchSize: positiveInt("--batch", v.batch),
      longWindows: positiveInt("--long-windows", v["long-windows"]),
      accumulation: positiveInt("--accum", v.accum),
      lr,
      data: v.data,
      corpus,
      seed: positiveInt("--seed", v.seed),
      ...recallWordingFlags(v, corpus),
    }),
  );
  await trainWithProgress(run, run.trainer.opts.schedule.totalSteps);
});
