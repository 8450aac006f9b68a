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

Deno.test("wgsl matmul A/B: bad --rounds or --kernels end in one line and exit 2, before any GPU work", async () => {
  const script = new URL("../../bench/wgsl_matmul_ab.ts", import.meta.url).pathname;
  for (
    const [args, message] of [
      [["--rounds", "0"], /^error: --rounds 0: want an integer ≥ 1$/],
      [["--kernels", "texel:32x32x8,tiled:1x1x1"], /^error: .*"tiled:1x1x1" is not kernel:TMxTNxWG/],
    ] as const
  ) {
    const r = await new Deno.Command(Deno.execPath(), { args: ["run", "--quiet", "-A", script, ...args] })
      .output();
    const err = new TextDecoder().decode(r.stderr).trim().split("\n");
    assert.equal(r.code, 2, err.join("\n"));
    assert.equal(err.length, 1, err.join("\n"));
    assert.match(err[0], message);
  }
});
