/**
 * Jobs on a real listening server and the real compare worker (the test model): SSE progress and
 * result, cancellation of a running job, and what survives a restart.
 */
import assert from "node:assert/strict";
import type { CompareJobSpec } from "../../server/compare_job.ts";
import { MAX_RESTARTS } from "../../server/job_queue.ts";
import { JobStore } from "../../server/job_store.ts";
import { HeldRunner, listen, readEvents, testContext, TINY_JOB } from "./_server.ts";

const post = (base: string, path: string, body: unknown) =>
  fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

Deno.test({
  name: "a comparison streams status, progress and its result over SSE; reports download",
  async fn() {
    const ctx = await testContext();
    const server = listen(ctx);
    try {
      const res = await post(server.base, "/api/compare", TINY_JOB);
      assert.equal(res.status, 202);
      const { id } = await res.json();
      const events = await readEvents(await fetch(`${server.base}/api/jobs/${id}/events`));
      const kinds = events.map((e) => e.event);
      assert.equal(kinds[0], "status");
      assert.ok(kinds.includes("progress"), kinds.join(","));
      assert.deepEqual(kinds.slice(-2), ["status", "result"]);
      assert.equal(JSON.parse(events.at(-2)!.data).status, "done");
      const report = JSON.parse(events.at(-1)!.data);
      assert.deepEqual(report.strategies.map((s: { label: string }) => s.label), ["default", "yarn"]);
      assert.ok(report.strategies[1].metrics.ppl.cells["600"].value > 1);
      const job = await (await fetch(`${server.base}/api/jobs/${id}`)).json();
      assert.equal(job.report.format, "ropekit-compare-report");
      const html = await fetch(`${server.base}/api/jobs/${id}/report.html`);
      assert.match(html.headers.get("content-disposition")!, /report\.html/);
      assert.match(await html.text(), /<svg/);
      // A late subscriber to a finished job still gets its final status and result, then the end.
      const late = await readEvents(await fetch(`${server.base}/api/jobs/${id}/events`));
      assert.deepEqual(late.map((e) => e.event), ["status", "result"]);
    } finally {
      await server.close();
    }
  },
});

Deno.test({
  name: "DELETE cancels a running comparison through its AbortSignal",
  async fn() {
    const ctx = await testContext();
    const server = listen(ctx);
    try {
      const res = await post(server.base, "/api/compare", {
        ...TINY_JOB,
        samples: 16,
        strategies: ["default", "pi", "yarn"],
      });
      const { id } = await res.json();
      await readEvents(await fetch(`${server.base}/api/jobs/${id}/events`), (e) => e.event === "progress");
      const t0 = performance.now();
      assert.equal((await fetch(`${server.base}/api/jobs/${id}`, { method: "DELETE" })).status, 200);
      const rest = await readEvents(await fetch(`${server.base}/api/jobs/${id}/events`));
      // The worker stops at the next window, not at the end of the current evaluation.
      assert.ok(performance.now() - t0 < 5000, `cancelling took ${performance.now() - t0} ms`);
      const final = JSON.parse(rest.filter((e) => e.event === "status").at(-1)!.data);
      assert.equal(final.status, "cancelled");
      assert.equal(rest.some((e) => e.event === "result"), false);
    } finally {
      await server.close();
    }
  },
});

function request(model: { id: string; source: string }, seed = 0): CompareJobSpec {
  return {
    model: model.id,
    modelSource: model.source,
    text: "t",
    textSource: "t",
    strategies: [],
    metrics: [],
    samples: 1,
    seed,
    template: "story-pet",
  };
}

Deno.test("a restart keeps finished results and resumes running then queued jobs, same ids", async () => {
  const dataDir = await Deno.makeTempDir();
  const runner = new HeldRunner();
  const first = await testContext({ dataDir, runner, maxWaiting: 4 });
  const model = (await first.models())[0];
  const done = await first.queue.submit(request(model, 1));
  await runner.waitStarted(1);
  runner.releaseOne();
  await first.queue.idle();
  const running = await first.queue.submit(request(model, 2));
  // A burst, likely within one millisecond: it must come back in its order.
  const burst = await Promise.all([3, 4, 5].map((seed) => first.queue.submit(request(model, seed))));
  const queued = burst[0];
  await runner.waitStarted(2);
  assert.equal(first.queue.get(running.id)!.status, "running");
  // "Crash": the first server is simply abandoned; a second one opens the same data dir.
  const again = new HeldRunner();
  const second = await testContext({ dataDir, runner: again });
  assert.equal(second.queue.get(done.id)!.status, "done");
  assert.ok(await second.store.readReport(done.id));
  await again.waitStarted(1);
  assert.equal(again.started[0].seed, 2, "the job that was running goes first");
  assert.deepEqual(
    [second.queue.get(running.id)!.status, second.queue.get(running.id)!.restarts],
    ["running", 1],
  );
  assert.deepEqual([second.queue.get(queued.id)!.status, second.queue.get(queued.id)!.restarts], [
    "queued",
    undefined,
  ]);
  for (let n = 2; n <= 4; n++) {
    again.releaseOne();
    await again.waitStarted(n);
  }
  assert.deepEqual(again.started.map((s) => s.seed), [2, 3, 4, 5]);
  again.releaseOne();
  await second.queue.idle();
  // On disk, not only in memory.
  const onDisk = new Map((await new JobStore(dataDir).loadAll()).map((j) => [j.id, [j.status, j.restarts]]));
  assert.deepEqual(onDisk.get(done.id), ["done", undefined]);
  assert.deepEqual(onDisk.get(running.id), ["done", 1]);
  assert.deepEqual(onDisk.get(queued.id), ["done", undefined]);
  for (const job of [...burst, running]) await first.queue.cancel(job.id);
  await first.queue.idle();
});

Deno.test(`a job during which the server stopped ${MAX_RESTARTS + 1} times is failed, not started again`, async () => {
  const dataDir = await Deno.makeTempDir();
  const store = new JobStore(dataDir);
  const id = crypto.randomUUID();
  const base = { request: request({ id: "m", source: "m" }), created: new Date().toISOString() };
  await store.save({ id, status: "running", restarts: MAX_RESTARTS, ...base });
  const runner = new HeldRunner();
  const ctx = await testContext({ dataDir, runner });
  const job = ctx.queue.get(id)!;
  assert.equal(job.status, "failed");
  assert.equal(job.restarts, MAX_RESTARTS);
  assert.match(job.error!, /stopped 3 times while running this job/);
  assert.equal(runner.started.length, 0);
  assert.equal((await store.loadAll())[0].status, "failed");
});
