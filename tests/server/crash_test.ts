/**
 * No job is lost to a crash: a real `cli/serve.ts` process is killed with SIGKILL while one
 * comparison runs and another waits, and started again on the same --data-dir; and a job that kills
 * the server every time it runs is failed after MAX_RESTARTS restarts. The default model
 * (models/facts837K), so no ../shared is needed.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { MAX_RESTARTS } from "../../server/job_queue.ts";
import { JobStore } from "../../server/job_store.ts";
import { readEvents } from "./_server.ts";
import { stable, startServe, waitForJob } from "./_serve_process.ts";

const post = async (base: string, body: unknown): Promise<string> => {
  const res = await fetch(`${base}/api/compare`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const job = await res.json();
  assert.equal(res.status, 202, JSON.stringify(job));
  return job.id;
};
const finished = (j: { status: string }) => j.status !== "queued" && j.status !== "running";
/** An EventSource on a job: its events, the first progress, and the result (it then closes). */
function follow(url: string) {
  const source = new EventSource(url);
  const events: { event: string; data: string }[] = [];
  let progressed!: () => void;
  const result = new Promise<typeof events>((resolve, reject) => {
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`no result within 120 s; events: ${events.map((e) => e.event).join(",")}`));
    }, 120_000);
    for (const event of ["status", "progress", "result"]) {
      source.addEventListener(event, (e) => {
        events.push({ event, data: (e as MessageEvent).data });
        if (event === "progress") progressed();
        if (event === "result") {
          clearTimeout(timer);
          source.close();
          resolve(events);
        }
      });
    }
  });
  return { events, progressed: new Promise<void>((r) => progressed = r), result };
}

async function reportOf(base: string, id: string) {
  const report = await (await fetch(`${base}/api/jobs/${id}/report.json`)).json();
  assert.equal(report.format, "ropekit-compare-report", JSON.stringify(report));
  return stable(report);
}

Deno.test("kill -9 with a job running and one queued: after a restart both end done, same ids, same reports", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "ropekit_crash_test_" });
  let server = await startServe(dataDir);
  try {
    const model = (await (await fetch(`${server.base}/api/models`)).json())[0].id;
    // Several seconds of windows, so the kill lands mid-run; the second is small.
    const running = {
      model,
      strategies: ["default", "yarn", "pi"],
      lengths: [1024],
      samples: 4,
      metrics: ["ppl", "needle"],
      seed: 7,
    };
    const queued = {
      model,
      strategies: ["default", "yarn"],
      lengths: [512],
      samples: 2,
      metrics: ["ppl"],
      seed: 3,
    };
    const a = await post(server.base, running);
    const b = await post(server.base, queued);
    // A browser's subscription, opened before the crash: EventSource reconnects by itself.
    const subscriber = follow(`${server.base}/api/jobs/${a}/events`);
    await subscriber.progressed;
    assert.equal((await (await fetch(`${server.base}/api/jobs/${a}`)).json()).status, "running");
    assert.equal((await (await fetch(`${server.base}/api/jobs/${b}`)).json()).status, "queued");
    const before = subscriber.events.length;
    assert.equal((await server.kill()).signal, "SIGKILL");

    server = await startServe(dataDir, [], {}, Number(new URL(server.base).port)); // the same address
    // The subscriber sees the restarted job continue to its result, the restart recorded.
    const afterKill = (await subscriber.result).slice(before);
    // (progress the old server sent just before it died may come first: the new stream starts with a status)
    const events = afterKill.slice(afterKill.findIndex((e) => e.event === "status"));
    const statuses = events.filter((e) => e.event === "status").map((e) => JSON.parse(e.data));
    assert.ok(
      statuses.length > 0 && statuses.every((s) => s.id === a && s.restarts === 1),
      JSON.stringify(statuses),
    );
    assert.ok(events.some((e) => e.event === "progress"), events.map((e) => e.event).join(","));
    assert.deepEqual(events.slice(-2).map((e) => e.event), ["status", "result"]);
    assert.equal(statuses.at(-1).status, "done");
    const jobB = await waitForJob(server.base, b, finished);
    assert.equal(jobB.status, "done", JSON.stringify(jobB));
    assert.equal(jobB.restarts, undefined, "a job that never started was not restarted");

    // The reports they would have had: the same requests run again, uninterrupted.
    const a2 = await post(server.base, running);
    const b2 = await post(server.base, queued);
    for (const id of [a2, b2]) assert.equal((await waitForJob(server.base, id, finished)).status, "done");
    assert.deepEqual(await reportOf(server.base, a), await reportOf(server.base, a2));
    assert.deepEqual(await reportOf(server.base, b), await reportOf(server.base, b2));
  } finally {
    await server.kill();
  }
});

