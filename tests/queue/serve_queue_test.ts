/**
 * `serve --queue`: a comparison job of the real server and its real compare worker runs its forward
 * passes on a queue worker process and reports what the in-process server reports; a job whose
 * workers all died can be cancelled.
 */
import assert from "node:assert/strict";
import { Queue } from "bullmq";
import { loadModel } from "../../model/load_model.ts";
import { connect } from "../../queue/connection.ts";
import { modelHash } from "../../queue/model_hash.ts";
import { heartbeatKey, queueName } from "../../queue/names.ts";
import { openServerContext } from "../../server/context.ts";
import { listen, readEvents } from "../server/_server.ts";
import { MODEL, numbers, REDIS_SERVER, TEXT, withQueue } from "./_redis.ts";

async function runJob(queueUrl?: string) {
  const ctx = await openServerContext({
    models: [MODEL],
    texts: [TEXT],
    dataDir: await Deno.makeTempDir({ prefix: "ropekit_queue_serve_" }),
    pluginHosts: [],
    loopbackOnly: true,
    maxWaiting: 2,
    queueUrl,
  });
  const server = listen(ctx);
  try {
    const [model] = await (await fetch(`${server.base}/api/models`)).json();
    const res = await fetch(`${server.base}/api/compare`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: model.id, strategies: ["default", "yarn"], lengths: [512], samples: 2 }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = await res.json();
    const events = await readEvents(await fetch(`${server.base}/api/jobs/${id}/events`));
    assert.equal(JSON.parse(events.at(-2)!.data).status, "done", events.at(-2)!.data);
    return JSON.parse(events.at(-1)!.data);
  } finally {
    await server.close();
  }
}

Deno.test({
  name: "serve --queue: a comparison job runs on a queue worker and reports what in-process does",
  ignore: !REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withQueue(1, async (redis, [w]) => {
      const remote = await runJob(redis.url);
      assert.ok(w.jobs() > 0, "the worker took no job");
      assert.deepEqual(numbers(remote), numbers(await runJob()));
    });
  },
});

Deno.test({
  name: "serve --queue: a job whose workers all died is cancelled, and its waiting jobs leave the queue",
  ignore: !REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withQueue(1, async (redis, [w]) => {
      // The worker dies. Its heartbeat outlives it by up to 15 s, and the server sends jobs meanwhile;
      // the test keeps that moment for a minute (the same key, refreshed), however slow the start.
      w.proc.kill("SIGKILL");
      await w.proc.status;
      const hash = modelHash(await loadModel(MODEL));
      const conn = connect(redis.url);
      await conn.set(heartbeatKey(hash, "w0"), "{}", "PX", 60_000);
      const ctx = await openServerContext({
        models: [MODEL],
        texts: [TEXT],
        dataDir: await Deno.makeTempDir({ prefix: "ropekit_queue_cancel_" }),
        pluginHosts: [],
        loopbackOnly: true,
        maxWaiting: 2,
        queueUrl: redis.url,
      });
      const server = listen(ctx);
      const queue = new Queue(queueName(modelHash(await loadModel(MODEL))), {
        connection: connect(redis.url),
      });
      try {
        const [model] = await (await fetch(`${server.base}/api/models`)).json();
        const res = await fetch(`${server.base}/api/compare`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: model.id, strategies: ["yarn"], lengths: [512], samples: 1 }),
        });
        assert.equal(res.status, 202, await res.clone().text());
        const { id } = await res.json();
        // Jobs wait on the queue with nobody to take them.
        const until = Date.now() + 30_000;
        while (await queue.getWaitingCount() === 0) {
          assert.ok(Date.now() < until, "no job reached the queue");
          await new Promise((r) => setTimeout(r, 100));
        }
        const cancel = await fetch(`${server.base}/api/jobs/${id}`, { method: "DELETE" });
        assert.ok(cancel.ok, await cancel.text());
        let status = "";
        const deadline = Date.now() + 10_000;
        while (status !== "cancelled" && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          status = (await (await fetch(`${server.base}/api/jobs/${id}`)).json()).status;
        }
        assert.equal(status, "cancelled", "the job was not cancelled within 10 s");
        // What no worker had taken is gone from the queue (the removal follows the cancellation).
        const removed = Date.now() + 5_000;
        while (await queue.getWaitingCount() > 0 && Date.now() < removed) {
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(await queue.getWaitingCount(), 0);
      } finally {
        await queue.close();
        conn.disconnect();
        await server.close();
      }
    });
  },
});
