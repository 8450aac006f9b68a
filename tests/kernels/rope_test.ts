import assert from "node:assert/strict";
import { type RopeApply, ropeRef } from "../../kernels/cpu/mod.ts";
import { assertClose, random } from "./_util.ts";
import { gpuTest, withGpu } from "./_gpu.ts";
import { runRope } from "./_gpu_run.ts";

/**
 * Obvious RoPE: rotate each (first, second) channel pair of each head by pos·freq, in float64 except
 * for the angle, which the contract rounds to float32 like HF (it matters at large positions).
 */
function naiveRope(x: Float32Array, T: number, H: number, hd: number, p: RopeApply): Float64Array {
  const out = Float64Array.from(x);
  const half = p.rotaryDim / 2;
  for (let t = 0; t < T; t++) {
    const pos = p.positions ? p.positions[t] : (p.positionOffset ?? 0) + t;
    const early = pos < (p.startTokens ?? 0);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < half; i++) {
        const [a, b] = p.pairing === "interleaved" ? [2 * i, 2 * i + 1] : [i, i + half];
        const ia = (t * H + h) * hd + a, ib = (t * H + h) * hd + b;
        const angle = Math.fround(pos * Math.fround(early ? p.originalInvFreq![i] : p.invFreq[i]));
        const s = early ? 1 : p.scale;
        out[ia] = s * (x[ia] * Math.cos(angle) - x[ib] * Math.sin(angle));
        out[ib] = s * (x[ib] * Math.cos(angle) + x[ia] * Math.sin(angle));
      }
    }
  }
  return out;
}

Deno.test("ropeRef: hand-checked rotation of (1, 0) at position 1", () => {
  const x = new Float32Array([1, 0, 5, 7]); // head of 4 channels, only 2 rotated
  ropeRef({
    x,
    T: 1,
    nHeads: 1,
    headDim: 4,
    rope: {
      rotaryDim: 2,
      invFreq: new Float64Array([1]),
      scale: 2,
      pairing: "half",
      positionOffset: 1,
    },
  });
  assertClose("rotated", x.subarray(0, 2), [2 * Math.cos(1), 2 * Math.sin(1)], 1e-6);
  assert.deepEqual([...x.subarray(2)], [5, 7], "channels ≥ rotaryDim pass through unscaled");
});

Deno.test("ropeRef matches the naive rotation: pairings, partial rotary, offset, start tokens, positions", () => {
  const T = 7, H = 3, hd = 10;
  const invFreq = Float64Array.from({ length: 3 }, (_, i) => 10000 ** (-i / 3));
  const cases: RopeApply[] = [
    { rotaryDim: 6, invFreq, scale: 1, pairing: "interleaved" },
    { rotaryDim: 6, invFreq, scale: 1.2, pairing: "half", positionOffset: 1000 },
    {
      rotaryDim: 6,
      invFreq: invFreq.map((f) => f / 4),
      scale: 1.1,
      pairing: "half",
      startTokens: 3,
      originalInvFreq: invFreq,
    },
    {
      rotaryDim: 6,
      invFreq,
      scale: 0.9,
      pairing: "interleaved",
      positions: new Int32Array([0, 1, 2, 0, 1, 5, 9]),
    },
  ];
  for (const p of cases) {
    const x = random(T * H * hd, 3);
    const want = naiveRope(x, T, H, hd, p);
    ropeRef({ x, T, nHeads: H, headDim: hd, rope: p });
    assertClose(`ropeRef ${p.pairing} scale ${p.scale}`, x, want, 1e-5);
  }
});

Deno.test("ropeRef rejects a table that does not fit the head", () => {
  const p: RopeApply = { rotaryDim: 8, invFreq: new Float64Array(4), scale: 1, pairing: "half" };
  const rows = (headDim: number) => ({ x: new Float32Array(headDim), T: 1, nHeads: 1, headDim });
  assert.throws(() => ropeRef({ ...rows(6), rope: p }), /rotaryDim/);
  assert.throws(
    () => ropeRef({ ...rows(8), rope: { ...p, invFreq: new Float64Array(3) } }),
    /invFreq/,
  );
  assert.throws(() => ropeRef({ ...rows(8), rope: { ...p, startTokens: 2 } }), /originalInvFreq/);
});

Deno.test({
  name: "GPU RoPE matches ropeRef (both pairings, partial rotary, scale, start tokens, positions)",
  ...gpuTest,
  fn: () =>
    withGpu("GPU rope", async (ctx) => {
      const T = 13, H = 3, hd = 12;
      const invFreq = Float64Array.from({ length: 4 }, (_, i) => 10000 ** (-i / 4));
      const cases: RopeApply[] = [
        { rotaryDim: 8, invFreq, scale: 1.3, pairing: "interleaved", positionOffset: 4000 },
        {
          rotaryDim: 8,
          invFreq: invFreq.map((f) => f / 8),
          scale: 1.1,
          pairing: "half",
          startTokens: 5,
          originalInvFreq: invFreq,
        },
        {
          rotaryDim: 8,
          invFreq,
          scale: 1,
          pairing: "half",
          positions: Int32Array.from({ length: T }, (_, t) => t % 5),
        },
      ];
      for (const p of cases) {
        const x = random(T * H * hd, 31);
        const args = { x, T, nHeads: H, headDim: hd, rope: p };
        const got = await runRope(ctx, args);
        ropeRef(args);
        assertClose(`GPU rope ${p.pairing}`, got, x, 1e-4);
      }
    }),
});
