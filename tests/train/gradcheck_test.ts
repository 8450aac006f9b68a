/**
 * Every backward op against central finite differences of its forward reference, in float64 (see
 * `gradcheck.ts`). With f64 arithmetic the numeric gradient is good to ~1e-9, so a tolerance of 1e-6
 * catches any real mistake (a wrong sign or a missing term gives errors of order 1).
 */
import assert from "node:assert/strict";
import {
  causalAttentionRef,
  embedRef,
  logitsNllRef,
  matmulRef,
  rmsnormRef,
  type RopeApply,
  ropeRef,
  swigluRef,
} from "../../kernels/cpu/mod.ts";
import {
  causalAttentionBackward,
  embedBackward,
  logitsNllBackward,
  matmulBackward,
  rmsnormBackward,
  ropeBackward,
  swigluBackward,
} from "../../kernels/cpu/mod.ts";
import { f32, maxRelError, project, randomF64 } from "./gradcheck.ts";

const TOL = 1e-6;

function report(name: string, err: number): void {
  console.log(`${name}: max rel error ${err.toExponential(2)}`);
  assert.ok(err < TOL, `${name}: ${err} ≥ ${TOL}`);
}

Deno.test("matmul backward matches finite differences (dx, dW, dBias)", () => {
  const T = 5, K = 6, N = 4;
  const x = randomF64(T * K, 1), w = randomF64(N * K, 2), b = randomF64(N, 3), r = randomF64(T * N, 4);
  const loss = () => {
    const out = new Float64Array(T * N);
    matmulRef({ out: f32(out), x: f32(x), w: f32(w), T, K, N, bias: f32(b) });
    return project(out, r);
  };
  const dx = new Float64Array(T * K), dW = new Float64Array(N * K), db = new Float64Array(N);
  matmulBackward({ dx, dW, dBias: db, dOut: r, x, w, T, K, N });
  report("matmul dx", maxRelError(loss, x, dx));
  report("matmul dW", maxRelError(loss, w, dW));
  report("matmul dBias", maxRelError(loss, b, db));
});

Deno.test("rmsnorm backward matches finite differences", () => {
  const T = 3, D = 8, eps = 1e-5;
  const x = randomF64(T * D, 5), w = randomF64(D, 6), r = randomF64(T * D, 7);
  const loss = () => {
    const out = new Float64Array(T * D);
    rmsnormRef({ out: f32(out), x: f32(x), weight: f32(w), T, D, eps });
    return project(out, r);
  };
  const dx = new Float64Array(T * D), dw = new Float64Array(D);
  rmsnormBackward({ dx, dWeight: dw, dOut: r, x, weight: w, T, D, eps });
  report("rmsnorm dx", maxRelError(loss, x, dx));
  report("rmsnorm dWeight", maxRelError(loss, w, dw));
});

Deno.test("embedding backward scatter-adds repeated tokens", () => {
  const V = 5, D = 3, tokens = [1, 3, 1, 0];
  const table = randomF64(V * D, 8), r = randomF64(tokens.length * D, 9);
  const loss = () => {
    const out = new Float64Array(tokens.length * D);
    embedRef({ out: f32(out), table: f32(table), tokens, D });
    return project(out, r);
  };
  const dTable = new Float64Array(V * D);
  embedBackward({ dTable, dOut: r, tokens, D });
  report("embedding dTable", maxRelError(loss, table, dTable));
});

