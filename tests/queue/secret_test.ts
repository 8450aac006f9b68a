/**
 * The queue's shared secret and Redis AUTH, on a real redis-server started with --requirepass, real
 * worker processes and real `compare --queue` processes: a signed comparison gives the in-process
 * report; a client without the secret is refused by the worker; a rogue worker without the secret
 * cannot make `compare --queue` report its forged numbers; a wrong Redis password is one line.
 */
import assert from "node:assert/strict";
import { Worker } from "bullmq";
import { connect } from "../../queue/connection.ts";
import { loadModel } from "../../model/load_model.ts";
import { modelHash } from "../../queue/model_hash.ts";
import { HEARTBEAT_MS, heartbeatKey, queueName } from "../../queue/names.ts";
import { sign } from "../../queue/signing.ts";
import { MODEL, numbers, REDIS_SERVER, runCli, startWorker, TestRedis } from "./_redis.ts";

const SECRET = "correct horse battery staple";
const compareArgs = (seed: number) => [
  ...["--strategies", "yarn", "--model", MODEL, "--lengths", "512", "--samples", "1", "--metrics", "ppl"],
  ...["--seed", `${seed}`, "--json"],
];

Deno.test({
  name: "queue secret + AUTH: signed jobs run; unsigned jobs and forged results are refused",
  ignore: !REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const redis = await new TestRedis(undefined, "redis-pw-123").start();
    const wrong = redis.url.replace("redis-pw-123", "nope");
    try {
      // Redis AUTH: a wrong password is one line, at once.
      const denied = await runCli("compare.ts", [...compareArgs(0), "--queue", wrong]);
      assert.equal(denied.code, 1);
      assert.match(
        denied.stderr.trim(),
        /^error: queue redis:\/\/\*\*\*@127\.0\.0\.1:\d+: authentication failed/,
      );
      assert.equal(denied.stderr.trim().split("\n").length, 1, denied.stderr);

      const worker = await startWorker(redis.url, ["--secret", SECRET]);
      try {
        const local = await runCli("compare.ts", compareArgs(0));
        assert.equal(local.code, 0, local.stderr);
        const signed = await runCli("compare.ts", [
          ...compareArgs(0),
          "--queue",
          redis.url,
          "--secret",
          SECRET,
        ]);
        assert.equal(signed.code, 0, signed.stderr);
        assert.deepEqual(numbers(JSON.parse(signed.stdout)), numbers(JSON.parse(local.stdout)));

        // A client without the secret: the worker refuses its job for good, and says why.
        const unsigned = await runCli("compare.ts", [...compareArgs(0), "--queue", redis.url]);
        assert.equal(unsigned.code, 1);
        assert.match(unsigned.stderr, /job is not signed with this worker's queue secret/);
        assert.equal(unsigned.stdout, "");
      } finally {
        worker.proc.kill("SIGTERM");
        await worker.proc.status;
      }

      // A rogue worker with Redis access but not the secret answers every job with forged numbers.
      const hash = modelHash(await loadModel(MODEL));
      const conn = connect(redis.url);
      let forged = 0;
      const rogue = new Worker(
        queueName(hash),
        // deno-lint-ignore require-await
        async (job) => {
          forged++;
          const docs = job.data.docs as { ids: number[] }[];
          const r = {
            v: 1,
            scores: docs.map(() => 0.001),
            nll: docs.map((d) => d.ids.slice(1).map(() => 0.001)),
            seconds: 0,
            worker: "rogue",
          };
          return { ...r, sig: sign("a guessed secret", `result:${job.id}`, r) };
        },
        { connection: conn, concurrency: 1 },
      );
      await rogue.waitUntilReady();
      await conn.set(heartbeatKey(hash, "rogue"), "{}", "PX", HEARTBEAT_MS);
      try {
        const attacked = await runCli("compare.ts", [
          ...compareArgs(1),
          "--queue",
          redis.url,
          "--secret",
          SECRET,
        ]);
        assert.ok(forged > 0, "the rogue worker took no job");
        assert.equal(attacked.code, 1, attacked.stdout);
        assert.match(
          attacked.stderr,
          /its result is not signed with the queue secret, rejected \(from worker "rogue"/,
        );
        assert.equal(attacked.stdout, "", "a report was printed");
      } finally {
        await rogue.close();
        conn.disconnect();
      }
    } finally {
      await redis.stop();
    }
  },
});
