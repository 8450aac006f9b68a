import assert from "node:assert/strict";
import { join } from "node:path";
import {
  resumeTraining,
  runTraining,
  startTraining,
  type TrainRunOptions,
  TrainSetupError,
} from "../../train/run.ts";

const options = (out: string): TrainRunOptions => ({
  out,
  model: { config: "tiny" },
  data: { data: null, corpus: "stories", seed: 3, filler: [2, 20], tokenizer: null },
  steps: 4,
  seqLen: 32,
  batchSize: 2,
});

Deno.test("training use case: a run stopped at step 2 and resumed ends where a straight run does", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const straight = await startTraining(options(join(dir, "a", "model.bin")));
    await runTraining(straight, { steps: 4 });
    const first = await startTraining(options(join(dir, "b", "model.bin")));
    await runTraining(first, { steps: 2, checkpointEvery: 1 });
    const resumed = await resumeTraining(join(dir, "b", "model.bin"));
    assert.deepEqual(resumed.trainer.step, 2);
    const summary = await runTraining(resumed, { steps: resumed.trainer.opts.schedule.totalSteps });
    assert.deepEqual(summary.steps, 2);
    assert.deepEqual(resumed.trainer.losses, straight.trainer.losses);
    assert.deepEqual(
      await Deno.readFile(summary.files.model),
      await Deno.readFile(join(dir, "a", "model.bin")),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("training use case: an unknown model size is refused before any work", async () => {
  const o = { ...options("unused.bin"), model: { config: "huge" } };
  await assert.rejects(
    () => startTraining(o),
    (e) => e instanceof TrainSetupError && /--config must be one of/.test(e.message),
  );
});
