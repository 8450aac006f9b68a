/**
 * Attention of two versions of the CPU kernels side by side, for a busy machine: the kernels of commit
 * `--base` (`git archive` of its kernels/ into a temporary folder; its native library is built there on
 * first use) and those of this checkout run in one process on the same seeded inputs, call after call in
 * turn, each timed by the process's CPU time rather than the wall clock, so other jobs on the machine
 * stretch neither side. Run it with OMP_NUM_THREADS=1: the kernel then runs on the calling thread, the CPU
 * time is its own work, and the ratio is per core (it says nothing about how the threads share the work).
 *
 * Two timings per side, best of `--reps` (and the median for the call): `kernel` is rk_attention on a KV
 * cache stored once; `call` is causalAttentionNative, which copies k and v into the native KV layout first,
 * as the attention rows of `deno task bench` time it. Both outputs are checked against causalAttentionRef
 * (bench/validate.ts: every row up to 2048 tokens, sampled rows past it) and against each other.
 *
 *   OMP_NUM_THREADS=1 deno run -A bench/attention_ab.ts --base <commit> [--path native|wasm]
 *                                [--shape T,H,KV,hd] [--reps 8]
 *
 * @module
 */
import process from "node:process";
import { pathToFileURL } from "node:url";
import { CliError, parseFlags, positiveInt } from "../cli/args.ts";
import type * as NativeLib from "../kernels/native/lib.ts";
import type * as NativeMod from "../kernels/native/mod.ts";
import type * as WasmLib from "../kernels/wasm/lib.ts";
import { attentionReference, describeValidation, validateOutput } from "./validate.ts";

const USAGE = `Usage: OMP_NUM_THREADS=1 deno run -A bench/attention_ab.ts --base <commit> [options]

  --base COMMIT   the version to compare with (any git revision of this repository)
  --path P        native (default) or wasm
  --shape S       T,H,KV,hd (default 2048,8,8,64)
  --reps N        timed calls per side and timing (default 8)
  -h, --help      this text`;

/** One version of the kernels, loaded. */
interface Side {
  label: string;
  nk: NativeLib.NativeSymbols;
  attention: typeof NativeMod.causalAttentionNative;
  lib: typeof NativeLib;
}

/** The process's CPU time so far, ms (every thread: run with OMP_NUM_THREADS=1). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function run(cmd: string, args: string[]): void {
  const out = new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new CliError(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** Loads the kernels under `root` (a folder holding kernels/) for `path`. */
async function loadSide(label: string, root: URL, path: string): Promise<Side> {
  const lib: typeof NativeLib = await import(new URL("kernels/native/lib.ts", root).href);
  const mod: typeof NativeMod = await import(new URL("kernels/native/mod.ts", root).href);
  let nk: NativeLib.NativeSymbols | null;
  if (path === "wasm") {
    const wasm: typeof WasmLib = await import(new URL("kernels/wasm/lib.ts", root).href);
    nk = wasm.wasmKernels();
    if (!nk) throw new CliError(`${label}: ${wasm.wasmStatus()}`);
  } else {
    nk = lib.nativeKernels();
    if (!nk) throw new CliError(`${label}: ${lib.nativeStatus()}`);
  }
  return { label, nk, attention: mod.causalAttentionNative, lib };
}

function parse(argv: string[]) {
  const v = parseFlags(argv, {
    base: { type: "string" },
    path: { type: "string" },
    shape: { type: "string" },
    reps: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  if (!v.base) throw new CliError("--base is required");
  const path = v.path ?? "native";
  if (path !== "native" && path !== "wasm") throw new CliError(`--path must be native or wasm, got ${path}`);
  const shape = (v.shape ?? "2048,8,8,64").split(",").map((s, i) => positiveInt(`--shape[${i}]`, s)!);
  if (shape.length !== 4 || shape[1] % shape[2] !== 0) {
    throw new CliError(`--shape must be T,H,KV,hd with KV dividing H, got ${v.shape}`);
  }
  return { base: v.base, path, shape, reps: positiveInt("--reps", v.reps) ?? 8 };
}

async function main(argv: string[]): Promise<void> {
  const { base, path, shape: [T, H, KV, hd], reps } = parse(argv);
  const dir = Deno.makeTempDirSync({ prefix: "ropekit_ab_" });
  try {
    run("git", ["archive", "--format=tar", "-o", `${dir}/kernels.tar`, base, "kernels"]);
    run("tar", ["-xf", `${dir}/kernels.tar`, "-C", dir]);
    const sides = [
      await loadSide(`base ${base}`, pathToFileURL(`${dir}/`), path),
      await loadSide("this checkout", new URL("../", import.meta.url), path),
    ];
    const ref = attentionReference(T, H, KV, hd);
    const scale = 1 / Math.sqrt(hd);
    const runs = sides.map((s) => {
      const [q, k, v] = ref.inputs.map((a) => {
        const placed = s.lib.kernelFloats(s.nk, a.length);
        placed.set(a);
        return placed;
      });
      const out = s.lib.kernelFloats(s.nk, T * H * hd);
      const kv = s.lib.nativeKv(s.nk, T, KV, hd);
      s.lib.storeKv(s.nk, kv, k, v, T, 0, KV, hd);
      const kernel = () => s.nk.rk_attention(out, q, kv.keys, kv.values, T, 0, T, H, KV, hd, scale, null);
      const call = () => s.attention({ out, q, k, v, T, nHeads: H, nKvHeads: KV, headDim: hd }, s.nk);
      kernel(), call(); // warm (WebAssembly: optimised code is swapped in between calls)
      return { side: s, out, kernel, call, kernelMs: [] as number[], callMs: [] as number[] };
    });
    for (let r = 0; r < reps; r++) {
      for (const x of runs) {
        let t0 = cpuMs();
        x.kernel();
        x.kernelMs.push(cpuMs() - t0);
        t0 = cpuMs();
        x.call();
        x.callMs.push(cpuMs() - t0);
      }
    }
    const flop = 4 * hd * H * (T * (T + 1)) / 2;
    const best = (a: number[]) => Math.min(...a);
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
    console.log(
      `${path} attention T${T} H${H}/${KV} hd${hd}: CPU ms per call, best of ${reps} ` +
        `(OMP_NUM_THREADS=${Deno.env.get("OMP_NUM_THREADS") ?? "unset"})`,
    );
    for (const x of runs) {
      const check = describeValidation(validateOutput(`${x.side.label}`, x.out, ref));
      const kb = best(x.kernelMs), cb = best(x.callMs);
      console.log(
        `  ${x.side.label.padEnd(22)} kernel ${kb.toFixed(1).padStart(8)} (${(flop / kb / 1e6).toFixed(1)} ` +
          `GFLOP per CPU-s)  call ${cb.toFixed(1).padStart(8)} (median ${
            median(x.callMs).toFixed(1)
          })  ${check}`,
      );
    }
    const [a, b] = runs;
    let diff = 0;
    for (let i = 0; i < a.out.length; i++) diff = Math.max(diff, Math.abs(a.out[i] - b.out[i]));
    console.log(
      `  base / this: kernel ${(best(a.kernelMs) / best(b.kernelMs)).toFixed(2)}×, call ` +
        `${(best(a.callMs) / best(b.callMs)).toFixed(2)}× (median ${
          (median(a.callMs) / median(b.callMs)).toFixed(2)
        }×); max |base − this| ${diff.toExponential(1)}`,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    console.error(`error: ${e.message} (see --help)`);
    Deno.exit(2);
  }
}
