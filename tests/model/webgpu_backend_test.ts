import assert from "node:assert/strict";
import { loadModel } from "../../model/load_model.ts";
import { CpuBackend } from "../../model/cpu_backend.ts";
import { WebGpuBackend } from "../../model/webgpu_backend.ts";
import { buildTable, builtinRegistry } from "../../mod.ts";
import { ropeApplyFor } from "../../model/model.ts";
import { DEFAULT_MODEL, DEFAULT_TEXT } from "../_shared_dir.ts";
import { backendConformance, maxRel } from "./_backend_cases.ts";

const gpu = await WebGpuBackend.create();
if (!gpu) console.log("SKIP webgpu backend: no WebGPU adapter");

backendConformance("webgpu", gpu, "no WebGPU adapter (navigator.gpu.requestAdapter() gave null)");

Deno.test({
  name: "webgpu backend: facts837K NLL with a YaRN table equals the CPU backend",
  ignore: !gpu,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const model = await loadModel(DEFAULT_MODEL, { backend: gpu! });
    const table = await buildTable(builtinRegistry().get("yarn"), model.spec, {
      targetLength: 4 * model.spec.originalContext,
    });
    const ids = model.tokenizer.encode(await Deno.readTextFile(DEFAULT_TEXT)).slice(0, 600);
    const { apply } = ropeApplyFor(model.spec, table, ids.length);
    const want = await new CpuBackend().forwardNll(model.weights, Int32Array.from(ids), apply);
    const got = (await model.nll([ids], table)).nll[0];
    const err = maxRel(got, want);
    console.log(
      `facts837K webgpu vs cpu: max rel error ${err.toExponential(2)} over ${ids.length - 1} tokens`,
    );
    assert.ok(err < 1e-4);
  },
});
