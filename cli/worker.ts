/**
 * `deno task worker`: a long-running queue worker. Loads each model once, advertises it by content
 * hash and scores the jobs searches and comparisons send for it, until SIGINT/SIGTERM.
 *
 *   deno task worker --queue redis://[:password@]host:port[/db] --model M [--model M2]...
 *
 * @module
 */
import { startWorker } from "../queue/worker.ts";
import { QueueError, redactUrl } from "../queue/connection.ts";
import {
  CliError,
  MODEL_OPTIONS,
  MODEL_USAGE,
  modelOptionsFromFlags,
  parseFlags,
  required,
  runCommand,
} from "./args.ts";
import { QUEUE_USAGE, secretFromFlags } from "./queue_option.ts";

const USAGE = `Usage: deno task worker --queue URL --model M [--model M2]... [options]

  --queue URL            redis://[:password@]host:port[/db] — the Redis that searches send jobs to
  --model M              a model to hold (repeatable); jobs name models by content hash, so the
                         search must load the same files with the same overrides
  --lock-seconds N       a job held by a worker that stops answering is given to another after
                         about N seconds (default 30; forward passes run in a thread of their own,
                         so the lock is renewed while they run, however long they take)
  --id NAME              this worker's name in logs and results (default host:pid)
  --verbose              a line when each job starts and ends, on stderr
${QUEUE_USAGE}
${MODEL_USAGE}`;

const OPTIONS = {
  ...MODEL_OPTIONS,
  model: { type: "string", multiple: true },
  queue: { type: "string" },
  secret: { type: "string" },
  "lock-seconds": { type: "string" },
  id: { type: "string" },
  verbose: { type: "boolean" },
} as const;

async function main() {
  const v = parseFlags(Deno.args, OPTIONS);
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const url = required(v, "queue");
  const paths = (v.model as string[] | undefined) ?? [];
  if (paths.length === 0) throw new CliError("--model is required (at least one)");
  const lock = v["lock-seconds"] === undefined ? 30 : Number(v["lock-seconds"]);
  if (!Number.isFinite(lock) || lock < 1) throw new CliError(`--lock-seconds must be a number ≥ 1`);
  const secret = secretFromFlags(v);
  // The models are loaded by the worker's model thread, which runs the forward passes.
  const models = paths.map((path) => modelOptionsFromFlags({ ...v, model: path }));
  let jobs = 0;
  const worker = await startWorker({
    url,
    models,
    id: v.id as string | undefined,
    lockSeconds: lock,
    secret,
    onStart: (e) => {
      if (v.verbose) console.error(`start job ${e.jobId.slice(0, 12)} model ${e.hash.slice(0, 16)}`);
    },
    onJob: (e) => {
      jobs++;
      if (v.verbose || e.error) {
        console.error(
          `${e.error ? "failed" : "done"} job ${e.jobId.slice(0, 12)} model ${e.hash.slice(0, 16)} ` +
            `in ${e.seconds.toFixed(3)} s${e.error ? `: ${e.error}` : ""}`,
        );
        // Not the job's fault: a bug or a passing fault (BullMQ retries it); where it happened helps.
        if (e.stack) console.error(e.stack);
      }
    },
  }).catch((e) => Promise.reject(e instanceof QueueError ? new CliError(e.message) : e));
  for (const { hash, source } of worker.models) {
    console.log(
      `worker ${worker.id} ready: model ${hash} (${source}) on ${redactUrl(url)}` +
        (secret === undefined ? " (no secret: jobs and results are not signed)" : " (signed jobs only)"),
    );
  }
  const stop = new Promise<void>((resolve) => {
    for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => resolve());
  });
  await stop;
  // Finishes the job in hand, then leaves; a job cut short is taken over by another worker.
  await worker.close();
  console.log(`worker ${worker.id} stopped after ${jobs} jobs`);
  Deno.exit(0);
}

if (import.meta.main) runCommand(main);
