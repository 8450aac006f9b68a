/**
 * The growth table's child process computes what it times: its window's mean NLL equals the default
 * model's NLL of the same ids under the same YaRN table computed here, and it reports time and peak RSS.
 */
import assert from "node:assert/strict";
import { benchGrowth } from "../../bench/growth.ts";
import { loadModel } from "../../model/load_model.ts";
import { DEFAULT_MODEL } from "../../compare/defaults.ts";
import { buildTable, builtinRegistry } from "../../strategies/registry.ts";
import { nativeBackend } from "../../model/native_backend.ts";
import { CpuBackend } from "../../model/cpu_backend.ts";

Deno.test("bench growth: a row's NLL matches the model's own NLL of the same window; time and peak RSS are reported", async () => {
  const length = 300;
  const [row] = await benchGrowth({
    lengths: [length],
    llamaCpp: "skipped here",
    ggufDir: "",
    log: () => {},
  });
  assert.equal(row.length, length);
  assert.ok(row.seconds > 0 && row.tokensPerS > 0, `time ${row.seconds}`);
  assert.ok(row.peakRssMb > 10 && row.peakRssMb < 4096, `peak RSS ${row.peakRssMb}`);
  assert.equal(row.llamaCppTokensPerS, null);
  assert.equal(row.llamaCppNote, "skipped here");
  const model = await loadModel(DEFAULT_MODEL, { backend: nativeBackend() ?? new CpuBackend() });
  const table = await buildTable(builtinRegistry().get("yarn"), model.spec, {
    targetLength: length,
    seqLen: length,
  });
  const nll = (await model.nll([row.ids], table)).nll[0];
  const mean = nll.reduce((a, b) => a + b, 0) / nll.length;
  assert.ok(Math.abs(mean - row.meanNll) <= 1e-6 * Math.abs(mean), `child ${row.meanNll} vs here ${mean}`);
});
