/** `compare --queue` on a real redis-server with 2 worker processes: the in-process report, number for number. */
import assert from "node:assert/strict";
import { MODEL, numbers, REDIS_SERVER, runCli, startWorker, TestRedis } from "./_redis.ts";

const COMPARE = [
  "--strategies",
  "yarn,pi,longrope2",
  "--model",
  MODEL,
  "--lengths",
  "512",
  "--samples",
  "2",
  "--metrics",
  "ppl,needle,passkey,short",
  "--json",
]; // deno-fmt-ignore

Deno.test({
  name: "compare --queue: 2 workers give the in-process report; no worker for the model → one line",
  ignore: !REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const redis = await new TestRedis().start();
    try {
      const none = await runCli("compare.ts", [...COMPARE, "--queue", redis.url]);
      assert.equal(none.code, 1);
      assert.match(
        none.stderr.trim(),
        /^error: no worker on redis:\/\/127\.0\.0\.1:\d+ holds model [0-9a-f]{16}/,
      );
      assert.equal(none.stderr.trim().split("\n").length, 1, none.stderr);

      const local = await runCli("compare.ts", COMPARE);
      assert.equal(local.code, 0, local.stderr);
      const workers = [await startWorker(redis.url), await startWorker(redis.url)];
      const remote = await runCli("compare.ts", [...COMPARE, "--queue", redis.url]);
      for (const w of workers) {
        w.proc.kill("SIGTERM");
        await w.proc.status;
      }
      assert.equal(remote.code, 0, remote.stderr);
      assert.deepEqual(numbers(JSON.parse(remote.stdout)), numbers(JSON.parse(local.stdout)));
      assert.ok(workers.every((w) => w.jobs() > 0), "a worker took no job");
    } finally {
      await redis.stop();
    }
  },
});
