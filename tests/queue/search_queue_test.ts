/**
 * `search --queue` on a real redis-server with worker processes: a worker killed mid-search loses
 * nothing and the result is the in-process one; bad queue input fails fast with one line.
 */
import assert from "node:assert/strict";
import { cli, REDIS_SERVER, runCli, searchArgs, TestRedis, withQueue } from "./_redis.ts";

const SEARCH = searchArgs({ population: 8, generations: 3, seed: 7 }); // deno-fmt-ignore

type Result = {
  params: unknown;
  fitness: number;
  history: unknown;
  evaluations: { total: number };
  finalists: unknown[];
};
/** Scorings a search makes: its evaluations, then one re-score per finalist (each journaled once). */
const scorings = (r: Result) => r.evaluations.total + r.finalists.length;
const read = async (path: string) => JSON.parse(await Deno.readTextFile(path)) as Result;

/** The in-process result for SEARCH, computed once for the tests of this file. */
let localResult: Promise<Result> | undefined;
function inProcess(): Promise<Result> {
  return localResult ??= (async () => {
    const dir = await Deno.makeTempDir();
    const r = await runCli("search.ts", [...SEARCH, "--out", `${dir}/local.json`]);
    assert.equal(r.code, 0, r.stderr);
    const out = await read(`${dir}/local.json`);
    await Deno.remove(dir, { recursive: true });
    return out;
  })();
}

const sameResult = (q: Result, l: Result) => {
  assert.deepEqual(q.params, l.params);
  assert.equal(q.fitness, l.fitness);
  assert.deepEqual(q.history, l.history);
};

const journalLines = async (path: string) => (await Deno.readTextFile(path)).trim().split("\n").length - 1;
const until = async (cond: () => boolean | Promise<boolean>) => {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 20));
};

type Workers = Parameters<Parameters<typeof withQueue>[1]>[1];

/** A test of a queued search: a temp dir, the in-process result, Redis and `n` workers. */
function queueTest(
  name: string,
  n: number,
  fn: (o: { redis: TestRedis; workers: Workers; dir: string; local: Result }) => Promise<void>,
) {
  Deno.test({
    name,
    ignore: !REDIS_SERVER,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const dir = await Deno.makeTempDir();
      const local = await inProcess();
      try {
        await withQueue(n, (redis, workers) => fn({ redis, workers, dir, local }));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

queueTest(
  "search --queue: 2 workers, one SIGKILLed mid-search → the job is redelivered, in-process result",
  2,
  async ({ redis, workers: [a, b], dir, local: l }) => {
    const search = runCli("search.ts", [...SEARCH, "--queue", redis.url, "--out", `${dir}/queue.json`]);
    // Kill worker a in the middle of its third job.
    await until(() => a.started().length >= 3);
    a.proc.kill("SIGKILL");
    assert.equal((await a.proc.status).signal, "SIGKILL");
    await a.drained; // every line it wrote before dying
    const cut = a.started().filter((id) => !a.finished().includes(id));
    assert.equal(cut.length, 1, "worker a finished its job before the kill landed");
    const remote = await search;
    assert.equal(remote.code, 0, remote.stderr);
    sameResult(await read(`${dir}/queue.json`), l);
    // Every candidate is journaled once, whoever scored it and however often it was delivered.
    assert.equal(await journalLines(`${dir}/queue.journal.jsonl`), scorings(l));
    // The job cut short was delivered again, to b.
    assert.ok(b.finished().includes(cut[0]), `job ${cut[0]} was not redelivered`);
  },
);

Deno.test({
  name: "search --queue: unreachable URL, wrong password, no worker for the model → one line, exit 1, fast",
  ignore: !REDIS_SERVER,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const redis = await new TestRedis(undefined, "s3cret").start();
    try {
      const cases: [string, RegExp][] = [
        [
          `redis://127.0.0.1:${new TestRedis().port}`,
          /queue redis:\/\/127\.0\.0\.1:\d+: .*(ECONNREFUSED|refused)/i,
        ],
        [
          `redis://:wrong@127.0.0.1:${redis.port}`,
          /queue redis:\/\/\*\*\*@127\.0\.0\.1:\d+: authentication failed/,
        ],
        [
          redis.url,
          /no worker on redis:\/\/\*\*\*@127\.0\.0\.1:\d+ holds model [0-9a-f]{16} \(.*model\.bin\)/,
        ],
        ["http://127.0.0.1:1", /only redis:\/\/ .*URLs are supported/],
      ];
      for (const [url, want] of cases) {
        const r = await runCli("search.ts", [...SEARCH, "--queue", url, "--out", `${dir}/x.json`]);
        assert.equal(r.code, 1, url);
        const lines = r.stderr.trim().split("\n");
        assert.equal(lines.length, 1, r.stderr);
        assert.match(lines[0], /^error: /);
        assert.match(lines[0], want);
        assert.ok(!lines[0].includes("s3cret") && !lines[0].includes("wrong"), "password leaked");
        assert.ok(r.seconds < 15, `${url}: took ${r.seconds} s`);
        await Deno.remove(`${dir}/x.journal.jsonl`).catch(() => {});
      }
    } finally {
      await redis.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

queueTest(
  "search --queue: Redis restarted mid-search (jobs lost) → they are sent again, in-process result",
  1,
  async ({ redis, workers: [w], dir, local: l }) => {
    const search = runCli("search.ts", [...SEARCH, "--queue", redis.url, "--out", `${dir}/q.json`]);
    await until(() => w.jobs() >= 3);
    await redis.stop(); // no persistence: every job and result in Redis is gone
    await new Promise((r) => setTimeout(r, 500));
    await redis.start();
    const r = await search;
    assert.equal(r.code, 0, r.stderr);
    sameResult(await read(`${dir}/q.json`), l);
    assert.equal(await journalLines(`${dir}/q.journal.jsonl`), scorings(l));
  },
);

queueTest(
  "search --queue killed, then --resume: results that arrived meanwhile are used, nothing scored twice",
  1,
  async ({ redis, workers: [w], dir, local: l }) => {
    const args = [...SEARCH, "--queue", redis.url, "--out", `${dir}/q.json`, "--workers", "4"];
    const first = cli("search.ts", args, "null");
    await until(() => w.jobs() >= 3);
    first.kill("SIGKILL");
    await first.status;
    await first.stderr.cancel();
    const journaled = await journalLines(`${dir}/q.journal.jsonl`);
    // The jobs in flight at the kill are finished by the worker while no search listens.
    await until(() => w.jobs() > journaled);
    const r = await runCli("search.ts", [...args, "--resume"]);
    assert.equal(r.code, 0, r.stderr);
    sameResult(await read(`${dir}/q.json`), l);
    assert.equal(w.jobs(), scorings(l), "a job was scored twice");
  },
);
