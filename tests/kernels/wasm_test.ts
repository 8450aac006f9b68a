/**
 * The WebAssembly build of ropekit.c (kernels/wasm) against the CPU references, with the same cases
 * and tolerances as the native library (_fast_kernel_cases.ts), and identical results on 1 and 2
 * threads for every kernel that splits work across the team. The .wasm files are committed, so these
 * run everywhere (no compiler, no .build/).
 */
import assert from "node:assert/strict";
import { documentStarts } from "../../kernels/cpu/attention.ts";
import { nativeKv, storeKv } from "../../kernels/native/lib.ts";
import { setWasmThreads, wasmKernels, wasmReady, wasmStatus } from "../../kernels/wasm/lib.ts";
import { backwardKernelTests, forwardKernelTests } from "./_fast_kernel_cases.ts";
import { random } from "./_util.ts";

// Two threads even on a one-core machine, so the 1-vs-2 comparison below always runs a real team.
if (Deno.env.get("ROPEKIT_WASM_THREADS") === undefined) Deno.env.set("ROPEKIT_WASM_THREADS", "2");
const nk = wasmKernels();
if (!nk) console.log(`SKIP WebAssembly kernel tests: ${wasmStatus()}`);

forwardKernelTests("wasm", nk);
backwardKernelTests("wasm", nk, "wasm");

/** Outputs of every threaded kernel on sizes past their parallel thresholds. */
function runAll(): Float32Array[] {
  const w = nk!;
  const outs: Float32Array[] = [];
  // matmul: several row blocks (72) and column blocks (8 panels), with bias and accumulate.
  const T = 150, K = 70, N = 300;
  const x = random(T * K, 1), wt = random(N * K, 2), bias = random(N, 3);
  const packed = new Float32Array(Number(w.rk_packed_floats(N, K)));
  w.rk_pack_weights(packed, wt, N, K);
  const mm = random(T * N, 4);
  w.rk_matmul(mm, x, packed, bias, T, K, N, 1);
  outs.push(packed, mm);
  // attention: GQA, documents, a KV cache at an offset (rows 40.. of 301).
  const [AT, H, KV, hd] = [301, 6, 2, 16];
  const q = random(AT * H * hd, 5), k = random(AT * KV * hd, 6), v = random(AT * KV * hd, 7);
  const kv = nativeKv(w, AT, KV, hd);
  storeKv(w, kv, k, v, AT, 0, KV, hd);
  const att = new Float32Array(AT * H * hd), first = documentStarts(AT, new Int32Array([0, 90, 200]));
  w.rk_attention(att, q, kv.keys, kv.values, AT, 0, AT, H, KV, hd, 0.25, first);
  const tail = new Float32Array((AT - 40) * H * hd);
  w.rk_attention(tail, q.subarray(40 * H * hd), kv.keys, kv.values, AT - 40, 40, AT, H, KV, hd, 0.25, null);
  outs.push(att, tail);
  // attention backward (one work item per head, summed in a fixed order).
  const dq = new Float32Array(AT * H * hd),
    dk = new Float32Array(AT * KV * hd),
    dv = new Float32Array(AT * KV * hd);
  w.rk_attention_backward(dq, dk, dv, random(AT * H * hd, 8), q, k, v, att, AT, H, KV, hd, 0.25, first);
  outs.push(dq, dk, dv);
  // element-wise kernels above their thresholds: rmsnorm/rope T > 64, swiglu n > 65536, nll rows > 16.
  const R = 100, D = 64;
  const norm = new Float32Array(R * D);
  w.rk_rmsnorm(norm, random(R * D, 9), random(D, 10), R, D, 1e-5);
  const n = 70_001, sw = new Float32Array(n);
  w.rk_swiglu(sw, random(n, 11), random(n, 12), BigInt(n));
  const rope = random(R * 4 * 16, 13);
  w.rk_rope(rope, random(R * 16, 14), R, 4, 16, 16, 0);
  const V = 50, logits = random(R * V, 15, -5, 5), nll = new Float32Array(R);
  w.rk_nll_from_logits(nll, logits, Int32Array.from({ length: R }, (_, i) => i % V), R, V);
  const tr = new Float32Array(300 * 260);
  w.rk_transpose(tr, random(260 * 300, 16), 260, 300);
  outs.push(norm, sw, rope, nll, tr);
  return outs;
}

Deno.test({
  name: "wasm kernels give bit-identical results on 1 and 2 threads",
  ignore: !nk,
  fn: async () => {
    await wasmReady();
    assert.equal(setWasmThreads(1), 1);
    const one = runAll();
    assert.equal(setWasmThreads(2), 2, "the second thread should be running");
    const two = runAll();
    setWasmThreads(64);
    one.forEach((a, i) => {
      const b = two[i];
      assert.ok(a.some((x) => x !== 0), `output ${i} is all zeros`);
      const same = a.length === b.length && a.every((x, j) => Object.is(x, b[j]));
      assert.ok(same, `output ${i} differs between 1 and 2 threads`);
    });
  },
});

Deno.test({
  name: "wasm kernels: arrays in WebAssembly memory are used in place, others are copied in and out",
  ignore: !nk,
  fn: () => {
    const w = nk!;
    const inPlace = w.allocFloats(8), plain = new Float32Array(8);
    assert.ok(inPlace.buffer instanceof SharedArrayBuffer && inPlace.every((x) => x === 0));
    // freeFloats hands the block back at once: the next allocation of that size reuses it.
    const big = w.allocFloats(1000), at = big.byteOffset;
    w.freeFloats(big);
    assert.equal(w.allocFloats(1000).byteOffset, at);
    const x = Float32Array.from({ length: 8 }, (_, i) => i - 4);
    w.rk_exp_array(inPlace, x, 8);
    w.rk_exp_array(plain, x, 8);
    assert.deepEqual([...inPlace], [...plain]);
    // Aliased output and input (rk_swiglu(gate, gate, up)) behave as with FFI pointers.
    const gate = Float32Array.from([1, -2, 3]), up = Float32Array.from([2, 2, 2]);
    const want = gate.map((g, i) => g / (1 + Math.exp(-g)) * up[i]);
    w.rk_swiglu(gate, gate, up, 3n);
    gate.forEach((g, i) => assert.ok(Math.abs(g - want[i]) < 1e-6, `${g} vs ${want[i]}`));
  },
});
