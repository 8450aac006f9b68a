/**
 * `deno task finetune` end to end on a tiny model trained here on the facts corpus with its own BPE:
 * mixed and --no-mixed runs, the long-document stream, resume, and usage errors.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CpuBackend } from "../../model/cpu_backend.ts";
import { loadModel } from "../../model/load_model.ts";
import { decodeCheckpoint } from "../../train/checkpoint.ts";

const root = new URL("../../", import.meta.url).pathname;

async function run(cli: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi=.build",
      `cli/${cli}.ts`,
      ...args,
    ],
    cwd: root,
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

const losses = (log: string) => [...log.matchAll(/loss (\d+\.\d+)/g)].map((m) => Number(m[1]));

Deno.test("finetune: facts corpus + BPE base model, mixed and --no-mixed fine-tunes, resume", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = join(dir, "base", "model.bin");
    const trained = await run(
      "train",
      ...["--config", "tiny", "--corpus", "facts", "--tokenizer", "bpe:400", "--seq", "48", "--batch", "2"],
      ...["--steps", "4", "--out", base],
    );
    assert.equal(trained.code, 0, trained.stderr);
    assert.match(trained.stderr, /vocab 400\) on generated facts \(seed 1, 0–14 filler sentences\)/);
    await Deno.stat(join(dir, "base", "tok400.bin"));

    const mixed = join(dir, "mixed", "model.bin");
    const m = await run(
      "finetune",
      ...[
        "--model",
        base,
        "--strategy",
        "yarn:beta_fast=16",
        "--target",
        "144",
        "--steps",
        "2",
        "--batch",
        "1",
      ],
      ...["--out", mixed, "--lr", "1e-3"],
    );
    assert.equal(m.code, 0, m.stderr);
    assert.match(
      m.stderr,
      /long documents 4–12 filler sentences\), 1×48 \+ 1×144 long \(full attention, rescaled RoPE\)/,
    );
    assert.match(
      m.stderr,
      /seed 1, from document 100000,/,
      "fine-tuning data start past the drill curriculum",
    );
    assert.equal(losses(m.stderr).length, 2);
    const header = decodeCheckpoint(await Deno.readFile(`${mixed}.ckpt`), "ckpt").header;
    assert.ok(header.longPosition, "the long windows come from their own stream");
    assert.equal(header.options.long?.shortRope, "original");
    const tuned = await loadModel(mixed, { backend: new CpuBackend() });
    assert.equal(tuned.spec.originalContext, 48, "the fine-tuned model keeps L0");

    const plain = join(dir, "plain", "model.bin");
    const p = await run(
      "finetune",
      ...[
        "--model",
        base,
        "--strategy",
        "pi",
        "--target",
        "96",
        "--steps",
        "2",
        "--batch",
        "1",
        "--no-mixed",
      ],
      ...["--out", plain],
    );
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stderr, /rescaled RoPE also on the short windows/);

    const resumed = await run("finetune", "--out", mixed, "--resume", "--steps", "3");
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /resumed .* at step 2/);
    assert.equal(losses(resumed.stderr).length, 1);

    // The recall corpus's wording options, as `train` takes them: described, stored, kept on resume.
    const worded = join(dir, "worded", "model.bin");
    const w = await run(
      "finetune",
      ...["--model", base, "--strategy", "yarn", "--target", "96", "--steps", "1", "--batch", "1"],
      ...["--corpus", "recall", "--paragraphs", "--gap-words", "--out", worded],
    );
    assert.equal(w.code, 0, w.stderr);
    assert.match(
      w.stderr,
      /generated recall \(seed 1, from document 100000, 0–20 filler sentences, in paragraphs, gap-word questions/,
    );
    const meta = decodeCheckpoint(await Deno.readFile(`${worded}.ckpt`), "ckpt").header.meta;
    assert.equal(meta.paragraphs, true);
    assert.equal(meta.gapWords, true);
    const wr = await run("finetune", "--out", worded, "--resume", "--steps", "2");
    assert.equal(wr.code, 0, wr.stderr);
    assert.match(wr.stderr, /in paragraphs, gap-word questions/);

    const lonely = join(dir, "lonely", "model.bin");
    await Deno.mkdir(join(dir, "lonely"));
    await Deno.copyFile(base, lonely);
    const errors: [string[], RegExp][] = [
      [
        ["--model", lonely, "--target", "96", "--out", plain],
        /no tokenizer found \(looked for .*tok400\.bin\)/,
      ],
      [["--model", base, "--out", plain], /--target is required/],
      [["--model", base, "--target", "32", "--out", plain], /must exceed the model's context 48/],
      [["--model", base, "--target", "96", "--mixed", "--no-mixed", "--out", plain], /not both/],
      [
        ["--model", base, "--target", "96", "--gap-words", "--out", plain],
        /--gap-words applies to the generated recall corpus \(--corpus recall\) only/,
      ],
      [["--model", join(dir, "nowhere", "m.bin"), "--target", "96", "--out", plain], /NotFound|No such file/],
    ];
    for (const [args, re] of errors) {
      const r = await run("finetune", ...args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, re);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
