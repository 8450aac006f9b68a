/**
 * Parity with the PyTorch peer (shared/peers/torch_llama.py) on long windows, custom inverse
 * frequencies and an attention scale ≠ 1. Runs when ROPEKIT_PEER_PYTHON names a python with torch.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadModel } from "../../model/load_model.ts";
import { baseInvFreq } from "../../strategies/float32.ts";
import { rng, stories260K } from "./_fixtures.ts";
import { sharedPath } from "../_shared_dir.ts";

const python = Deno.env.get("ROPEKIT_PEER_PYTHON");
const dir = stories260K();
const peer = sharedPath("peers/torch_llama.py");
if (!python) console.log("SKIP peer parity: set ROPEKIT_PEER_PYTHON to a python with torch");

Deno.test({
  name: "NLL matches the PyTorch peer to 1e-4 relative at 2048 tokens (custom inv_freq, scale ≠ 1)",
  ignore: !python || dir === null,
  fn: async () => {
    const model = await loadModel(join(dir!, "stories260K.bin"));
    const text = await Deno.readTextFile(sharedPath("data/tinystories_valid_head.txt"));
    const ids = model.tokenizer.encode(text, { bos: false });
    const windows = [0, 1].map((i) => [1, ...ids.slice(i * 2047, (i + 1) * 2047)]);
    const r = rng(11);
    const base = baseInvFreq(10000, 8);
    const cases = [
      { invFreq: [...base], scale: 1 },
      { invFreq: [...base].map((f) => f / 4), scale: 1.1386 }, // PI ×4 with a YaRN-like scale
      { invFreq: [...base].map((f, i) => f / (1 + 3 * (i / 3) ** 2)), scale: 0.93 }, // NTK-like ramp
      { invFreq: [...base].map((f) => f * (1 + 0.5 * r())), scale: 1.25 }, // arbitrary
    ];
    const tmp = await Deno.makeTempDir();
    const tokensPath = join(tmp, "tokens.json");
    await Deno.writeTextFile(tokensPath, JSON.stringify(windows));
    let maxRel = 0;
    for (const [i, c] of cases.entries()) {
      const invPath = join(tmp, `inv${i}.json`);
      await Deno.writeTextFile(invPath, JSON.stringify(c.invFreq));
      const out = await new Deno.Command(python!, {
        args: [
          peer,
          "nll",
          "--model",
          join(dir!, "stories260K.bin"),
          "--tokens",
          tokensPath,
          "--inv-freq",
          invPath,
          "--attention-scale",
          String(c.scale),
        ],
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const want: number[][] = JSON.parse(new TextDecoder().decode(out.stdout)).nll;
      const got = await model.nll(windows, {
        rotaryDim: 8,
        invFreq: Float64Array.from(c.invFreq),
        attentionScale: c.scale,
      });
      for (const [w, nll] of got.nll.entries()) {
        const a = nll.reduce((s, v) => s + v, 0), b = want[w].reduce((s, v) => s + v, 0);
        maxRel = Math.max(maxRel, Math.abs(a - b) / Math.abs(b));
      }
    }
    console.log(`peer parity: max relative error of window NLL sums ${maxRel.toExponential(2)}`);
    assert.ok(maxRel < 1e-4, `max relative error ${maxRel}`);
    await Deno.remove(tmp, { recursive: true });
  },
});
