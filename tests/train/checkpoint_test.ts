import assert from "node:assert/strict";
import { join } from "node:path";
import {
  decodeCheckpoint,
  encodeCheckpoint,
  ropeFromJson,
  ropeToJson,
  writeAtomic,
} from "../../train/checkpoint.ts";
import { parameterList } from "../../train/params.ts";
import { Trainer } from "../../train/trainer.ts";
import { longStoryDocs, storyDocs, tinyLongRope, tinyRope, tinyTrainer } from "./helpers.ts";

for (const [mixed, longStream] of [[false, false], [true, false], [true, true]]) {
  const what = longStream ? " (mixed windows, long-document stream)" : mixed ? " (mixed windows)" : "";
  Deno.test(`resuming from a checkpoint gives the straight run's losses and weights bit for bit${what}`, async () => {
    const straight = tinyTrainer(mixed, longStream);
    for (let i = 0; i < 6; i++) straight.trainStep();

    const first = tinyTrainer(mixed, longStream);
    for (let i = 0; i < 3; i++) first.trainStep();
    const dir = await Deno.makeTempDir();
    try {
      const path = join(dir, "run.ckpt");
      await writeAtomic(path, encodeCheckpoint(first.checkpoint({ corpusSeed: 7 })));
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["run.ckpt"], "no temporary file left");
      const ck = decodeCheckpoint(await Deno.readFile(path), path);
      assert.deepEqual(ck.header.meta, { corpusSeed: 7 });
      if (longStream) assert.throws(() => Trainer.resume(ck, storyDocs), /long-document stream/);
      const resumed = Trainer.resume(ck, storyDocs, longStream ? longStoryDocs : undefined);
      for (let i = 0; i < 3; i++) resumed.trainStep();

      assert.equal(resumed.step, 6);
      assert.deepEqual(resumed.losses, straight.losses);
      assert.deepEqual(resumed.data.position, straight.data.position);
      assert.deepEqual(resumed.longData?.position, straight.longData?.position);
      const a = parameterList(resumed.weights), b = parameterList(straight.weights);
      a.forEach((p, i) => assert.deepEqual(p, b[i], `tensor ${i}`));
      resumed.optimizer.v.forEach((v, i) => assert.deepEqual(v, straight.optimizer.v[i]));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("decodeCheckpoint rejects other files and truncated data", () => {
  assert.throws(() => decodeCheckpoint(new TextEncoder().encode("not a checkpoint"), "x"), /not a ropekit/);
  const bytes = encodeCheckpoint(tinyTrainer().checkpoint());
  assert.throws(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4), "y"), /floats, expected/);
});

Deno.test("RoPE survives JSON: frequencies, scale, start tokens; per-window positions are dropped", () => {
  const p = {
    ...tinyLongRope,
    startTokens: 4,
    originalInvFreq: tinyRope.invFreq,
    positions: new Int32Array([0, 1]),
  };
  const back = ropeFromJson(JSON.parse(JSON.stringify(ropeToJson(p))));
  assert.deepEqual(Array.from(back.invFreq), Array.from(p.invFreq));
  assert.deepEqual(Array.from(back.originalInvFreq!), Array.from(p.originalInvFreq));
  assert.equal(back.startTokens, 4);
  assert.equal(back.scale, 1.1);
  assert.equal(back.positions, undefined);
});
