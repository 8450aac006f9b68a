/** The software-adapter matmul A/B checks each kernel it times and reads its blocks strictly. */
import assert from "node:assert/strict";
import { matmulAb, parseForcedKernel } from "../../bench/wgsl_matmul_ab.ts";
import { gpuTest } from "../kernels/_gpu.ts";

Deno.test("wgsl matmul A/B: kernel:TMxTNxWG is parsed, anything else named", () => {
  assert.deepEqual(parseForcedKernel("texel:40x24x8"), { kernel: "texel", block: { TM: 40, TN: 24, WG: 8 } });
  assert.deepEqual(parseForcedKernel("storage:16x8x16"), {
    kernel: "storage",
    block: { TM: 16, TN: 8, WG: 16 },
  });
  assert.throws(() => parseForcedKernel("tiled:64x64x16"), /"tiled:64x64x16" is not kernel:TMxTNxWG/);
  assert.throws(() => parseForcedKernel("texel:40x24"), /is not kernel:TMxTNxWG/);
});

Deno.test({
  name: "wgsl matmul A/B: both kernels run at a forced block, each output checked against matmulRef",
  ...gpuTest,
  fn: async () => {
    // Tails in T, K (one texel step) and N past the blocks; small blocks compile in about a second.
    const { rows, texelCopiesMs } = await matmulAb(["storage:8x8x8", "texel:8x8x8"], 1, [37, 24, 45]);
    assert.ok(texelCopiesMs > 0 && Number.isFinite(texelCopiesMs));
    assert.deepEqual(rows.map((r) => r.kernel), ["storage:8x8x8", "texel:8x8x8"]);
    for (const r of rows) {
      assert.ok(r.maxRelError <= 1e-5, `${r.kernel}: max rel ${r.maxRelError}`);
      assert.equal(r.rounds.length, 1);
      assert.ok(r.pctCeiling > 0 && Number.isFinite(r.pctCeiling), `${r.kernel}: ${r.pctCeiling}`);
    }
  },
});
