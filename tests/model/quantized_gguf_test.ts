/**
 * GGUF files whose matrices are quantized by an independent quantizer — the `gguf` package's where it
 * has one (Q8_0), else the numpy one of `_gguf_python.ts` (Q4_K, Q5_K, Q6_K) — run through
 * ropekit kept quantized: per-token NLL equals ropekit's NLL on the f32 GGUF that python builds from
 * `gguf.quants.dequantize` of the same tensors to 1e-4 relative (observed bit-identical: the
 * quantized matmuls decode to the same values and sum in the same order). Also: the matrices stay in
 * their type and the resident weights stay within 1.1× the file's tensor bytes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { placeholderVocab, writeGguf } from "../../model/gguf_writer.ts";
import { loadModel } from "../../model/load_model.ts";
import { CpuBackend } from "../../model/cpu_backend.ts";
import { nativeBackend, wasmBackend } from "../../model/native_backend.ts";
import { WebGpuBackend } from "../../model/webgpu_backend.ts";
import type { Backend } from "../../model/backend.ts";
import { QuantMatrix, weightBytes } from "../../model/quant_matrix.ts";
import { GgmlType } from "../../model/dequantize.ts";
import { modelHash } from "../../queue/model_hash.ts";
import { plainRope, randomWeights, rng, smallConfig } from "./_fixtures.ts";
import { ggufPythonMissing, K_QUANTIZERS, python } from "./_gguf_python.ts";

const missing = await ggufPythonMissing();
if (missing) console.log(`quantized_gguf_test: skipped: ${missing}`);

/** Reads f32.gguf, writes q.gguf (2-D tensors quantized) and deq.gguf (gguf's decoding of them); prints tensor bytes. */
const BUILD = K_QUANTIZERS + String.raw`
import sys, gguf
from gguf import GGUFReader, GGUFWriter, GGUFValueType
from gguf.quants import dequantize
src, qname, out_q, out_f = sys.argv[1:5]
qt = gguf.GGMLQuantizationType[qname]
r = GGUFReader(src)
arch = r.fields["general.architecture"].contents()
writers = [GGUFWriter(out_q, arch), GGUFWriter(out_f, arch)]
for f in r.fields.values():
    if f.name.startswith("GGUF.") or f.name == "general.architecture":
        continue
    vtype = f.types[0]
    sub = f.types[-1] if vtype == GGUFValueType.ARRAY else None
    for w in writers:
        w.add_key_value(f.name, f.contents(), vtype, sub)
qbytes = 0
for t in r.tensors:
    data = np.array(t.data, dtype=np.float32)
    if len(t.shape) == 2:
        q = quantize_rows(data.reshape(-1, int(t.shape[0])), qname)
        writers[0].add_tensor(t.name, q, raw_dtype=qt)
        writers[1].add_tensor(t.name, dequantize(q, qt).astype(np.float32).reshape(data.shape))
        qbytes += q.nbytes
    else:
        for w in writers:
            w.add_tensor(t.name, data)
        qbytes += data.nbytes
for w in writers:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
print(qbytes)
`;

// WebGPU (where an adapter exists) decodes the matrices to f32 for the upload: the same values.
const gpu = await WebGpuBackend.create();
if (!gpu) console.log("quantized_gguf_test: no WebGPU adapter; the webgpu backend is not covered here");
const backends: Backend[] = [new CpuBackend(), nativeBackend(), wasmBackend(), gpu].filter((b) => b !== null);

for (
  const [name, type] of [["Q4_K", GgmlType.Q4_K], ["Q5_K", GgmlType.Q5_K], ["Q6_K", GgmlType.Q6_K], [
    "Q8_0",
    GgmlType.Q8_0,
  ]] as const
) {
  Deno.test({
    name:
      `${name} GGUF (quantized by gguf/numpy in the test): NLL kept quantized = NLL of gguf's f32 decoding`,
    ignore: missing !== null,
    async fn() {
      const config = smallConfig({
        dim: 256,
        hiddenDim: 512,
        nHeads: 4,
        nKvHeads: 2,
        headDim: 64,
        vocabSize: 320,
      });
      const spec = {
        theta: 10000,
        headDim: 64,
        rotaryDim: 64,
        originalContext: 256,
        maxPositions: 256,
        pairing: "interleaved" as const,
      };
      const dir = await Deno.makeTempDir();
      try {
        const src = join(dir, "f32.gguf"), q = join(dir, "q.gguf"), f = join(dir, "deq.gguf");
        await writeGguf(src, randomWeights(config, 11), spec, placeholderVocab(config.vocabSize));
        const fileTensorBytes = Number(await python(BUILD, [src, name, q, f]));
        const r = rng(5);
        const ids = Array.from({ length: 96 }, () => Math.floor((r() + 1) / 2 * config.vocabSize));
        const table = plainRope(spec.theta, spec.rotaryDim);
        for (const backend of backends) {
          const quant = await loadModel(q, { backend }), dense = await loadModel(f, { backend });
          const wq = quant.weights.layers[0].wq;
          assert.ok(wq instanceof QuantMatrix && wq.type === type, `${name}: wq kept as ${name}`);
          assert.ok(quant.weights.embedding instanceof QuantMatrix, "embedding kept quantized");
          assert.ok(weightBytes(quant.weights) <= 1.1 * fileTensorBytes, "resident ≤ 1.1× tensor bytes");
          // workers are keyed by the hash: another quantisation of the same weights is another model
          assert.notEqual(modelHash(quant), modelHash(dense));
          assert.equal(modelHash(quant), modelHash(await loadModel(q, { backend })));
          const a = (await quant.nll([ids], table)).nll[0], b = (await dense.nll([ids], table)).nll[0];
          for (let i = 0; i < a.length; i++) {
            assert.ok(
              Math.abs(a[i] - b[i]) <= 1e-4 * Math.abs(b[i]),
              `${backend.name} ${name} token ${i}: ${a[i]} vs ${b[i]}`,
            );
          }
          const mean = (x: Float32Array) => x.reduce((s, v) => s + v, 0) / x.length;
          console.log(
            `${backend.name} ${name}: mean NLL ${mean(a)} (quantized) vs ${mean(b)} (f32 of gguf's decode)`,
          );
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
