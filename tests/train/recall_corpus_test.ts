/**
 * The recall corpus: deterministic documents whose questions are answered earlier in the document, and —
 * the point of it — none of ropekit's evaluation templates anywhere in what a training run reads.
 */
import assert from "node:assert/strict";
import { recallDocument, recallHaystack } from "../../train/recall_corpus.ts";
import { NEEDLE_TEMPLATES } from "../../eval/needle.ts";
import { decodeCheckpoint } from "../../train/checkpoint.ts";
import { type DataSource, recallOptions } from "../../train/data_source.ts";

/**
 * The committed training state of models/recall-needle, one checkpoint per stage (stage 2 starts from
 * stage 1's weights): each says which documents its run read.
 */
const CHECKPOINTS = ["stage1/model.bin.ckpt", "model.bin.ckpt"].map((p) =>
  new URL(`../../models/recall-needle/${p}`, import.meta.url)
);

/** Runs `deno task train`'s entry point with these arguments, from the repository root. */
const trainCli = (...args: string[]) =>
  new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi=.build",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "cli/train.ts",
      ...args,
    ],
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();

/** Words of a text, lower-cased, punctuation dropped ("wandering-age" and "Tom's" stay one word). */
const words = (text: string) => text.toLowerCase().match(/[a-z0-9][a-z0-9'-]*/g) ?? [];

/**
 * Every run of three consecutive words in the fixed text of a template's intro, needle and question
 * (a {placeholder} breaks a run, so the held-out phrases are the template's own words).
 */
function templateTrigrams(): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of Object.values(NEEDLE_TEMPLATES)) {
    for (const part of [t.intro ?? "", t.needle, t.question]) {
      for (const fixed of part.split(/\{\w+\}/)) {
        const w = words(fixed);
        for (let i = 0; i + 3 <= w.length; i++) out.set(w.slice(i, i + 3).join(" "), t.name);
      }
    }
  }
  return out;
}

/** The magic-number template's keys: held out as well (the eval's keys never occur in training). */
const EVAL_KEYS = (NEEDLE_TEMPLATES["magic-number"].vars.key as { choice: string[] }).choice;

/** Checks a document: no template trigram, no eval key, no template sentence; returns its words' trigrams count. */
function assertHeldOut(doc: string, grams: Map<string, string>, where: string): void {
  const w = words(doc);
  for (let i = 0; i + 3 <= w.length; i++) {
    const g = `${w[i]} ${w[i + 1]} ${w[i + 2]}`;
    if (grams.has(g)) assert.fail(`${where} contains "${g}" of the ${grams.get(g)} template:\n${doc}`);
  }
  for (const key of EVAL_KEYS) {
    if (doc.includes(key)) assert.fail(`${where} contains the eval key ${key}`);
  }
}

Deno.test("recall corpus: no document a training run reads contains any three consecutive words of an evaluation template", () => {
  const grams = templateTrigrams();
  // The templates' own phrases are what is checked for (a sanity check of the check itself).
  for (
    const g of ["special magic numbers", "the provided text", "the pass key", "had a pet", "make sure to"]
  ) {
    assert.ok(grams.has(g), g);
  }
  // models/recall-needle's runs: every document each stage read, from its committed checkpoint (its corpus
  // options and how far its data stream got), and the documents a BPE was trained on (data_source.ts).
  const t0 = performance.now();
  let read = 0;
  for (const ckpt of CHECKPOINTS) {
    const ck = decodeCheckpoint(Deno.readFileSync(ckpt), ckpt.pathname);
    const meta = ck.header.meta as unknown as DataSource;
    assert.equal(meta.corpus, "recall");
    const opts = recallOptions(meta);
    for (let i = meta.firstDoc ?? 0; i <= ck.header.position.doc; i++, read++) {
      assertHeldOut(recallDocument(meta.seed, i, opts), grams, `document ${i}`);
    }
    if (meta.tokenizer?.startsWith("bpe:")) {
      for (let i = 100_000; i < 103_000; i++, read++) {
        assertHeldOut(recallDocument(meta.seed, i, opts), grams, `BPE document ${i}`);
      }
    }
  }
  // Other seeds too: the generator, not one draw of it, never writes the templates.
  for (let i = 0; i < 5_000; i++) {
    assertHeldOut(recallDocument(7, 20_000 + i), grams, `document ${i} (seed 7)`);
    // And with every option that changes the wording.
    const opts = { paragraphs: true, gapWords: true };
    assertHeldOut(
      recallDocument(7, 40_000 + i, opts),
      grams,
      `document ${i} (seed 7, paragraphs, gap words)`,
    );
  }
  // And the haystack the needle documents are built from.
  assertHeldOut(recallHaystack(2026, 600), grams, "the haystack");
  console.log(
    `the runs' ${read} documents and 10,000 more checked in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s`,
  );
  // The check would catch the template: a document with the needle sentence fails.
  const needle = NEEDLE_TEMPLATES["magic-number"].needle.replace("{key}", "copper-lake").replace(
    "{number}",
    "1234567",
  );
  assert.throws(() => assertHeldOut(`A note. ${needle}`, grams, "planted"), /special magic numbers/);
});

