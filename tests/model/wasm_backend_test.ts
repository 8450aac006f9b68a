/**
 * The wasm backend (the native backend's code on the WebAssembly build of ropekit.c) against the CPU
 * backend on the in-repo facts837K model, and the user's path to it: `--backend wasm`,
 * `ROPEKIT_NO_NATIVE=1`, and the README's quick start on a machine with no C compiler and no .build/.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { CpuBackend } from "../../model/cpu_backend.ts";
import { loadModel } from "../../model/load_model.ts";
import { ropeApplyFor } from "../../model/model.ts";
import { wasmBackend, wasmStatus } from "../../model/native_backend.ts";
import { validateTable } from "../../strategies/table.ts";
import { plainRope } from "./_fixtures.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MODEL = `${ROOT}models/facts837K/model.bin`;
const wasm = wasmBackend();
if (!wasm) console.log(`SKIP wasm backend tests: ${wasmStatus()}`);

Deno.test({
  name:
    "wasm backend: facts837K NLL over 700 tokens equals the CPU backend's to 3e-5; greedy decoding matches",
  ignore: !wasm,
  fn: async () => {
    const cpu = await loadModel(MODEL, { backend: new CpuBackend() });
    const onWasm = await loadModel(MODEL, { backend: wasm! });
    const text = await Deno.readTextFile(`${ROOT}models/facts837K/eval.txt`);
    const tokens = Int32Array.from(cpu.tokenizer.encode(text).slice(0, 700));
    const table = plainRope(10000, 32);
    const { apply } = ropeApplyFor(cpu.spec, validateTable(table, cpu.spec), tokens.length);
    const want = await cpu.backend.forwardNll(cpu.weights, tokens, apply);
    const got = await wasm!.forwardNll(onWasm.weights, tokens, apply);
    let worst = 0;
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1));
    }
    console.log(`wasm vs cpu NLL: max rel per token ${worst.toExponential(2)}`);
    // The same bound as the native backend's (native_backend_test.ts): the flash-attention kernel's f32
    // summation order and vectorised exponential differ from the JS reference's; 1.2e-5 seen at 700 tokens.
    assert.ok(worst < 3e-5);
    const prompt = cpu.tokenizer.encode("The pet");
    assert.deepEqual(await onWasm.generate(prompt, table, 24), await cpu.generate(prompt, table, 24));
  },
});

/** Runs a deno task with `env` added to (or, for PATH, replacing) this process's environment. */
async function task(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test({
  name: "deno task nll --json names the backend: wasm for --backend wasm and for ROPEKIT_NO_NATIVE=1",
  ignore: !wasm,
  fn: async () => {
    const base = [
      "nll",
      "--model",
      MODEL,
      "--text",
      `${ROOT}models/facts837K/eval.txt`,
      "--max-windows",
      "1",
      "--json",
    ];
    for (const [extra, env] of [[["--backend", "wasm"], {}], [[], { ROPEKIT_NO_NATIVE: "1" }]] as const) {
      const r = await task([...base, ...extra], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).backend, "wasm");
    }
  },
});

Deno.test({
  name: "quick start with ROPEKIT_NO_NATIVE=1 and no C compiler on PATH runs on the WebAssembly kernels",
  ignore: !wasm,
  fn: async () => {
    const empty = await Deno.makeTempDir(), out = await Deno.makeTempDir();
    try {
      // The README's first command, with PATH holding nothing (no cc, gcc or clang to build with).
      const r = await task(
        [
          "compare",
          "--strategies",
          "default,pi,yarn,longrope2",
          "--metrics",
          "ppl,needle,passkey,short",
          "--out",
          out,
        ],
        { ROPEKIT_NO_NATIVE: "1", PATH: empty },
      );
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      assert.match(r.stderr, /ropekit: kernels wasm \(ropekit_(relaxed|simd)\.wasm, \d+ threads\)/);
      const report = JSON.parse(await Deno.readTextFile(`${out}/report.json`));
      assert.deepEqual(report.strategies.map((s: { name: string }) => s.name), [
        "default",
        "pi",
        "yarn",
        "longrope2",
      ]);
    } finally {
      await Deno.remove(empty, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});
