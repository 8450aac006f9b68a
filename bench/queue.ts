/**
 * `deno task bench:queue`: what the job queue costs and buys on this machine. Starts its own
 * redis-server on a free loopback port and reports
 *
 * 1. evaluations/s of one small LongRoPE2 search on models/facts837K in-process and with 1 and 2
 *    worker processes (`--max-workers 4` adds 4), and whether each gives the in-process result;
 * 2. the queue's overhead per job: round trip of tiny jobs (one 8-token document) minus the time the
 *    worker spent in the model, against the evaluation time of one search candidate.
 *
 *   deno task bench:queue [--json] [--max-workers 2] [--jobs 100]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { loadModel } from "../model/load_model.ts";
import { modelHash } from "../queue/model_hash.ts";
import { QueueScorer } from "../queue/queue_scorer.ts";
import { buildTable, builtinRegistry } from "../strategies/registry.ts";
import {
  MODEL,
  REDIS_SERVER,
  runCli,
  searchArgs,
  startWorker,
  TestRedis,
  TEXT,
} from "../tests/queue/_redis.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    json: { type: "boolean" },
    "max-workers": { type: "string", default: "2" },
    jobs: { type: "string", default: "100" },
  },
});
if (!REDIS_SERVER) {
  console.error("error: redis-server is not installed (apt-get install redis-server)");
  Deno.exit(1);
}
const maxWorkers = Number(args["max-workers"]);
const SEARCH = searchArgs({ population: 16, generations: 2, seed: 0 }); // deno-fmt-ignore

interface Row {
  evaluator: string;
  evaluations: number;
  seconds: number;
  evalsPerSecond: number;
  sameAsInProcess: boolean;
}
type Result = { params: unknown; fitness: number; evaluations: { total: number }; elapsed_seconds: number };

const dir = await Deno.makeTempDir();
const redis = await new TestRedis().start();
const rows: Row[] = [];
let reference: Result | undefined;
try {
  for (const n of [0, 1, 2, 4].filter((n) => n <= maxWorkers)) {
    // Results stay in Redis (a repeated search reuses them): each run starts from an empty one.
    await redis.stop();
    await redis.start();
    const workers = await Promise.all(
      Array.from({ length: n }, (_, i) => startWorker(redis.url, ["--id", `w${i}`])),
    );
    const out = `${dir}/search_${n}.json`;
    const r = await runCli("search.ts", [...SEARCH, "--out", out, ...(n ? ["--queue", redis.url] : [])]);
    for (const w of workers) {
      w.proc.kill("SIGTERM");
      await w.proc.status;
    }
    if (r.code !== 0) throw new Error(`search with ${n} workers failed: ${r.stderr}`);
    const res = JSON.parse(await Deno.readTextFile(out)) as Result;
    reference ??= res;
    rows.push({
      evaluator: n ? `${n} worker${n > 1 ? "s" : ""}` : "in-process",
      evaluations: res.evaluations.total,
      seconds: res.elapsed_seconds,
      evalsPerSecond: res.evaluations.total / res.elapsed_seconds,
      sameAsInProcess: res.fitness === reference.fitness &&
        JSON.stringify(res.params) === JSON.stringify(reference.params),
    });
    if (!args.json) {
      console.error(`${rows.at(-1)!.evaluator}: ${rows.at(-1)!.evalsPerSecond.toFixed(2)} evaluations/s`);
    }
  }

  // Overhead: tiny jobs one after another through one worker; each differs so none is deduplicated.
  const model = await loadModel(MODEL);
  const w = await startWorker(redis.url, ["--id", "overhead"]);
  const scorer = await QueueScorer.open(redis.url, modelHash(model));
  const jobs = Number(args.jobs);
  const yarn = builtinRegistry().get("yarn");
  try {
    for (let i = 0; i < jobs; i++) {
      const table = await buildTable(yarn, model.spec, { targetLength: 512 + i }, {});
      await scorer.score(() => Promise.resolve(table), [{ ids: [1, 5, 6, 7, 8, 9, 10, 11] }]);
    }
  } finally {
    await scorer.close();
    w.proc.kill("SIGTERM");
    await w.proc.status;
  }
  const overheadMs = (scorer.roundTripSeconds - scorer.workerSeconds) / scorer.received * 1000;
  const evalMs = 1000 / rows[0].evalsPerSecond;
  const report = {
    machine: `${navigator.hardwareConcurrency} logical CPUs (shared)`,
    search: SEARCH.join(" ").replace(MODEL, "models/facts837K/model.bin").replace(
      TEXT,
      "models/facts837K/eval.txt",
    ),
    rows,
    overhead: {
      jobs: scorer.received,
      roundTripMs: scorer.roundTripSeconds / scorer.received * 1000,
      workerModelMs: scorer.workerSeconds / scorer.received * 1000,
      overheadMsPerJob: overheadMs,
      inProcessEvaluationMs: evalMs,
      overheadFraction: overheadMs / evalMs,
    },
  };
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`search: ${report.search}`);
    console.log("| evaluator | evaluations | seconds | evaluations/s | same result as in-process |");
    console.log("| --- | ---: | ---: | ---: | --- |");
    for (const r of rows) {
      console.log(
        `| ${r.evaluator} | ${r.evaluations} | ${r.seconds.toFixed(2)} | ${r.evalsPerSecond.toFixed(2)} | ${
          r.sameAsInProcess ? "yes" : "NO"
        } |`,
      );
    }
    const o = report.overhead;
    console.log(
      `queue overhead: ${o.overheadMsPerJob.toFixed(2)} ms per job (round trip ${
        o.roundTripMs.toFixed(2)
      } ms − ` +
        `worker model time ${o.workerModelMs.toFixed(2)} ms, ${o.jobs} jobs) = ` +
        `${(o.overheadFraction * 100).toFixed(1)}% of one in-process evaluation (${
          o.inProcessEvaluationMs.toFixed(0)
        } ms)`,
    );
  }
} finally {
  await redis.stop();
  await Deno.remove(dir, { recursive: true });
}
