/** Test helpers: a real redis-server on a free loopback port, and ropekit CLI subprocesses. */

export const ROOT = new URL("../../", import.meta.url).pathname;
export const MODEL = `${ROOT}models/facts837K/model.bin`;
export const TEXT = `${ROOT}models/facts837K/eval.txt`;

/** The redis-server binary, or undefined (tests that need it are ignored with this reason printed). */
export const REDIS_SERVER = (() => {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/redis-server`).isFile) return `${dir}/redis-server`;
    } catch { /* not here */ }
  }
  console.log("SKIP queue tests: redis-server is not installed (apt-get install redis-server)");
  return undefined;
})();

/** A port nothing listens on right now. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A redis-server of this test, without persistence; `restart` keeps the port. */
export class TestRedis {
  #proc?: Deno.ChildProcess;
  constructor(readonly port = freePort(), readonly password?: string) {}

  get url(): string {
    return `redis://${this.password ? `:${this.password}@` : ""}127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const args = ["--port", `${this.port}`, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
    if (this.password) args.push("--requirepass", this.password);
    this.#proc = new Deno.Command(REDIS_SERVER!, { args, stdout: "null", stderr: "null" }).spawn();
    for (let i = 0; i < 100; i++) {
      try {
        const c = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
        c.close();
        return this;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  async stop(): Promise<void> {
    if (!this.#proc) return;
    this.#proc.kill("SIGKILL");
    await this.#proc.status;
    this.#proc = undefined;
  }
}

const FLAGS = [
  "--allow-ffi=.build",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-run",
  "--allow-sys",
];

/** A CLI command as a subprocess in the repo root. */
export function cli(file: string, args: string[], stdout: "piped" | "null" = "piped"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...FLAGS, `cli/${file}`, ...args],
    cwd: ROOT,
    stdout,
    stderr: "piped",
  }).spawn();
}

/** A worker process, resolved once it says it is ready; `lines` collects its stderr job log. */
export async function startWorker(url: string, extra: string[] = []) {
  // A short lock unless the test names one ("--lock-seconds default" leaves the worker's default).
  const lock = extra.indexOf("--lock-seconds");
  const lockArgs = lock < 0
    ? ["--lock-seconds", "2"]
    : extra[lock + 1] === "default"
    ? []
    : extra.slice(lock, lock + 2);
  if (lock >= 0) extra = [...extra.slice(0, lock), ...extra.slice(lock + 2)];
  const proc = cli("worker.ts", ["--queue", url, "--model", MODEL, ...lockArgs, "--verbose", ...extra]);
  const log: string[] = [];
  // Drain stderr so the worker never blocks on a full pipe; count the jobs it finished.
  const drained = (async () => {
    for await (const chunk of proc.stderr.pipeThrough(new TextDecoderStream())) log.push(chunk);
  })();
  const reader = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`worker exited before it was ready: ${log.join("")}`);
    out += value;
  }
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  const ids = (kind: "start" | "done") =>
    log.join("").split("\n").filter((l) => l.startsWith(`${kind} job `)).map((l) => l.split(" ")[2]);
  return {
    proc,
    jobs: () => ids("done").length,
    started: () => ids("start"),
    finished: () => ids("done"),
    log,
    drained,
  };
}

/** Runs a command to completion: exit code, stdout, stderr and seconds taken. */
export async function runCli(file: string, args: string[]) {
  const t0 = performance.now();
  const { code, stdout, stderr } = await cli(file, args).output();
  const dec = new TextDecoder();
  return {
    code,
    stdout: dec.decode(stdout),
    stderr: dec.decode(stderr),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The report without wall times. */
export function numbers(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(numbers);
  if (x && typeof x === "object") {
    return Object.fromEntries(
      Object.entries(x).filter(([k]) => k !== "seconds" && k !== "created").map(([k, v]) => [k, numbers(v)]),
    );
  }
  return x;
}

/** Arguments of a small LongRoPE2 search on the default model (needle fitness, 4 documents of 1,024 tokens). */
export function searchArgs(o: { population: number; generations: number; seed: number }): string[] {
  return [
    ...["--strategy", "longrope2", "--model", MODEL, "--target", "1024", "--text", TEXT, "--samples", "4"],
    ...[
      "--population",
      `${o.population}`,
      "--generations",
      `${o.generations}`,
      "--seed",
      `${o.seed}`,
      "--quiet",
    ],
  ];
}

type TestWorker = Awaited<ReturnType<typeof startWorker>>;

/** Runs `fn` with a fresh redis-server and `n` workers (killed first), then stops them all. */
export async function withQueue<T>(
  n: number,
  fn: (redis: TestRedis, workers: TestWorker[]) => Promise<T>,
): Promise<T> {
  const redis = await new TestRedis().start();
  const workers: TestWorker[] = [];
  try {
    for (let i = 0; i < n; i++) workers.push(await startWorker(redis.url, ["--id", `w${i}`]));
    return await fn(redis, workers);
  } finally {
    for (const w of workers) {
      try {
        w.proc.kill("SIGTERM");
      } catch { /* already gone (a test killed it) */ }
      await w.proc.status;
    }
    await redis.stop();
  }
}
