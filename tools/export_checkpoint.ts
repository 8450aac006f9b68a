/**
 * Writes the model of a training run's latest checkpoint — a run still going, or stopped before its last
 * step — as the files a finished run writes: the llama2.c `.bin`, `tok<vocab>.bin` and `loss.svg`, into
 * DIR. The run itself is untouched and resumes with `deno task train --out RUN.bin --resume`.
 *
 *   deno run --allow-read --allow-write --allow-env --allow-ffi=.build tools/export_checkpoint.ts RUN.bin DIR
 *
 * @module
 */
import { join } from "node:path";
import { resumeTraining } from "../train/run.ts";
import { llama2cBytes } from "../train/llama2c_writer.ts";
import { lossChartSvg } from "../train/loss_chart.ts";

if (Deno.args.length !== 2) {
  console.error("usage: export_checkpoint.ts RUN.bin DIR   (reads RUN.bin.ckpt)");
  Deno.exit(1);
}
const [out, dir] = Deno.args;
const run = await resumeTraining(out);
await Deno.mkdir(dir, { recursive: true });
const { trainer, tokenizer, meta } = run;
await Deno.writeFile(join(dir, "model.bin"), llama2cBytes(trainer.weights, meta.context));
await Deno.writeFile(join(dir, `tok${tokenizer.vocabSize}.bin`), tokenizer.bin);
await Deno.writeTextFile(
  join(dir, "loss.svg"),
  lossChartSvg(trainer.losses, `training loss: ${out} (step ${trainer.step})`),
);
console.error(`${dir}: the model at step ${trainer.step} of ${out}`);
