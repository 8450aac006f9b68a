/**
 * `deno task train` end to end: a tiny model trained for a few dozen steps on generated stories,
 * its loss falling, the written `.bin` + tokenizer loaded by `loadModel` and scoring a held-out story
 * better than chance, and a resumed run continuing from the checkpoint.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CpuBackend } from "../../model/cpu_backend.ts";
import { loadModel } from "../../model/load_model.ts";
import { llama2cRope } from "../../train/configs.ts";
import { story } from "../../train/story_corpus.ts";

const root = new URL("../../", import.meta.url).pathname;

async function train(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "cli/train.ts", ...args],
    cwd: root,
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

const losses = (log: string) => [...log.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

Deno.test("train: loss falls, the .bin loads and beats chance, --resume continues", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "model.bin");
    const common = ["--config", "tiny", "--seq", "64", "--batch", "2", "--lr", "1e-2", "--out", out];
    const first = await train(...common, "--steps", "40", "--checkpoint-every", "20");
    assert.equal(first.code, 0, first.stderr);
    const l = losses(first.stderr);
    assert.equal(l.length, 40);
    console.log(
      `loss: first 5 steps ${mean(l.slice(0, 5)).toFixed(3)}, last 5 ${mean(l.slice(-5)).toFixed(3)}`,
    );
    assert.ok(mean(l.slice(-5)) < mean(l.slice(0, 5)) - 1, first.stderr);
    assert.ok((await Deno.readTextFile(join(dir, "loss.svg"))).startsWith("<svg"));

    const model = await loadModel(out, { backend: new CpuBackend() });
    const ids = model.tokenizer.encode(story(999, 0));
    assert.equal(model.tokenizer.decode(ids), story(999, 0));
    const nll = await model.backend.forwardNll(
      model.weights,
      Int32Array.from(ids),
      llama2cRope(model.config.headDim),
    );
    const heldOut = mean(Array.from(nll));
    console.log(
      `held-out story: ${heldOut.toFixed(3)} nats/token (chance ${
        Math.log(model.config.vocabSize).toFixed(3)
      })`,
    );
    assert.ok(heldOut < Math.log(model.config.vocabSize) - 1);

    const resumed = await train("--out", out, "--steps", "45", "--resume");
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resumed .* at step 40/);
    assert.equal(losses(resumed.stderr).length, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: bad flags are usage errors", async () => {
  const r = await train("--out", "x.bin", "--config", "huge");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--config must be one of tiny, small/);
});
