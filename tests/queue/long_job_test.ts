/**
 * Queue workers under long and oversized jobs, on a real redis-server and a real worker process with
 * the default lock: a job beyond the comparison limits is refused for good with the limit named,
 * before any forward pass; a 65,536-token job (the server's longest length) runs once and its result
 * arrives, because the forward pass runs off the worker's event loop and the lock keeps being renewed.
 */
import assert from "node:assert/strict";
import { EVAL_LIMITS } from "../../compare/limits.ts";
import { loadModel } from "../../model/load_model.ts";
import { JOB_LIMITS } from "../../queue/limits.ts";
import { modelHash } from "../../queue/model_hash.ts";
import { QueueScorer } from "../../queue/queue_scorer.ts";
import { buildTable, builtinRegistry } from "../../strategies/registry.ts";
import { MODEL, REDIS_SERVER, startWorker, TestRedis } from "./_redis.ts";

const model = await loadModel(MODEL);
const table = await buildTable(builtinRegistry().get("yarn"), model.spec, {
  targetLength: EVAL_LIMITS.length,
}, {});
/** A document of `n` tokens the model's vocabulary holds. */
const doc = (n: number) =>
  Array.from({ length: n }, (_, i) => i === 0 ? model.tokenizer.bosId : 3 + (i * 7) % 700);

Deno.test({
  name:
    "queue worker: a job beyond the limits fails once naming the limit; 65,536 tokens run once (default lock)",
  ignore: !REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const redis = await new TestRedis().start();
    const worker = await startWorker(redis.url, ["--lock-seconds", "default"]);
    const scorer = await QueueScorer.open(redis.url, modelHash(model), { pollMs: 500 });
    try {
      // One token too many: refused for good, before a forward pass, with the limit in the message.
      await assert.rejects(
        scorer.nll([doc(JOB_LIMITS.documentTokens + 1)], table),
        new RegExp(
          `failed: bad job: document 0 has ${JOB_LIMITS.documentTokens + 1} tokens, more than the limit of ` +
            `${JOB_LIMITS.documentTokens} tokens per document`,
        ),
      );
      assert.equal(worker.started().length, 1, worker.log.join(""));

      const t0 = performance.now();
      // Before the model thread, the lock expired mid-pass and the job ran again and again: a deadline
      // makes that a failure instead of a hang (the pass takes 1.5–10 minutes on a shared 2-core machine).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no result in 20 min:\n${worker.log.join("")}`)),
          1_200_000,
        );
      });
      const [nll] = await Promise.race([scorer.nll([doc(EVAL_LIMITS.length)], table), deadline]).finally(() =>
        clearTimeout(timer)
      );
      const seconds = (performance.now() - t0) / 1000;
      assert.equal(nll.length, EVAL_LIMITS.length - 1);
      assert.ok(nll.every(Number.isFinite), "a non-finite NLL");
      // Give a lost lock's stalled-job check (every 15 s at the default 30 s lock) time to restart it.
      await new Promise((r) => setTimeout(r, 16_000));
      const started = worker.started();
      assert.equal(
        started.length,
        2,
        `the long job ran ${started.length - 1} times:\n${worker.log.join("")}`,
      );
      assert.equal(worker.finished().length, 1, worker.log.join(""));
      assert.doesNotMatch(worker.log.join(""), /lock/i);
      console.log(`65,536-token job: ${seconds.toFixed(1)} s, once (the default lock is 30 s)`);
    } finally {
      await scorer.close();
      worker.proc.kill("SIGTERM");
      await worker.proc.status;
      await redis.stop();
    }
  },
});
