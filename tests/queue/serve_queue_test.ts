/**
 * `serve --queue`: a comparison job of the real server and its real compare worker runs its forward
 * passes on a queue worker process and reports what the in-process server reports.
 */
import assert from "node:assert/strict";
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