Deno.test("RoPE backward: both pairings, partial rotary, scale, positions, start tokens", () => {
  const T = 6, nHeads = 2, headDim = 8;
  const invFreq = (n: number, base: number) => Float64Array.from({ length: n }, (_, i) => base ** (-i / n));
  const cases: [string, RopeApply][] = [
    ["interleaved", { rotaryDim: 8, invFreq: invFreq(4, 100), scale: 1, pairing: "interleaved" }],
    ["half, partial, scaled", { rotaryDim: 4, invFreq: invFreq(2, 50), scale: 1.3, pairing: "half" }],
    ["packed positions, start tokens", {
      rotaryDim: 8,
      invFreq: invFreq(4, 400),
      scale: 1.1,
      pairing: "half",
      positions: new Int32Array([0, 1, 2, 0, 1, 2]),
      startTokens: 2,
      originalInvFreq: invFreq(4, 100),
    }],
  ];
  for (const [name, p] of cases) {
    const x = randomF64(T * nHeads * headDim, 10), r = randomF64(x.length, 11);
    const loss = () => {
      const out = Float64Array.from(x);
      ropeRef({ x: f32(out), T, nHeads, headDim, rope: p });
      return project(out, r);
    };
    const dx = Float64Array.from(r);
    ropeBackward({ x: dx, T, nHeads, headDim, rope: p });
    report(`rope ${name}`, maxRelError(loss, x, dx));
  }
});

Deno.test("attention backward: GQA, with and without per-document masks", () => {
  const T = 7, nHeads = 4, nKvHeads = 2, headDim = 4;
  for (const docStarts of [undefined, new Int32Array([0, 3, 5])]) {
    const q = randomF64(T * nHeads * headDim, 12, 2), k = randomF64(T * nKvHeads * headDim, 13, 2);
    const v = randomF64(k.length, 14), r = randomF64(q.length, 15);
    const shape = { T, nHeads, nKvHeads, headDim, docStarts };
    const forward = () => {
      const out = new Float64Array(q.length);
      causalAttentionRef({ out: f32(out), q: f32(q), k: f32(k), v: f32(v), ...shape });
      return out;
    };
    const loss = () => project(forward(), r);
    const dq = new Float64Array(q.length), dk = new Float64Array(k.length), dv = new Float64Array(v.length);
    causalAttentionBackward({ dq, dk, dv, dOut: r, q, k, v, out: forward(), ...shape });
    const name = docStarts ? "attention (documents)" : "attention";
    report(`${name} dq`, maxRelError(loss, q, dq));
    report(`${name} dk`, maxRelError(loss, k, dk));
    report(`${name} dv`, maxRelError(loss, v, dv));
  }
});

Deno.test("SwiGLU backward matches finite differences", () => {
  const n = 12;
  const gate = randomF64(n, 16, 4), up = randomF64(n, 17), r = randomF64(n, 18);
  const loss = () => {
    const out = new Float64Array(n);
    swigluRef({ out: f32(out), gate: f32(gate), up: f32(up), n });
    return project(out, r);
  };
  const dGate = new Float64Array(n), dUp = new Float64Array(n);
  swigluBackward({ dGate, dUp, dOut: r, gate, up, n });
  report("swiglu dGate", maxRelError(loss, gate, dGate));
  report("swiglu dUp", maxRelError(loss, up, dUp));
});

Deno.test("logits + NLL backward matches finite differences; its NLL matches logitsNllRef", () => {
  const T = 6, D = 5, V = 9, targets = new Int32Array([0, 8, 3, 3, 1, 7]), scale = 0.5;
  const hidden = randomF64(T * D, 19), wcls = randomF64(V * D, 20);
  const shape = { hidden, wcls, targets, T, D, V };
  const dh = new Float64Array(T * D), dw = new Float64Array(V * D);
  const loss = () => {
    const nll = logitsNllBackward({
      ...shape,
      dHidden: new Float64Array(T * D),
      dWcls: new Float64Array(V * D),
      lossScale: 1,
    });
    return scale * nll.reduce((a, b) => a + b, 0);
  };
  const nll = logitsNllBackward({ ...shape, dHidden: dh, dWcls: dw, lossScale: scale });
  report("logits dHidden", maxRelError(loss, hidden, dh));
  report("logits dWcls", maxRelError(loss, wcls, dw));
  const ref = logitsNllRef({ ...shape, hidden: new Float32Array(hidden), wcls: new Float32Array(wcls) });
  ref.forEach((x, i) => assert.ok(Math.abs(x - nll[i]) < 1e-5, `row ${i}: ${x} vs ${nll[i]}`));
});