Deno.test("recall corpus: deterministic; every asked value was stated earlier in its document, in varied wording", () => {
  assert.equal(recallDocument(3, 20_000), recallDocument(3, 20_000));
  assert.notEqual(recallDocument(3, 20_000), recallDocument(3, 20_001));
  assert.notEqual(recallDocument(3, 20_000), recallDocument(4, 20_000));
  let questions = 0, sevenDigit = 0, drills = 0;
  const openings = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const doc = recallDocument(3, 20_000 + i);
    if (/One more time: /.test(doc)) {
      drills++;
      const m = doc.match(/read out a line: ([^.]+)\. .*read it again: \1\. .*One more time: \1\.$/);
      assert.ok(m, `malformed drill: ${doc}`);
      continue;
    }
    const lines = doc.split("\n");
    const body = lines.findIndex((l) =>
      !l.endsWith("in mind.") && !l.endsWith("follow.") &&
      !l.endsWith("recall them.") && !l.endsWith("this passage.")
    );
    const text = lines[body];
    for (const q of lines.slice(body + 1)) {
      questions++;
      const value = q.match(/ ([^ ]+)\.$/)![1];
      if (/^\d{7}$/.test(value)) sevenDigit++;
      assert.ok(text.includes(value), `answer ${value} of "${q}" not stated before it`);
      openings.add(q.split(" ").slice(0, 2).join(" "));
    }
  }
  console.log(`400 documents: ${drills} drills, ${questions} questions (${sevenDigit} with 7-digit answers)`);
  assert.ok(drills > 110 && drills < 210, `${drills} drills`);
  assert.ok(questions > 400 && sevenDigit > 150);
  assert.ok(openings.size >= 6, "questions are worded in several ways");
});

Deno.test("recall corpus: a copy-drill curriculum first; the haystack has no digits", () => {
  const drills = (from: number) =>
    Array.from({ length: 500 }, (_, i) => recallDocument(1, from + i)).filter((d) =>
      d.includes("One more time:")
    )
      .length;
  const early = drills(0), late = drills(20_000);
  console.log(`drills: ${early}/500 of the first documents, ${late}/500 after the curriculum`);
  assert.ok(early > 450 && late > 150 && late < 260);
  // The curriculum's drills repeat back to back.
  assert.match(
    recallDocument(1, 0, { curriculumChance: 1 }),
    /^\w+ read out a line: ([^.]+)\. Then \w+ read it again: \1\. One more time: \1\.$/,
  );
  const hay = recallHaystack(2026, 50);
  assert.equal(hay, recallHaystack(2026, 50));
  assert.doesNotMatch(hay, /\d/);
  assert.equal(hay.split("\n\n").length, 50);
});

