/**
 * A/B of the software-adapter matmul kernels (kernels/gpu/matmul.ts's storage kernel, matmul_texel.ts's
 * texel kernel) at any block, in one process: in each round every kernel is timed as bench/kernels.ts
 * times its rows, right after the adapter's FMA ceiling, so each ratio is against a ceiling measured
 * seconds before it; the median over rounds is reported with the compile (cold) time. Every kernel's
 * output is checked against `matmulRef` first.
 * The evidence behind the block sizes in docs/performance.md.
 *
 *   LP_NUM_THREADS=1 deno run -A bench/wgsl_matmul_ab.ts [--rounds 5] \
 *     [--kernels storage:16x8x16,storage:24x24x8,texel:32x32x8]   # kernel:TMxTNxWG
 *
 * @module
 */
import { parseArgs } from "node:util";
import { createGpu, readBuffer, upload } from "../kernels/gpu/context.ts";
import { encodeMatmul, type ForcedMatmulKernel } from "../kernels/gpu/matmul.ts";
import { encodeTexelOperands } from "../kernels/gpu/matmul_texel.ts";
import { benchKernels, coldMs, submitFloorMs, warmTime } from "./kernels.ts";
import { matmulReference, validateOutput } from "./validate.ts";

/** `storage:24x24x8` → the kernel and its block. */
export function parseForcedKernel(spec: string): ForcedMatmulKernel {
  const m = /^(storage|texel):(\d+)x(\d+)x(\d+)$/.exec(spec);
  if (!m) throw new Error(`wgsl_matmul_ab: "${spec}" is not kernel:TMxTNxWG (kernel storage or texel)`);
  return { kernel: m[1] as "storage" | "texel", block: { TM: +m[2], TN: +m[3], WG: +m[4] } };
}

/** One kernel's median share of the FMA ceiling over the rounds, each round's, and its cold call. */
export interface AbRow {
  kernel: string;
  coldMs: number;
  pctCeiling: number;
  rounds: number[];
  maxRelError: number;
}

/** The A/B's rows, and the warm ms of the texel kernel's two copies alone (part of its rows' time). */
export interface AbResult {
  rows: AbRow[];
  texelCopiesMs: number;
}

/** Runs the A/B at T×K×N (default 2048×512×1376, the bench's matmul shape). */
export async function matmulAb(
  specs: string[],
  rounds: number,
  [T, K, N] = [2048, 512, 1376],
): Promise<AbResult> {
  const ctx = await createGpu();
  if (!ctx) throw new Error("wgsl_matmul_ab: no WebGPU adapter");
  const ref = matmulReference(T, K, N);
  const [x, w] = ref.inputs.map((a) => upload(ctx, a)), out = ctx.acquire(T * N * 4);
  const encode = (forced: ForcedMatmulKernel) => (enc: GPUCommandEncoder) =>
    encodeMatmul(ctx, enc, { x, w, out, T, K, N }, "registers", forced);
  try {
    const floorMs = await submitFloorMs(ctx);
    const rows = [];
    for (const spec of specs) {
      const forced = parseForcedKernel(spec);
      ctx.device.queue.writeBuffer(out, 0, new Float32Array(T * N)); // no result left by the previous one
      const cold = await coldMs(ctx, encode(forced));
      const check = validateOutput(
        `ab ${spec}`,
        new Float32Array(await readBuffer(ctx, out, T * N * 4)),
        ref,
      );
      rows.push({ spec, forced, coldMs: cold, maxRelError: check.maxRelError, rounds: [] as number[] });
    }
    for (let r = 0; r < rounds; r++) {
      for (const row of rows) {
        const [ceiling] = await benchKernels({ only: ["fma"], reps: 2 });
        const { ms } = await warmTime(ctx, encode(row.forced), 2, floorMs); // as bench/kernels.ts times rows
        row.rounds.push((100 * (2 * T * K * N / ms / 1e6)) / ceiling.gflops);
      }
    }
    const copies = (enc: GPUCommandEncoder) => encodeTexelOperands(ctx, enc, { x, w, out, T, K, N });
    const texelCopiesMs = (await warmTime(ctx, copies, 2, floorMs)).ms;
    return {
      texelCopiesMs,
      rows: rows.map(({ spec, coldMs, maxRelError, rounds }) => {
        const sorted = [...rounds].sort((a, b) => a - b);
        return {
          kernel: spec,
          coldMs,
          maxRelError,
          rounds,
          pctCeiling: sorted[Math.floor(sorted.length / 2)],
        };
      }),
    };
  } finally {
    ctx.destroy();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "5" },
      kernels: { type: "string", default: "storage:16x8x16,storage:24x24x8,texel:32x32x8" },
      json: { type: "boolean" },
    },
  });
  // Bad input ends in one line before any GPU work: a spec that does not parse, rounds not a positive integer.
  const rounds = Number(values.rounds), specs = values.kernels.split(",");
  try {
    if (!Number.isInteger(rounds) || rounds < 1) {
      throw new Error(`--rounds ${values.rounds}: want an integer ≥ 1`);
    }
    specs.forEach(parseForcedKernel);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(2);
  }
  const result = await matmulAb(specs, rounds);
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `texel kernel's two copies (x and w into textures) alone: ${result.texelCopiesMs.toFixed(2)} ms`,
    );
    for (const r of result.rows) {
      console.log(
        `${r.kernel.padEnd(18)} ${r.pctCeiling.toFixed(1).padStart(5)}% of the FMA ceiling (median; rounds ${
          r.rounds.map((p) => p.toFixed(1)).join(" ")
        })  cold ${(r.coldMs / 1000).toFixed(1)} s  max rel ${r.maxRelError.toExponential(1)}`,
      );
    }
  }
}
