import assert from "node:assert/strict";
import { benchTraining, peerMatchedOptions } from "../../bench/train.ts";

const tiny = {
  file: "absent-tiny.bin",
  dim: 16,
  hidden: 32,
  layers: 2,
  heads: 2,
  kvHeads: 2,
  vocab: 64,
  seq: 32,
};

Deno.test("training bench: a tiny random model, one round, no peer, gives finite positive tokens/s", async () => {
  const cacheDir = await Deno.makeTempDir();
  const lines: string[] = [];
  try {
    const rows = await benchTraining({
      peer: "skipped (test)",
      rounds: 1,
      repeats: 1,
      cacheDir,
      log: (s) => lines.push(s),
      cases: [
        { label: "tiny", random: tiny, length: 16 },
        { label: "missing", path: `${cacheDir}/no-such-model.bin`, length: 16 },
      ],
    });
    assert.equal(rows.length, 1, lines.join("\n"));
    const [r] = rows;
    assert.equal(r.model, "tiny");
    assert.ok(r.engine === "native" || r.engine === "js", r.engine);
    assert.ok(Number.isFinite(r.tokensPerS) && r.tokensPerS > 0, `tokens/s ${r.tokensPerS}`);
    assert.ok(Math.abs(r.tokensPerS * r.warmS - 16) < 1e-9, "tokens/s = length / best step");
    assert.ok(Number.isFinite(r.loss) && r.loss > 0, `loss ${r.loss}`);
    assert.equal(r.params, 64 * 16 + 2 * (2 * 16 + 4 * 16 * 16 + 3 * 32 * 16) + 16, "tied classifier once");
    assert.equal(r.peerTokensPerS, null);
    assert.equal(r.ratio, null);
    assert.match(r.weights, /^initWeights/);
    assert.match(lines.join("\n"), /train tiny@16 (native|js) .* peer skipped \(test\)/);
    assert.match(lines.join("\n"), /train missing@16: skipped \(.*no-such-model\.bin not found\)/);
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});

Deno.test("training bench: ropekit's step is the peer's (batch 1, constant lr 1e-4, torch AdamW defaults)", () => {
  const o = peerMatchedOptions(256);
  assert.equal(o.seqLen, 256);
  assert.equal(o.batchSize * o.accumulation, 1);
  assert.equal(o.long, undefined);
  assert.deepEqual(o.adamw, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: Infinity });
  assert.equal(o.schedule.peakLr, 1e-4);
  assert.equal(o.schedule.minLr, 1e-4);
});
