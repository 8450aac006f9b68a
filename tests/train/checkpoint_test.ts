import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeCheckpoint, encodeCheckpoint, writeAtomic } from "../../train/checkpoint.ts";
import { parameterList } from "../../train/params.ts";
import { Trainer } from "../../train/trainer.ts";
import { storyDocs, tinyTrainer } from "./helpers.ts";

Deno.test("resuming from a checkpoint gives the straight run's losses and weights bit for bit", async () => {
  const straight = tinyTrainer();
  for (let i = 0; i < 6; i++) straight.trainStep();

  const first = tinyTrainer();
  for (let i = 0; i < 3; i++) first.trainStep();
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "run.ckpt");
    await writeAtomic(path, encodeCheckpoint(first.checkpoint({ corpusSeed: 7 })));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["run.ckpt"], "no temporary file left");
    const ck = decodeCheckpoint(await Deno.readFile(path), path);
    assert.deepEqual(ck.header.meta, { corpusSeed: 7 });
    const resumed = Trainer.resume(ck, storyDocs);
    for (let i = 0; i < 3; i++) resumed.trainStep();

    assert.equal(resumed.step, 6);
    assert.deepEqual(resumed.losses, straight.losses);
    assert.deepEqual(resumed.data.position, straight.data.position);
    const a = parameterList(resumed.weights), b = parameterList(straight.weights);
    a.forEach((p, i) => assert.deepEqual(p, b[i], `tensor ${i}`));
    resumed.optimizer.v.forEach((v, i) => assert.deepEqual(v, straight.optimizer.v[i]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("decodeCheckpoint rejects other files and truncated data", () => {
  assert.throws(() => decodeCheckpoint(new TextEncoder().encode("not a checkpoint"), "x"), /not a ropekit/);
  const bytes = encodeCheckpoint(tinyTrainer().checkpoint());
  assert.throws(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4), "y"), /floats, expected/);
});
