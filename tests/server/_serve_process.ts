/**
 * `cli/serve.ts` as a user runs it: a real server process on a free loopback port, serving the
 * in-repo default model (models/facts837K), that tests can kill with SIGKILL and start again.
 */
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SERVE = fileURLToPath(new URL("../../cli/serve.ts", import.meta.url));
/** The default model's evaluation text, named so that $ROPEKIT_TEXT in the test's env changes nothing. */
const EVAL_TEXT = fileURLToPath(new URL("../../models/facts837K/eval.txt", import.meta.url));

/** A running server process. */
export interface ServeProcess {
  base: string;
  child: Deno.ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr: () => string;
  /** Resolves with its exit status (after SIGKILL, or when a crash ends it). */
  status: Promise<Deno.CommandStatus>;
  /** SIGKILL, then waits for the exit. */
  kill: () => Promise<Deno.CommandStatus>;
}

/** How {@linkcode startServe} runs the server besides its flags. */
export interface ServeOptions {
  /** Lowers the process's open-file limit (soft and hard) with prlimit, as `ulimit -n` would. */
  nofile?: number;
  /** Another entry module than cli/serve.ts (a test entry that injects a hook). */
  entry?: string;
}

/** Starts `deno run cli/serve.ts --port <port> --data-dir <dataDir> …args` and waits for its address. */
export async function startServe(
  dataDir: string,
  args: string[] = [],
  env: Record<string, string> = {},
  port = 0,
  opts: ServeOptions = {},
): Promise<ServeProcess> {
  // prlimit execs the command, so the child's pid is the server's own (SIGKILL reaches it).
  const limit = opts.nofile === undefined ? [] : [`--nofile=${opts.nofile}`, Deno.execPath()];
  const child = new Deno.Command(opts.nofile === undefined ? Deno.execPath() : "prlimit", {
    args: [
      ...limit,
      "run",
      "--allow-ffi=.build",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-net=127.0.0.1",
      opts.entry ?? SERVE,
      "--port",
      String(port),
      "--data-dir",
      dataDir,
      "--text",
      EVAL_TEXT,
      ...args,
    ],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let err = "";
  const errDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (err += chunk) }),
  );
  const status = child.status.then(async (s) => {
    await errDone.catch(() => {});
    return s;
  });
  // The first stdout line names the address; the rest is drained so the pipe never fills.
  const lines = child.stdout.pipeThrough(new TextDecoderStream());
  const reader = lines.getReader();
  let out = "";
  let base: string | undefined;
  const deadline = setTimeout(() => child.kill("SIGKILL"), 120_000); // the first start bundles the page
  try {
    while (base === undefined) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the server exited before listening:\n${err}`);
      out += value;
      base = /open (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
    }
  } finally {
    clearTimeout(deadline);
  }
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  return {
    base,
    child,
    stderr: () => err,
    status,
    kill: async () => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      return await status;
    },
  };
}

/** Polls `GET /api/jobs/:id` until `done(job)` holds (or fails after `ms`). */
export async function waitForJob(
  base: string,
  id: string,
  done: (job: { status: string }) => boolean,
  ms = 120_000,
): Promise<Record<string, unknown> & { status: string }> {
  const end = Date.now() + ms;
  while (true) {
    const job = await (await fetch(`${base}/api/jobs/${id}`)).json();
    if (done(job)) return job;
    if (Date.now() > end) throw new Error(`job ${id} is still ${job.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A report without what differs from run to run (its creation time and durations). */
export function stable(report: unknown): unknown {
  return JSON.parse(JSON.stringify(report, (k, v) => (k === "created" || k === "seconds" ? undefined : v)));
}
