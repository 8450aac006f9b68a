/**
 * A bounded load test on loopback: 200 `rope` requests, 20 at a time, while a burst of 8 comparisons
 * hits a queue with room for 1 running + 3 waiting. Passes when the only failures are the designed
 * 429s and every accepted job finishes (none lost). Bounded: fixed request counts, 120 s deadline.
 */
import assert from "node:assert/strict";
import { listen, testContext, TINY_JOB } from "./_server.ts";

const ROPE_REQUESTS = 200;
const ROPE_CONCURRENCY = 20;
const COMPARE_BURST = 8;
const DEADLINE_MS = 120_000;

const CONFIG = { rope_theta: 500000, head_dim: 128, max_position_embeddings: 8192 };
const STRATEGIES = ["yarn", "ntk", "pi", "llama3", "longrope2", "dynamic-ntk"];

Deno.test({
  name: "load: concurrent rope requests and a compare burst: only designed 429s, no lost job",
  async fn() {
    const deadline = AbortSignal.timeout(DEADLINE_MS);
    const ctx = await testContext({ maxWaiting: 3 });
    const server = listen(ctx);
    const post = (path: string, body: unknown) =>
      fetch(server.base + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: deadline,
      });
    try {
      const ropeStatuses: number[] = [];
      const ropeWorker = async (w: number) => {
        for (let i = w; i < ROPE_REQUESTS; i += ROPE_CONCURRENCY) {
          const res = await post("/api/rope", {
            config: CONFIG,
            strategy: STRATEGIES[i % STRATEGIES.length],
            target: 32768,
          });
          const body = await res.json();
          ropeStatuses.push(res.status);
          if (res.status === 200) assert.equal(body.inv_freq.length, 64);
        }
      };
      const burst = Array.from(
        { length: COMPARE_BURST },
        (_, i) =>
          post("/api/compare", { ...TINY_JOB, strategies: ["default"], seed: i }).then(async (res) => ({
            status: res.status,
            retryAfter: res.headers.get("retry-after"),
            body: await res.json(),
          })),
      );
      const [compares] = await Promise.all([
        Promise.all(burst),
        Promise.all(Array.from({ length: ROPE_CONCURRENCY }, (_, w) => ropeWorker(w))),
      ]);
      assert.equal(ropeStatuses.length, ROPE_REQUESTS);
      assert.deepEqual(ropeStatuses.filter((s) => s !== 200), []);
      assert.deepEqual(compares.filter((c) => c.status !== 202 && c.status !== 429), []);
      for (const c of compares.filter((c) => c.status === 429)) assert.ok(Number(c.retryAfter) >= 1);
      const accepted = compares.filter((c) => c.status === 202).map((c) => c.body.id as string);
      assert.equal(accepted.length, 4, "1 running + 3 waiting accepted from the burst");

      // Every accepted job finishes and is listed: none lost.
      for (const id of accepted) {
        for (;;) {
          deadline.throwIfAborted();
          const job = await (await fetch(`${server.base}/api/jobs/${id}`, { signal: deadline })).json();
          if (job.status === "done") break;
          assert.ok(
            job.status === "queued" || job.status === "running",
            `job ${id}: ${job.status} ${job.error ?? ""}`,
          );
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const listed = new Set(
        (await (await fetch(`${server.base}/api/jobs`)).json()).map((j: { id: string }) => j.id),
      );
      for (const id of accepted) assert.ok(listed.has(id));
    } finally {
      await server.close();
    }
  },
});
