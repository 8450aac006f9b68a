/**
 * Jobs on a real listening server and the real compare worker (the test model): SSE progress and
 * result, cancellation of a running job, and what survives a restart.
 */
import assert from "node:assert/strict";
import type { CompareJobSpec } from "../../server/compare_job.ts";
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
      assert.ok(report.strategies[1].ppl["600"].ppl > 1);
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

Deno.test("a restart keeps finished results and marks queued or running jobs interrupted", async () => {
  const dataDir = await Deno.makeTempDir();
  const runner = new HeldRunner();
  const first = await testContext({ dataDir, runner, maxWaiting: 4 });
  const model = (await first.models())[0];
  const request: CompareJobSpec = {
    model: model.id,
    modelSource: model.source,
    text: "t",
    textSource: "t",
    strategies: [],
    metrics: [],
    samples: 1,
    seed: 0,
    template: "story-pet",
  };
  const done = await first.queue.submit(request);
  await runner.waitStarted(1);
  runner.releaseOne();
  await first.queue.idle();
  const running = await first.queue.submit(request);
  const queued = await first.queue.submit(request);
  await runner.waitStarted(2);
  assert.equal(first.queue.get(running.id)!.status, "running");
  // "Crash": the first server is simply abandoned; a second one opens the same data dir.
  const second = await testContext({ dataDir, runner: new HeldRunner() });
  assert.equal(second.queue.get(done.id)!.status, "done");
  assert.ok(await second.store.readReport(done.id));
  for (const id of [running.id, queued.id]) {
    const job = second.queue.get(id)!;
    assert.equal(job.status, "interrupted");
    assert.match(job.error!, /server stopped/);
  }
  // And the interruption is on disk, not only in memory.
  const onDisk = await new JobStore(dataDir).loadAll();
  assert.deepEqual(onDisk.map((j) => j.status).sort(), ["done", "interrupted", "interrupted"]);
  await first.queue.cancel(queued.id);
  await first.queue.cancel(running.id);
  await first.queue.idle();
});
