/**
 * Sliding-window attention (`AttentionArgs.window`: row i sees keys j with i − window < j ≤ i, in its
 * document): the reference against an obvious masked softmax, and every other implementation — the
 * fast TypeScript kernel, native C, WebAssembly, the KV-cache path of generation and WGSL — against the
 * reference.
 */
import { causalAttentionFast } from "../../kernels/cpu/attention_fast.ts";
import { type AttentionArgs, causalAttentionRef } from "../../kernels/cpu/mod.ts";
import { nativeKernels } from "../../kernels/native/lib.ts";
import { causalAttentionNative } from "../../kernels/native/mod.ts";
import { wasmKernels } from "../../kernels/wasm/lib.ts";
import { attendToCache } from "../../model/cached_attention.ts";
import { assertClose, random } from "./_util.ts";
import { gpuTest, withGpu } from "./_gpu.ts";
import { runAttention } from "./_gpu_run.ts";

/**
 * Float32 kernels against the float64-accumulating reference: a window of 5 averages few values, some
 * outputs cancel to ~4e-4, and there one float32 ulp of the terms (~1e-7) is ~1e-4 of assertClose's
 * floor (1e-3 of the largest output); 5e-4 allows a few ulps.
 */
const TOL = 5e-4;

type Case = Omit<AttentionArgs<Float32Array<ArrayBuffer>>, "out">;

/** T = 37 rows, GQA 4/2, windows shorter than T, one with documents and a softmax scale. */
function cases(hd: number): Case[] {
  const T = 37, H = 4, KV = 2;
  const q = random(T * H * hd, 31, -2, 2), k = random(T * KV * hd, 32, -2, 2), v = random(T * KV * hd, 33);
  const base = { q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd };
  return [
    { ...base, window: 1 },
    { ...base, window: 5 },
    { ...base, window: 16 },
    { ...base, window: 24, docStarts: new Int32Array([0, 10, 30]), softmaxScale: 0.3 },
  ];
}

const label = (c: Case) => `T${c.T} hd${c.headDim} window ${c.window}${c.docStarts ? " docs" : ""}`;

function reference(c: Case): Float32Array {
  const out = new Float32Array(c.T * c.nHeads * c.headDim);
  causalAttentionRef({ ...c, out });
  return out;
}

/** Full T×T masked softmax in float64 (tests only). */
function obvious(c: Case): Float64Array {
  const { q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd } = c;
  const docs = [...(c.docStarts ?? [0])];
  const docOf = (t: number) => docs.filter((s) => s <= t).length;
  const scale = c.softmaxScale ?? 1 / Math.sqrt(hd);
  const out = new Float64Array(T * H * hd);
  for (let h = 0; h < H; h++) {
    const g = Math.floor(h / (H / KV));
    for (let i = 0; i < T; i++) {
      const s = Array.from({ length: T }, (_, j) => {
        if (j > i || j <= i - c.window! || docOf(j) !== docOf(i)) return -Infinity;
        let d = 0;
        for (let x = 0; x < hd; x++) d += q[(i * H + h) * hd + x] * k[(j * KV + g) * hd + x];
        return d * scale;
      });
      const max = Math.max(...s), e = s.map((x) => Math.exp(x - max)), z = e.reduce((a, b) => a + b);
      for (let j = 0; j < T; j++) {
        for (let x = 0; x < hd; x++) out[(i * H + h) * hd + x] += (e[j] / z) * v[(j * KV + g) * hd + x];
      }
    }
  }
  return out;
}

Deno.test("attention window: the reference equals a masked softmax (j > i − window), and window 1 copies v", () => {
  for (const c of cases(8)) assertClose(`ref ${label(c)}`, reference(c), obvious(c), 1e-5);
  const c = cases(8)[0], out = reference(c);
  // Each head of row t sees only key t: out = v of its KV head.
  for (let t = 0; t < c.T; t++) {
    for (let h = 0; h < c.nHeads; h++) {
      const g = Math.floor(h / 2), o = (t * c.nHeads + h) * 8, vo = (t * c.nKvHeads + g) * 8;
      assertClose(`window 1 row ${t} head ${h}`, out.subarray(o, o + 8), c.v.subarray(vo, vo + 8), 1e-6);
    }
  }
});

Deno.test("attention window: the fast TypeScript kernel equals the reference", () => {
  for (const c of cases(8)) {
    const out = new Float32Array(c.T * c.nHeads * c.headDim);
    causalAttentionFast({ ...c, out });
    assertClose(`fast ${label(c)}`, out, reference(c), 1e-5);
  }
});

for (const [name, nk] of [["native", nativeKernels()], ["wasm", wasmKernels()]] as const) {
  Deno.test({
    name: `attention window: the ${name} kernel equals the reference`,
    ignore: nk === null,
    fn() {
      for (const hd of [8, 64]) {
        for (const c of cases(hd)) {
          const out = new Float32Array(c.T * c.nHeads * c.headDim);
          causalAttentionNative({ ...c, out }, nk!);
          assertClose(`${name} ${label(c)}`, out, reference(c), TOL);
        }
      }
    },
  });
}

Deno.test("attention window: cached rows (generation) equal the reference's rows at their positions", () => {
  for (const c of cases(8).filter((c) => !c.docStarts)) {
    const { T, nHeads, nKvHeads, headDim } = c, start = 20, rows = T - start;
    const out = new Float32Array(rows * nHeads * headDim);
    const q = c.q.subarray(start * nHeads * headDim);
    attendToCache(out, q, c.k, c.v, start, rows, nHeads, nKvHeads, headDim, c.window);
    assertClose(`cached ${label(c)}`, out, reference(c).subarray(start * nHeads * headDim), 1e-5);
  }
});

Deno.test({
  name: "attention window: the WGSL kernel equals the reference (both row blockings)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU attention window", async (ctx) => {
      for (const hd of [8, 68]) {
        for (const c of cases(hd)) {
          assertClose(`GPU ${label(c)}`, await runAttention(ctx, c), reference(c), TOL);
        }
      }
    }),
});