Deno.test("SIGTERM while a job runs: it is queued again, no restart counted, and done after the next start", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "ropekit_crash_test_" });
  let server = await startServe(dataDir);
  try {
    const model = (await (await fetch(`${server.base}/api/models`)).json())[0].id;
    const id = await post(server.base, {
      model,
      strategies: ["default", "yarn", "pi"],
      lengths: [1024],
      samples: 4,
      metrics: ["ppl", "needle"],
    });
    await readEvents(await fetch(`${server.base}/api/jobs/${id}/events`), (e) => e.event === "progress");
    server.child.kill("SIGTERM");
    const status = await server.status;
    assert.deepEqual([status.code, status.signal], [0, null], server.stderr());
    assert.match(server.stderr(), new RegExp(`stopping: job ${id} was put back in the queue`));
    const [onDisk] = await new JobStore(dataDir).loadAll();
    assert.deepEqual([onDisk.status, onDisk.restarts, onDisk.progress], ["queued", undefined, undefined]);
    server = await startServe(dataDir);
    const job = await waitForJob(server.base, id, finished);
    assert.deepEqual([job.status, job.restarts], ["done", undefined]);
  } finally {
    await server.kill();
  }
});

Deno.test(`a job that kills the server every time is failed after ${MAX_RESTARTS} restarts`, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "ropekit_crash_test_" });
  // The test entry's worker hook (tests/server/_crash_worker.ts): a strategy labelled "crash-me"
  // SIGKILLs the server at its first progress. The shipped cli/serve.ts has no such hook.
  const crashing = { entry: fileURLToPath(new URL("./_crash_serve.ts", import.meta.url)) };
  let server = await startServe(dataDir, [], {}, 0, crashing);
  try {
    const model = (await (await fetch(`${server.base}/api/models`)).json())[0].id;
    const id = await post(server.base, {
      model,
      strategies: [{ name: "default", label: "crash-me" }],
      lengths: [512],
      samples: 1,
      metrics: ["ppl"],
    });
    for (let restarts = 0; restarts <= MAX_RESTARTS; restarts++) {
      const status = await server.status;
      assert.equal(status.signal, "SIGKILL", `start ${restarts}: ${server.stderr()}`);
      const [job] = await new JobStore(dataDir).loadAll();
      assert.deepEqual([job.id, job.status, job.restarts], [id, "running", restarts || undefined]);
      server = await startServe(dataDir, [], {}, 0, crashing);
    }
    const job = await waitForJob(server.base, id, finished, 5_000);
    assert.equal(job.status, "failed");
    assert.equal(job.restarts, MAX_RESTARTS);
    assert.match(job.error as string, new RegExp(`stopped ${MAX_RESTARTS + 1} times while running this job`));
    // The server is not stuck behind it: the next job runs.
    const next = await post(server.base, {
      model,
      strategies: ["default"],
      lengths: [512],
      samples: 1,
      metrics: ["ppl"],
    });
    assert.equal((await waitForJob(server.base, next, finished)).status, "done");
  } finally {
    await server.kill();
  }
});

Deno.test("the shipped server reads no crash hook from its environment", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "ropekit_crash_test_" });
  // The variable older versions obeyed: it must change nothing now.
  const server = await startServe(dataDir, [], { ROPEKIT_TEST_CRASH_LABEL: "crash-me" });
  try {
    const model = (await (await fetch(`${server.base}/api/models`)).json())[0].id;
    const id = await post(server.base, {
      model,
      strategies: [{ name: "default", label: "crash-me" }],
      lengths: [512],
      samples: 1,
      metrics: ["ppl"],
    });
    assert.equal((await waitForJob(server.base, id, finished)).status, "done", server.stderr());
  } finally {
    await server.kill();
  }
});
