/**
 * Workgroup-tiled causal flash attention for GPUs, the same contract as kernels/gpu/attention.ts
 * (which stays the software-adapter kernel; kernels/gpu/variant.ts picks). A workgroup of 64
 * invocations owns 64 consecutive query rows of one head, one row per invocation; it walks the keys
 * the rows can see in tiles of BKV keys, which the 64 invocations load together (coalesced vec4s) into
 * workgroup memory, so each key and value is read from memory once per 64 rows instead of once per row.
 * Per tile each invocation scores its row against the staged keys 8 at a time (unrolled), rescales its
 * running max/sum/accumulator once per 8 keys (online softmax) and adds p·v from the staged values.
 * q and the accumulator are named vec4 registers. Masks (causal, documents via `rowStart`, the sliding
 * `window`) are selects. Nothing T×T exists.
 *
 * @module
 */

const WG = 64, B = 8;

/** Query rows one workgroup of the tiled kernel owns (its dispatch covers T in steps of this). */
export const TILED_ATTENTION_ROWS = WG;

/** Keys per staged tile: a K and a V tile fit the guaranteed 16 KiB of workgroup memory. */
function tileKeys(headDim: number): number {
  return Math.max(B, Math.min(64, Math.floor(2048 / headDim / B) * B));
}

/** The tiled kernel's WGSL for one shape (bindings as kernels/gpu/attention.ts's). */
export function attentionTiledWgsl(nHeads: number, nKvHeads: number, headDim: number, docs: boolean): string {
  const C = headDim / 4, BKV = tileKeys(headDim);
  const cs = [...Array(C).keys()], bs = [...Array(B).keys()];
  const each = <T>(a: number[], f: (i: number) => T, sep = "\n") => a.map(f).join(sep);
  const qStride = nHeads * C, kvStride = nKvHeads * C;
  return `
@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> shape: vec4<u32>; // T, bits of softmax scale, window (0: none)
${docs ? "@group(0) @binding(5) var<storage, read> rowStart: array<i32>;" : ""}

var<workgroup> ks: array<vec4<f32>, ${BKV * C}>;
var<workgroup> vs: array<vec4<f32>, ${BKV * C}>;
/** First key row t may see: its document's start and its window's (both non-decreasing in t). */
fn startOf(t: u32, T: u32, W: u32) -> u32 {
  let doc = ${docs ? "u32(rowStart[min(t, T - 1u)])" : "0u"};
  return max(doc, select(0u, t + 1u - W, W > 0u && t + 1u > W));
}

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let T = shape.x;
  let scale = bitcast<f32>(shape.y);
  let W = shape.z;
  let h = wid.y;
  let g = h / ${nHeads / nKvHeads}u;
  let r0 = wid.x * ${WG}u;
  let t = r0 + lid.x;
  let tc = min(t, T - 1u);
  let start = startOf(t, T, W);
  let lo = startOf(r0, T, W); // the workgroup's first row sees the earliest keys
  let hi = min(r0 + ${WG - 1}u, T - 1u);
${each(cs, (c) => `  let q${c} = q[tc * ${qStride}u + h * ${C}u + ${c}u] * scale;`)}
  var m = -3.0e38;
  var l = 0.0;
${each(cs, (c) => `  var acc${c} = vec4(0.0);`)}
  for (var j0 = lo; j0 <= hi; j0 += ${BKV}u) {
    for (var i = lid.x; i < ${BKV * C}u; i += ${WG}u) {
      let key = min(j0 + i / ${C}u, T - 1u);
      let src = key * ${kvStride}u + g * ${C}u + i % ${C}u;
      ks[i] = k[src];
      vs[i] = v[src];
    }
    workgroupBarrier();
    for (var jj = 0u; jj < ${BKV}u; jj += ${B}u) {
${
    each(bs, (b) =>
      `      let ok${b} = j0 + jj + ${b}u <= t && j0 + jj + ${b}u >= start && t < T;\n` +
      `      let z${b} = select(-3.0e38, ${
        each(cs, (c) => `dot(q${c}, ks[(jj + ${b}u) * ${C}u + ${c}u])`, " + ")
      }, ok${b});`)
  }
      let mn = max(m, max(${bs.map((b) => `z${b}`).reduce((a, z) => `max(${a}, ${z})`)}, -3.0e38));
      let c = exp(m - mn);
      m = mn;
${each(bs, (b) => `      let p${b} = select(0.0, exp(z${b} - mn), ok${b});`)}
      l = l * c + ${bs.map((b) => `p${b}`).join(" + ")};
${
    each(cs, (c) =>
      `      acc${c} = acc${c} * c + ${
        bs.map((b) =>
          `p${b} * vs[(jj + ${b}u) * ${C}u + ${c}u]`
        ).join(" + ")
      };`)
  }
    }
    workgroupBarrier();
  }
  if (t < T) {
${each(cs, (c) => `    out[t * ${qStride}u + h * ${C}u + ${c}u] = acc${c} / l;`)}
  }
}`;
}
