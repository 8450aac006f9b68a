/**
 * The engines harness against the real engines: the default model exported with YaRN and LongRoPE2
 * and scored in transformers (python3 + torch + transformers) and llama.cpp (node-llama-cpp) on the
 * same windows as ropekit. Each engine's test is skipped, with the reason printed, where it is not
 * installed (see docs/engines.md for the install lines).
 */
import assert from "node:assert/strict";
import { loadModel } from "../../model/load_model.ts";
import { engineMissing, type EngineName, runEngines } from "../../engines/engines.ts";
import { DEFAULT_MODEL, evalTextBeside } from "../../compare/defaults.ts";

const python = Deno.env.get("ROPEKIT_PYTHON");
const setup = python ? { python } : {};

for (const engine of ["transformers", "llama.cpp"] as EngineName[]) {
  const missing = await engineMissing(engine, setup);
  if (missing) console.log(`engines_test: ${engine} skipped: ${missing}`);
  Deno.test({
    name: `engines: ${engine} gives ropekit's per-token NLL for YaRN and LongRoPE2 at 2048 (default model)`,
    ignore: missing !== null,
    async fn() {
      const model = await loadModel(DEFAULT_MODEL);
      const ids = model.tokenizer.encode(await Deno.readTextFile((await evalTextBeside(DEFAULT_MODEL))!), {
        bos: false,
      });
      const bos = model.tokenizer.bosId;
      const windows = [[bos, ...ids.slice(0, 2047)], [bos, ...ids.slice(2047, 2047 + 255)]];
      const workDir = await Deno.makeTempDir();
      try {
        const rows = await runEngines({
          model,
          windows,
          targetLength: 2048,
          strategies: ["yarn", "longrope2"],
          engines: [engine],
          workDir,
          setup,
        });
        for (const r of rows) {
          assert.equal(r.status, "ok", `${r.strategy}: ${r.reason}`);
          const at = (n: number) => r.byLength!.find((a) => a.length === n)!;
          assert.ok(at(2048).agrees, `${r.strategy} at 2048: ${JSON.stringify(at(2048))}`);
          assert.equal(at(2048).tokens, 2047);
          if (r.strategy === "yarn") assert.ok(at(256).agrees, `yarn at 256: ${JSON.stringify(at(256))}`);
          if (r.strategy === "longrope2") {
            // Within L0 LongRoPE2 keeps the original RoPE at scale 1; transformers applies the long attention
            // factor there too and llama.cpp's llama architecture the long factors: a real, noted difference.
            assert.ok(!at(256).agrees);
            assert.ok(r.notes!.length > 0);
          }
        }
      } finally {
        await Deno.remove(workDir, { recursive: true });
      }
    },
  });
}
