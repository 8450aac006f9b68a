/**
 * `deno task train` end to end: a tiny model trained for a few dozen steps on generated stories,
 * its loss falling, the written `.bin` + tokenizer loaded by `loadModel` and scoring a held-out story
 * better than chance, a resumed run continuing from the checkpoint, and a mixed-window fine-tune of it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CpuBackend } from "../../model/cpu_backend.ts";
import { loadModel } from "../../model/load_model.ts";
import { defaultStrategy } from "../../strategies/default.ts";
import { buildTable } from "../../strategies/registry.ts";
import { decodeCheckpoint } from "../../train/checkpoint.ts";
import { llama2cSpec } from "../../train/configs.ts";
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
    assert.deepEqual(
      model.spec,
      llama2cSpec(model.config.headDim, 64),
      "trained with the RoPE it loads with",
    );
    const { nll } = await model.nll([ids], await buildTable(defaultStrategy, model.spec));
    const heldOut = mean(Array.from(nll[0]));
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

    const tuned = await train(
      ...["--init", out, "--tokenizer", join(dir, "tok260.bin"), "--mixed", "--strategy", "pi"],
      ...[
        "--seq",
        "32",
        "--batch",
        "1",
        "--long-seq",
        "96",
        "--steps",
        "3",
        "--out",
        join(dir, "ft", "model.bin"),
      ],
    );
    assert.equal(tuned.code, 0, tuned.stderr);
    assert.match(tuned.stderr, /1×32 \+ 1×96 long \(full attention, rescaled RoPE\) tokens per step/);
    const tunedLosses = losses(tuned.stderr);
    assert.equal(tunedLosses.length, 3);
    assert.ok(tunedLosses[0] < Math.log(model.config.vocabSize) - 1, "starts from the trained weights");
    const tunedModel = await loadModel(join(dir, "ft", "model.bin"), { backend: new CpuBackend() });
    assert.equal(tunedModel.spec.originalContext, 64, "fine-tuning keeps the trained context L0");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: a text file, gradient accumulation, no document masks", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const text = join(dir, "corpus.txt");
    await Deno.writeTextFile(text, "The cat sat on the mat.\n\nThe dog ran in the park.\n\n\nA bird sang.\n");
    const out = join(dir, "m.bin");
    const args = [
      "--data",
      text,
      "--accum",
      "2",
      "--batch",
      "1",
      "--seq",
      "32",
      "--no-doc-masks",
      "--steps",
      "3",
    ];
    const r = await train(...args, "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /on .*corpus\.txt, 2×32 tokens per step/);
    assert.equal(losses(r.stderr).length, 3);
    await Deno.stat(join(dir, "tok260.bin"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: bad flags are usage errors", async () => {
  const r = await train("--out", "x.bin", "--config", "huge");
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--config must be one of tiny, small/);
  const s = await train("--out", "x.bin", "--strategy", "pi");
  assert.equal(s.code, 1);
  assert.match(s.stderr, /add --mixed/);
  const t = await train("--out", "x.bin", "--init", "m.bin");
  assert.equal(t.code, 1);
  assert.match(t.stderr, /--init needs --tokenizer/);
  const cases: [string[], RegExp][] = [
    [["--corpus", "novels"], /--corpus must be one of facts, stories, recall, got novels/],
    [["--filler", "9,3"], /--filler must look like A,B with A ≤ B, got 9,3/],
    [["--data", "t.txt", "--corpus", "facts"], /give --data or --corpus, not both/],
    [["--first-doc", "first"], /--first-doc must be a positive integer/],
    [["--long-filler", "1,2"], /add --mixed/],
  ];
  for (const [args, re] of cases) {
    const e = await train("--out", "x.bin", ...args);
    assert.equal(e.code, 1, e.stderr);
    assert.match(e.stderr, re);
  }
});

Deno.test("train: a run killed with SIGKILL resumes to the same loss curve and weights, bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = (out: string) => [
      ...["--config", "tiny", "--seq", "48", "--batch", "2", "--steps", "16", "--checkpoint-every", "2"],
      ...["--out", out],
    ];
    const straight = join(dir, "straight", "m.bin"), killed = join(dir, "killed", "m.bin");
    assert.equal((await train(...args(straight))).code, 0);

    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "cli/train.ts", ...args(killed)],
      cwd: root,
      stderr: "null",
    }).spawn();
    let step = 0;
    for (let i = 0; i < 600 && step < 4; i++) {
      await new Promise((r) => setTimeout(r, 20));
      try {
        step = decodeCheckpoint(await Deno.readFile(`${killed}.ckpt`), "ckpt").header.step;
      } catch { /* not written yet, or being renamed into place */ }
    }
    child.kill("SIGKILL");
    const status = await child.status;
    assert.ok(step >= 4 && step < 16, `killed after step ${step}`);
    console.log(`killed at step ${step}+ (signal ${status.signal})`);

    const resumed = await train("--out", killed, "--resume", "--steps", "16");
    assert.equal(resumed.code, 0, resumed.stderr);
    const a = decodeCheckpoint(await Deno.readFile(`${straight}.ckpt`), "a");
    const b = decodeCheckpoint(await Deno.readFile(`${killed}.ckpt`), "b");
    assert.equal(b.header.step, 16);
    assert.deepEqual(b.header.losses, a.header.losses, "the same loss curve");
    a.params.forEach((p, i) => assert.deepEqual(b.params[i], p, `parameter ${i}`));
    assert.deepEqual(await Deno.readFile(killed), await Deno.readFile(straight), "the same .bin");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
