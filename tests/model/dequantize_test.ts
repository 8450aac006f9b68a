/**
 * Decoding of every supported GGUF tensor type against the `gguf` Python package's reference
 * (`gguf.quants.dequantize`), computed here by python3 on random blocks: ropekit's TypeScript decoder
 * and the C one (rk_dequantize, native and WebAssembly) must give the same float32 bits.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { BLOCK, dequantize } from "../../model/dequantize.ts";
import { nativeKernels } from "../../kernels/native/lib.ts";
import { wasmKernels } from "../../kernels/wasm/lib.ts";
import { ggufPythonMissing, python } from "./_gguf_python.ts";

const missing = await ggufPythonMissing();
if (missing) console.log(`dequantize_test: skipped: ${missing}`);

/** Random blocks of each type (scale fields finite, subnormals included) and gguf's decoding of them. */
const SCRIPT = String.raw`
import sys, numpy as np, gguf
from gguf.quants import dequantize
out, names = sys.argv[1], sys.argv[2].split(",")
rng = np.random.default_rng(20261206)
# offsets of the f16 scale fields of each block type
F16_AT = {"Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208]}
for name in names:
    t = gguf.GGMLQuantizationType[name]
    elems, size = gguf.GGML_QUANT_SIZES[t]
    nb = 64
    raw = rng.integers(0, 256, size=(nb, size), dtype=np.uint8)
    def halves(n):
        h = (rng.standard_normal(n) * 0.05).astype(np.float16)
        h[: n // 8] = (rng.standard_normal(n // 8) * 1e-6).astype(np.float16)  # subnormal halves
        return h.view(np.uint8).reshape(n, 2)
    if name == "F16":
        raw = halves(nb * elems // 1).reshape(-1)[: nb * size].reshape(nb, size)
    elif name == "BF16":
        f = (rng.standard_normal(nb) * 3).astype(np.float32)
        raw = (f.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8).reshape(nb, size)
    else:
        for at in F16_AT[name]:
            raw[:, at:at + 2] = halves(nb)
    deq = dequantize(raw.reshape(-1), t).astype(np.float32)
    raw.tofile(f"{out}/{name}.bin")
    deq.tofile(f"{out}/{name}.f32")
`;

const NAMES = Object.values(BLOCK).map((b) => b.name).filter((n) => n !== "F32");

Deno.test({
  name:
    "dequantize: F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K bit-exact with gguf.quants (TS, native, wasm)",
  ignore: missing !== null,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await python(SCRIPT, [dir, NAMES.join(",")]);
      const kernels = [["native", nativeKernels()], ["wasm", wasmKernels()]] as const;
      for (const [type, blk] of Object.entries(BLOCK)) {
        if (blk.name === "F32") continue;
        const bytes = await Deno.readFile(join(dir, `${blk.name}.bin`));
        const want = new Uint32Array((await Deno.readFile(join(dir, `${blk.name}.f32`))).buffer);
        const n = (bytes.byteLength / blk.bytes) * blk.elements;
        assert.equal(want.length, n, blk.name);
        const ts = new Uint32Array(dequantize(Number(type), bytes, n, blk.name).buffer);
        assert.deepEqual(ts, want, `${blk.name}: TypeScript decode differs from gguf.quants`);
        for (const [label, nk] of kernels) {
          if (!nk) {
            console.log(
              `dequantize_test: ${label} kernels not loaded; only TypeScript checked for ${blk.name}`,
            );
            continue;
          }
          const out = new Float32Array(n);
          nk.rk_dequantize(out, bytes, Number(type), BigInt(n));
          assert.deepEqual(
            new Uint32Array(out.buffer),
            want,
            `${blk.name}: ${label} decode differs from gguf.quants`,
          );
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
