import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFAULT_MODEL, defaultText, DOWNLOAD_TEXT, evalTextBeside } from "../../compare/defaults.ts";

Deno.test("defaults: a model folder's eval.txt is its text; hf: names and bare folders fall back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = join(dir, "model.bin");
    assert.equal(await evalTextBeside(model), undefined);
    await Deno.writeTextFile(join(dir, "eval.txt"), "text");
    assert.equal(await evalTextBeside(model), join(dir, "eval.txt"));
    assert.equal(await evalTextBeside("hf:karpathy/tinyllamas/stories260K/stories260K.bin"), undefined);
    assert.equal(await defaultText(model, "given.txt"), "given.txt");
    const saved = Deno.env.get("ROPEKIT_TEXT");
    Deno.env.delete("ROPEKIT_TEXT");
    try {
      assert.equal(await defaultText(model), join(dir, "eval.txt"));
      assert.equal(await defaultText(join(dir, "sub", "m.bin")), DOWNLOAD_TEXT);
    } finally {
      if (saved !== undefined) Deno.env.set("ROPEKIT_TEXT", saved);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("defaults: the default model is committed with its tokenizer, eval text and model card", async () => {
  const dir = join(DEFAULT_MODEL, "..");
  for (const f of ["model.bin", "tok768.bin", "eval.txt", "README.md"]) {
    const st = await Deno.stat(join(dir, f));
    assert.ok(st.isFile && st.size > 0, f);
  }
  assert.ok((await Deno.stat(DEFAULT_MODEL)).size <= 8 * 1024 * 1024, "the default model is at most 8 MB");
});
