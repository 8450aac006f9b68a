/**
 * A test-only CPU backend that does what ggml's CPU matmul does to the activations of a quantized matrix:
 * round each 256-value block of the input rows to 8 bits (ggml's Q8_K: the block's largest-magnitude value
 * maps to −127, one float scale) before multiplying. Everything else is ropekit's reference forward pass.
 * tests/export/quantize_test.ts uses it to size the gap between llama.cpp and ropekit on a quantized
 * file (docs/engines.md, "Quantized files"). The rounding follows ggml's quantize_row_q8_K_ref.
 */
import { causalAttentionFast } from "../../kernels/cpu/attention_fast.ts";
import {
  addRef,
  embedRef,
  logitsNllRef,
  matmulAnyRef,
  rmsnormRef,
  type RopeApply,
  ropeRef,
  swigluRef,
} from "../../kernels/cpu/mod.ts";
import type { Backend, KvCache } from "../../model/backend.ts";
import type { ModelWeights, WeightMatrix } from "../../model/config.ts";
import { type BlockOps, llamaBlock, sharedBlockBuffers } from "../../model/llama_block.ts";

/** x [rows][K] with every 256-value block rounded as ggml's Q8_K rounds it (a new array). */
export function roundQ8K(x: Float32Array, K: number): Float32Array {
  const out = new Float32Array(x.length);
  if (K % 256 !== 0) return out.set(x), out;
  for (let o = 0; o < x.length; o += 256) {
    let max = 0, amax = 0;
    for (let j = 0; j < 256; j++) if (Math.abs(x[o + j]) > amax) amax = Math.abs(x[o + j]), max = x[o + j];
    if (amax === 0) continue;
    const iscale = Math.fround(-127 / max), d = Math.fround(1 / iscale);
    for (let j = 0; j < 256; j++) {
      out[o + j] = Math.fround(d * Math.min(127, Math.round(Math.fround(iscale * x[o + j]))));
    }
  }
  return out;
}

const encoded = (w: WeightMatrix) => !(w instanceof Float32Array);

/** forwardNll only: the CPU reference with Q8_K-rounded inputs to every encoded matmul. */
export class Q8KActivationsBackend implements Backend {
  readonly name = "cpu + Q8_K activations";

  forwardNll(w: ModelWeights, tokens: Int32Array, rope: RopeApply): Promise<Float32Array> {
    const c = w.config, T = tokens.length - 1;
    const mm = (a: Parameters<BlockOps<Float32Array, WeightMatrix>["matmul"]>[0]) =>
      matmulAnyRef(encoded(a.w) ? { ...a, x: roundQ8K(a.x, a.K) } : a);
    const ops: BlockOps<Float32Array, WeightMatrix> = {
      rmsnorm: rmsnormRef,
      matmul: mm,
      matmulAdd(a, tmp) {
        mm({ ...a, out: tmp });
        addRef({ out: a.out, a: a.out, b: tmp, n: a.T * a.N });
      },
      rope: (a) => ropeRef({ ...a, rope }),
      attention: (a) => causalAttentionFast(a),
      swiglu: swigluRef,
    };
    const x = new Float32Array(T * c.dim), s = sharedBlockBuffers(c, T, (n) => new Float32Array(n));
    embedRef({ out: x, table: w.embedding, tokens: tokens.subarray(0, T), D: c.dim });
    w.layers.forEach((l, i) => llamaBlock(ops, c, l, i, T, x, s));
    const h = new Float32Array(T * c.dim);
    rmsnormRef({ out: h, x, weight: w.finalNorm, T, D: c.dim, eps: c.normEps });
    const hidden = encoded(w.classifier) ? roundQ8K(h, c.dim) : h;
    return Promise.resolve(
      logitsNllRef({ hidden, wcls: w.classifier, targets: tokens.subarray(1), T, D: c.dim, V: c.vocabSize }),
    );
  }

  createCache(): KvCache {
    throw new Error("forwardNll only");
  }

  forwardStep(): Promise<Float32Array> {
    throw new Error("forwardNll only");
  }
}
