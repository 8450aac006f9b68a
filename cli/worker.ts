/**
 * `deno task worker`: a long-running queue worker. Loads each model once, advertises it by content
 * hash and scores the jobs searches and comparisons send for it, until SIGINT/SIGTERM.
 *
 *   deno task worker --queue redis://[:password@]host:port[/db] --model M [--model M2]...
 *
 * @module
 */
import { startWorker } from "../queue/worker.ts";
import { modelHash } from "../queue/model_hash.ts";
import { redactUrl } from "../queue/connection.ts";
import {
  CliError,
  loadModelFromFlags,
  MODEL_OPTIONS,
  MODEL_USAGE,
  parseFlags,
  required,
  runCommand,
} from "./args.ts";

const USAGE = `Usage: deno task worker --queue URL --model M [--model M2]... [options]

  --queue URL            redis://[:password@]host:port[/db] — the Redis that searches send jobs to
  --model M              a model to hold (repeatable); jobs name models by content hash, so the
                         search must load the same files with the same overrides
  --lock-seconds N       a job held by a worker that stops answering is given to another after
                         about N seconds (default 30; keep it above one document's forward pass)
  --id NAME              this worker's name in logs and results (default host:pid)
  --verbose              a line when each job starts and ends, on stderr
${MODEL_USAGE}`;

const OPTIONS = {
  ...MODEL_OPTIONS,
  model: { type: "string", multiple: true },
  queue: { type: "string" },
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
  const models = [];
  for (const path of paths) {
    const model = await loadModelFromFlags({ ...v, model: path });
    models.push({ model, hash: modelHash(model) });
  }
  let jobs = 0;
  const worker = await startWorker({
    url,
    models,
    id: v.id as string | undefined,
    lockSeconds: lock,
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
      }
    },
  });
  for (const { model, hash } of models) {
    console.log(`worker ${worker.id} ready: model ${hash} (${model.source}) on ${redactUrl(url)}`);
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
