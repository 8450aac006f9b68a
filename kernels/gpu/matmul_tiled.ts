/**
 * Workgroup-tiled matmul for GPUs: out[T×N] = x[T×K] · w[N×K]ᵀ (+ bias[N]), the same contract as
 * kernels/gpu/matmul.ts (which stays the software-adapter kernel; kernels/gpu/variant.ts picks).
 *
 * A workgroup of 16×16 invocations computes a 64×64 block of out. Per step of BK = 16 along K, the 256
 * invocations load the block's 64×16 slice of x and of w into workgroup memory (4 values each, consecutive
 * invocations reading consecutive k, so the loads coalesce), then each invocation multiplies its 4×4
 * outputs from the staged tiles: 16 FMAs per 8 workgroup-memory reads, 64 accumulators per workgroup
 * row. w may be float16 (`shader-f16`): half the bytes from memory; products and sums stay f32. Edges:
 * loads past T, N or K read zeros, stores are masked.
 *
 * @module
 */

const BM = 64, BN = 64, BK = 16, TM = 4, TN = 4, WG = 16;

/** The block of out one workgroup of the tiled kernel computes: rows of T, columns of N. */
export const TILED_MATMUL_BLOCK = { rows: BM, cols: BN } as const;

/** The tiled kernel's WGSL for one shape (bindings as kernels/gpu/matmul.ts's). */
export function matmulTiledWgsl(K: number, N: number, bias: boolean, f16: boolean): string {
  const idx = [...Array(TM).keys()];
  const loads = (BM * BK) / (WG * WG);
  return `${f16 ? "enable f16;" : ""}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<${f16 ? "f16" : "f32"}>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> shape: vec4<u32>; // T
${bias ? "@group(0) @binding(4) var<storage, read> bias: array<f32>;" : ""}

var<workgroup> xs: array<array<f32, ${BM}>, ${BK}>;
var<workgroup> ws: array<array<f32, ${BN}>, ${BK}>;

@compute @workgroup_size(${WG}, ${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let T = shape.x;
  let row0 = wid.y * ${BM}u;
  let col0 = wid.x * ${BN}u;
  let flat = lid.y * ${WG}u + lid.x;
  var acc: array<array<f32, ${TN}>, ${TM}>;
  for (var k0 = 0u; k0 < ${K}u; k0 += ${BK}u) {
    for (var e = 0u; e < ${loads}u; e++) {
      let i = flat + e * ${WG * WG}u;
      let r = i / ${BK}u;
      let kk = i % ${BK}u;
      let k = k0 + kk;
      let xr = row0 + r;
      let wr = col0 + r;
      xs[kk][r] = select(0.0, x[min(xr, T - 1u) * ${K}u + min(k, ${K - 1}u)], xr < T && k < ${K}u);
      ws[kk][r] = select(0.0, f32(w[min(wr, ${N - 1}u) * ${K}u + min(k, ${
    K - 1
  }u)]), wr < ${N}u && k < ${K}u);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${BK}u; kk++) {
${idx.map((i) => `      let a${i} = xs[kk][lid.y * ${TM}u + ${i}u];`).join("\n")}
${idx.map((j) => `      let b${j} = ws[kk][lid.x + ${j * WG}u];`).join("\n")}
${
    idx.flatMap((i) => idx.map((j) => `      acc[${i}][${j}] = fma(a${i}, b${j}, acc[${i}][${j}]);`)).join(
      "\n",
    )
  }
    }
    workgroupBarrier();
  }
${
    idx.flatMap((i) =>
      idx.map((j) =>
        `  { let r = row0 + lid.y * ${TM}u + ${i}u; let c = col0 + lid.x + ${j * WG}u;
    if (r < T && c < ${N}u) { out[r * ${N}u + c] = acc[${i}][${j}]${bias ? " + bias[c]" : ""}; } }`
      )
    ).join("\n")
  }
}`;
}
