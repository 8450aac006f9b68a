/**
 * What one load costs a WGSL kernel on this adapter, in FMAs: the evidence behind the shape of the
 * software-adapter kernels (kernels/gpu/matmul.ts, attention.ts; docs/performance.md).
 *
 * Each kernel runs the same 64 FMAs per invocation and loop step (16 vec4 accumulators) and, except
 * the first, 8 loads per step from one kind of memory, all of them cache-resident (a 64 KiB buffer,
 * texture or uniform block; 32 KiB of workgroup memory). The extra time over the FMA-only kernel,
 * per invocation and load, is the load's cost; dividing by the time of one FMA in bench/kernels.ts's
 * register-only `fma-ceiling` kernel (run first, in the same process) gives it in FMAs. Nothing is
 * checked: the outputs are sums kept only so the loads are not removed.
 *
 *   DENO_WEBGPU_BACKEND=vulkan LP_NUM_THREADS=1 deno run -A bench/wgsl_load_cost.ts
 *
 * @module
 */
import { createGpu } from "../kernels/gpu/context.ts";
import { benchKernels } from "./kernels.ts";

const STEPS = 128, GROUPS = 64, WG = 64, LOADS = 8, ACC = 16;

/** WGSL of load `l` at loop step `k` (a WGSL expression or, for the unrolled kernel, a number). */
const sources: Record<string, (l: number, k: string) => string> = {
  "none (FMAs only)": () => `vec4(f32(k))`,
  "storage vec4, per-invocation address": (l, k) => `src[(lid.x * 17u + ${k} * ${LOADS}u + ${l}u) & 4095u]`,
  "storage f32, per-invocation address": (l, k) =>
    `vec4(srcf[(lid.x * 17u + ${k} * ${LOADS}u + ${l}u) & 16383u])`,
  "storage vec4, same address in every invocation": (l, k) => `src[(${k} * ${LOADS}u + ${l}u) & 4095u]`,
  "workgroup vec4": (l, k) => `sh[(lid.x * 17u + ${k} * ${LOADS}u + ${l}u) & 2047u]`,
  "uniform vec4, runtime index": (l, k) => `ub[(lid.x * 17u + ${k} * ${LOADS}u + ${l}u) & 4095u]`,
  "uniform f32, constant index (loop unrolled)": (l, k) => `vec4(ub[(${k} * ${LOADS}u + ${l}u) & 4095u].x)`,
  "texture rgba32float": (l, k) =>
    `textureLoad(tex, vec2<u32>((lid.x * 17u + ${k} * ${LOADS}u + ${l}u) & 63u, 0u), 0)`,
};

function kernel(name: string): string {
  const load = sources[name];
  const unrolled = name.includes("unrolled");
  const ls = name.startsWith("none") ? [0] : [...Array(LOADS).keys()];
  const accs = [...Array(ACC).keys()];
  const step = (k: string) =>
    ls.map((l) => `    let v${l} = ${load(l, k)};`).join("\n") + "\n" +
    accs.map((i) => `    a${i} = fma(a${i}, v${i % ls.length}, b);`).join("\n");
  const body = unrolled
    ? [...Array(STEPS).keys()].map((k) => `  {\n${step(String(k))}\n  }`).join("\n")
    : `  for (var k = 0u; k < ${STEPS}u; k++) {\n${step("k")}\n  }`;
  return `
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> srcf: array<f32>;
@group(0) @binding(2) var<uniform> ub: array<vec4<f32>, 4096>;
@group(0) @binding(3) var tex: texture_2d<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;
var<workgroup> sh: array<vec4<f32>, 2048>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = vec4(f32(gid.x) * 1e-9);
${accs.map((i) => `  var a${i} = vec4(f32(gid.x + ${i}u));`).join("\n")}
${body}
  out[gid.x] = ${accs.map((i) => `a${i}`).join(" + ")};
}`;
}

/** Per kind of load: ns per invocation and load, and that cost in FMAs at the adapter's FMA ceiling. */
export async function loadCosts(): Promise<{ name: string; nsPerLoad: number; fmas: number }[]> {
  const [ceiling] = await benchKernels({ only: ["fma"] });
  const nsPerFma = 2 / ceiling.gflops; // 2 flops per FMA, per invocation (lane)
  const ctx = await createGpu();
  if (!ctx) throw new Error("bench/wgsl_load_cost: no WebGPU adapter");
  const dev = ctx.device;
  const buffer = (usage: number) => dev.createBuffer({ size: 65536, usage });
  const resources = [
    { buffer: buffer(GPUBufferUsage.STORAGE) },
    { buffer: buffer(GPUBufferUsage.STORAGE) },
    { buffer: buffer(GPUBufferUsage.UNIFORM) },
    dev.createTexture({ size: [64, 1], format: "rgba32float", usage: GPUTextureUsage.TEXTURE_BINDING })
      .createView(),
    { buffer: dev.createBuffer({ size: GROUPS * WG * 16, usage: GPUBufferUsage.STORAGE }) },
  ];
  const invocationSteps = GROUPS * WG * STEPS;
  const msPer: number[] = [];
  try {
    for (const name of Object.keys(sources)) {
      const code = kernel(name);
      const pipe = ctx.pipeline(`load cost ${name}`, () => code);
      // "auto" layouts hold only the bindings the kernel uses.
      const used = resources.map((_, i) => i).filter((i) =>
        code.slice(code.indexOf("fn main")).includes(["src[", "srcf[", "ub[", "tex,", "out["][i])
      );
      const group = dev.createBindGroup({
        layout: pipe.getBindGroupLayout(0),
        entries: used.map((binding) => ({ binding, resource: resources[binding] })),
      });
      const run = async () => {
        const t0 = performance.now();
        const enc = dev.createCommandEncoder();
        for (let r = 0; r < 3; r++) {
          const pass = enc.beginComputePass();
          pass.setPipeline(pipe);
          pass.setBindGroup(0, group);
          pass.dispatchWorkgroups(GROUPS);
          pass.end();
        }
        dev.queue.submit([enc.finish()]);
        await dev.queue.onSubmittedWorkDone();
        return (performance.now() - t0) / 3;
      };
      await run();
      await ctx.checkErrors();
      msPer.push(Math.min(await run(), await run()));
    }
  } finally {
    ctx.destroy();
  }
  return Object.keys(sources).slice(1).map((name, i) => {
    const nsPerLoad = ((msPer[i + 1] - msPer[0]) * 1e6) / (invocationSteps * LOADS);
    return { name, nsPerLoad, fmas: nsPerLoad / nsPerFma };
  });
}

if (import.meta.main) {
  for (const r of await loadCosts()) {
    console.log(
      `${r.name.padEnd(48)} ${r.nsPerLoad.toFixed(2).padStart(6)} ns per invocation and load  ≈ ${
        r.fmas.toFixed(0).padStart(3)
      } FMAs`,
    );
  }
}
