/**
 * The queue scorer against an in-process worker on a real redis-server: same scores as in-process,
 * a job sent twice is scored once, permanent failures fail once with their reason.
 */
import assert from "node:assert/strict";
import { loadModel } from "../../model/load_model.ts";
import { localScorer, type ScoreDoc } from "../../search/evaluator.ts";
import { modelHash } from "../../queue/model_hash.ts";
import { QueueScorer } from "../../queue/queue_scorer.ts";
import { runJob, startWorker } from "../../queue/worker.ts";
import { tableToWire, WIRE_VERSION } from "../../queue/wire.ts";
import { buildTable, builtinRegistry } from "../../strategies/registry.ts";
import type { RopeTable } from "../../strategies/types.ts";
import { MODEL, REDIS_SERVER, TestRedis } from "./_redis.ts";

const model = await loadModel(MODEL);
const hash = modelHash(model);
const ids = model.tokenizer.encode("Mira keeps the blue key in the garden shed. Where is the blue key?");
const docs: ScoreDoc[] = [{ ids, targets: [ids.length - 2, ids.length - 1] }, { ids: ids.slice(0, 10) }];
const table = await buildTable(builtinRegistry().get("yarn"), model.spec, { targetLength: 1024 }, {});
// deno-lint-ignore require-await
const tableFor = async (_: number): Promise<RopeTable> => table;

Deno.test("model hash: same weights and spec → same hash; a spec override or other weights → another", async () => {
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.equal(modelHash(await loadModel(MODEL)), hash);
  assert.notEqual(modelHash(await loadModel(MODEL, { spec: { originalContext: 512 } })), hash);
  const other = await loadModel(MODEL);
  other.weights.finalNorm[0] += 1e-3;
  assert.notEqual(modelHash(other), hash);
});

Deno.test("runJob: a job for other weights, or a table of the wrong shape, is refused for good", async () => {
  const job = { v: WIRE_VERSION, model: hash, tables: [{ seqLen: 0, table: tableToWire(table) }], docs };
  assert.deepEqual((await runJob(model, hash, job)).scores, await localScorer(model)(tableFor, docs));
  await assert.rejects(runJob(model, hash, { ...job, model: "0".repeat(64) }), {
    name: "UnrecoverableError",
    message: /this worker holds model [0-9a-f]{16}, not 0{16}/,
  });
  const short = { ...tableToWire(table), invFreq: [1, 2, 3] };
  await assert.rejects(runJob(model, hash, { ...job, tables: [{ seqLen: 0, table: short }] }), {
    name: "UnrecoverableError",
    message: /^bad job: /,
  });
  await assert.rejects(runJob(model, hash, { ...job, docs: [{ ids: [1] }] }), /bad job: document 0/);
});

Deno.test({
  name: "queue scorer: remote scores equal in-process ones; duplicates once; bad table fails once",
  ignore: !REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const redis = await new TestRedis().start();
    let jobs = 0;
    const failures: string[] = [];
    const worker = await startWorker({
      url: redis.url,
      models: [{ path: MODEL }],
      onJob: (e) => e.error ? failures.push(e.error) : jobs++,
    });
    const scorer = await QueueScorer.open(redis.url, hash, { pollMs: 200 });
    try {
      const [a, b] = await Promise.all([scorer.score(tableFor, docs), scorer.score(tableFor, docs)]);
      assert.deepEqual(a, await localScorer(model)(tableFor, docs));
      assert.deepEqual(b, a);
      assert.equal(jobs, 1, "the same job was scored twice");
      // A table the model rejects: one attempt, the reason reaches the caller.
      const bad = { ...table, invFreq: new Float64Array(3) };
      // deno-lint-ignore require-await
      await assert.rejects(scorer.score(async () => bad, docs), /queue job [0-9a-f]{12} failed: bad job: /);
      assert.equal(failures.length, 1, failures.join("\n"));
    } finally {
      await scorer.close();
      await worker.close();
      await redis.stop();
    }
  },
});
