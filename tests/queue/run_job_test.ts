/**
 * The queue worker's failure classes (queue/run_job.ts), on the real in-repo model: a job's own fault
 * (malformed, token ids outside the vocabulary) is a RopekitError and fails for good (BullMQ's
 * UnrecoverableError); anything else — a bug, or an internal RangeError — is passed on unchanged, so
 * BullMQ retries it and the worker logs its stack.
 */
import assert from "node:assert/strict";
import { UnrecoverableError } from "bullmq";
import { loadModel } from "../../model/load_model.ts";
import type { Model } from "../../model/model.ts";
import { modelHash } from "../../queue/model_hash.ts";
import { asPermanent, runJob } from "../../queue/run_job.ts";
import { tableToWire, WIRE_VERSION } from "../../queue/wire.ts";
import { buildTable, builtinRegistry } from "../../strategies/registry.ts";
import { RopekitError } from "../../util/errors.ts";
import { MODEL } from "./_redis.ts";

const model = await loadModel(MODEL);
const hash = modelHash(model);
const table = tableToWire(
  await buildTable(builtinRegistry().get("pi"), model.spec, { targetLength: 256 }, {}),
);
const vocab = model.config.vocabSize;
const job = (ids: number[]) => ({
  v: WIRE_VERSION,
  model: hash,
  tables: [{ seqLen: 0, table }],
  docs: [{ ids }],
});
const ids = Array.from({ length: 16 }, (_, i) => i === 0 ? model.tokenizer.bosId : 3 + (i * 7) % 200);

Deno.test("worker: a good job scores; the job's own faults fail for good, named", async () => {
  const ok = await runJob(model, hash, job(ids));
  assert.equal(ok.scores.length, 1);
  assert.ok(Number.isFinite(ok.scores[0]) && ok.scores[0]! > 0, String(ok.scores[0]));

  const malformed = { ...job(ids), v: WIRE_VERSION + 1 };
  await assert.rejects(runJob(model, hash, malformed), (e) => {
    assert.ok(e instanceof UnrecoverableError, String(e));
    assert.match(e.message, /^bad job: job format v2/);
    return true;
  });
  const outside = [...ids.slice(0, 8), vocab + 5, ...ids.slice(9)];
  await assert.rejects(runJob(model, hash, job(outside)), (e) => {
    assert.ok(e instanceof UnrecoverableError, String(e));
    assert.match(e.message, new RegExp(`token 8 is ${vocab + 5}, outside the vocabulary \\[0, ${vocab}\\)`));
    return true;
  });
});

Deno.test("worker: a bug in scoring is not the job's fault: passed on unchanged, to be retried", async () => {
  // The real model with a fault injected into its forward pass, as a bug there would surface.
  const broken = Object.create(model) as Model;
  broken.nll = () => Promise.reject(new TypeError("cannot read properties of undefined (reading 'data')"));
  await assert.rejects(runJob(broken, hash, job(ids)), (e) => {
    assert.ok(e instanceof TypeError && !(e instanceof UnrecoverableError), String(e));
    assert.match(e.stack ?? "", /run_job_test\.ts/);
    return true;
  });
  // An internal invariant's RangeError is a bug too, no longer "any RangeError is a bad job".
  const invariant = new RangeError("kv cache position 9 beyond its capacity 8");
  assert.equal(asPermanent(invariant), invariant);
  const ours = asPermanent(new RopekitError("table.rotaryDim must be an integer"));
  assert.ok(ours instanceof UnrecoverableError);
  assert.equal((ours as Error).message, "bad job: table.rotaryDim must be an integer");
});