Deno.test("recall corpus: --paragraphs writes the body in paragraphs like the haystack, and changes nothing else when off", () => {
  let broken = 0;
  for (let i = 0; i < 200; i++) {
    const plain = recallDocument(5, 30_000 + i), split = recallDocument(5, 30_000 + i, { paragraphs: true });
    assert.equal(recallDocument(5, 30_000 + i, { paragraphs: false }), plain);
    assert.doesNotMatch(plain, /\n\n/);
    if (plain.includes("One more time:")) {
      assert.equal(split, plain, "drills have no body to break");
      continue;
    }
    // Same sentences and questions; only the whitespace between body sentences may differ.
    assert.equal(split.replace(/\n\n/g, " "), plain);
    const body = split.split("\n\n");
    if (body.length > 1) broken++;
    // Paragraphs hold 4–11 sentences (the last may be shorter).
    for (const p of body.slice(0, -1)) {
      const n = p.split(/(?<=[.?!]) (?=[A-Z])/).length;
      assert.ok(n >= 4 && n <= 11 + 2, `${n} sentences: ${p}`);
    }
  }
  assert.ok(broken > 60, `${broken} documents in paragraphs`);
});

Deno.test("deno task train --corpus recall: a tiny run trains on the recall corpus and resumes from its checkpoint", async () => {
  const dir = await Deno.makeTempDir();
  const out = `${dir}/model.bin`;
  const base = ["--config", "tiny", "--corpus", "recall", "--seq", "64", "--batch", "2", "--out", out];
  const first = await trainCli(...base, "--steps", "4", "--checkpoint-every", "2");
  assert.equal(first.code, 0, new TextDecoder().decode(first.stderr));
  assert.match(new TextDecoder().decode(first.stderr), /generated recall \(seed 1, 0–20 filler sentences\)/);
  const resumed = await trainCli("--out", out, "--resume", "--steps", "6");
  assert.equal(resumed.code, 0, new TextDecoder().decode(resumed.stderr));
  const { decodeCheckpoint } = await import("../../train/checkpoint.ts");
  const ck = decodeCheckpoint(await Deno.readFile(`${out}.ckpt`), "ckpt");
  assert.equal(ck.header.meta.corpus, "recall");
  assert.equal(ck.header.step, 6);
  assert.ok((await Deno.stat(out)).size > 0);
});

Deno.test("deno task train: --paragraphs and --whole-docs are stored in the checkpoint and kept on resume; refused off the recall corpus", async () => {
  const dir = await Deno.makeTempDir();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const out = `${dir}/model.bin`;
  const first = await trainCli(
    ...[
      "--config",
      "tiny",
      "--corpus",
      "recall",
      "--paragraphs",
      "--whole-docs",
      "--seq",
      "64",
      "--batch",
      "2",
    ],
    ...["--out", out, "--steps", "2", "--checkpoint-every", "2"],
  );
  assert.equal(first.code, 0, text(first.stderr));
  assert.match(text(first.stderr), /in paragraphs, windows start at documents\)/);
  const resumed = await trainCli("--out", out, "--resume", "--steps", "3");
  assert.equal(resumed.code, 0, text(resumed.stderr));
  assert.match(text(resumed.stderr), /in paragraphs, windows start at documents\)/);
  const ck = decodeCheckpoint(await Deno.readFile(`${out}.ckpt`), "ckpt");
  assert.equal(ck.header.meta.paragraphs, true);
  assert.equal(ck.header.meta.wholeDocs, true);
  // Whole documents: every window opens on a document, so the stream's position is always a document's start.
  assert.equal(ck.header.position.offset, 0);
  const refused = await trainCli(
    "--config",
    "tiny",
    "--corpus",
    "stories",
    "--paragraphs",
    "--out",
    `${dir}/s.bin`,
  );
  assert.notEqual(refused.code, 0);
  assert.match(text(refused.stderr), /--paragraphs applies to the generated recall corpus/);
  // The other recall-only flags go through the same check.
  for (const flag of [["--gap-words"], ["--drill-docs", "100"]]) {
    const r = await trainCli("--config", "tiny", "--corpus", "facts", ...flag, "--out", `${dir}/f.bin`);
    assert.notEqual(r.code, 0);
    assert.match(text(r.stderr), new RegExp(`${flag[0]} applies to the generated recall corpus`));
  }
  await Deno.remove(dir, { recursive: true });
});
