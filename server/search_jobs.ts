/**
 * Search jobs for the web page: `deno task search` run as a child process per job, with its journal
 * and result in `<data>/searches/<id>/`. The journal is what makes a job survive the server: a start
 * finds the jobs that were running, stops a child the dead server left behind, and runs the search
 * again with `--resume` (nothing evaluated twice). Progress — best fitness per generation with its
 * standard error, the best candidate's critical index, an ETA — is read from the journal and the
 * child's progress lines, never computed a second way.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseJournal } from "../search/journal.ts";
import type { SearchResultFile } from "../search/result.ts";
import { DEFAULT_EVOLUTION } from "../search/evolution.ts";
import { parseBudget } from "../search/budget.ts";
import type { GenerationPoint, SearchOutcome, SearchRecord, SearchRequest } from "../compare/api_records.ts";
import { BusyError } from "./busy_error.ts";
import type { CatalogEntry } from "./catalog.ts";
import { ValidationError } from "./schema.ts";
import type { Schema } from "./schema.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SEARCH_CLI = join(ROOT, "cli", "search.ts");
/** Job ids are UUIDs: checked before any id reaches a path. */
const SEARCH_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** How often a running search's journal is read. */
const POLL_MS = 300;
/** A search restarted this often without finishing is failed instead of being started again. */
const MAX_RESTARTS = 3;
/** Searches that run at once: each is a `deno` process that keeps a core busy. */
export const MAX_RUNNING_SEARCHES = 2;
/** Searches that may wait for a free slot; one more is refused with 429. */
export const MAX_WAITING_SEARCHES = 4;
/** The most evaluations (population × (generations + 1) × seeds) a search may plan without a budget. */
export const MAX_SEARCH_EVALUATIONS = 20_000;
/** The longest time budget a search may ask for. */
export const MAX_SEARCH_SECONDS = 24 * 3600;
/** What a refused search is told to wait, in seconds. */
const SEARCH_RETRY_AFTER_S = 30;

/** Every search slot and waiting place is taken: the route answers 429 with Retry-After. */
export class SearchesFullError extends BusyError {
  override name = "SearchesFullError";
  constructor() {
    super(
      `${MAX_RUNNING_SEARCHES} searches are running and ${MAX_WAITING_SEARCHES} waiting; ` +
        `retry in about ${SEARCH_RETRY_AFTER_S} s or cancel one`,
      SEARCH_RETRY_AFTER_S,
    );
  }
}

/**
 * What the schema cannot say: a budget the search can parse and that ends within a day, and a loop
 * that ends within {@linkcode MAX_SEARCH_EVALUATIONS} unless an evaluation budget stops it sooner.
 */
export function checkSearchBounds(req: SearchRequest): void {
  let budget;
  try {
    budget = req.budget === undefined ? undefined : parseBudget(req.budget);
  } catch (e) {
    throw new ValidationError("budget", (e as Error).message);
  }
  if (budget?.seconds !== undefined && budget.seconds > MAX_SEARCH_SECONDS) {
    throw new ValidationError("budget", `a time budget is at most ${MAX_SEARCH_SECONDS / 3600}h`);
  }
  const seeds = req.seeds ?? 1;
  if (budget?.evaluations !== undefined && budget.evaluations * seeds <= MAX_SEARCH_EVALUATIONS) return;
  const planned = (req.population ?? DEFAULT_EVOLUTION.population) *
    ((req.generations ?? DEFAULT_EVOLUTION.generations) + 1) * seeds;
  if (planned > MAX_SEARCH_EVALUATIONS && budget?.seconds === undefined) {
    throw new ValidationError(
      "generations",
      `population × (generations + 1) × seeds is ${planned}, over ${MAX_SEARCH_EVALUATIONS}; ` +
        "lower one or set a budget",
    );
  }
}

/** The request body's schema (validated before a job exists). */
export const searchRequestSchema: Schema = {
  type: "object",
  required: ["model", "strategy", "target"],
  additionalProperties: false,
  properties: {
    model: { type: "string", maxLength: 500 },
    text: { type: "string", maxLength: 500 },
    strategy: { type: "string", maxLength: 64, pattern: "^[a-z][a-z0-9_-]*$" },
    target: { type: "integer", minimum: 2, maximum: 65536 },
    budget: { type: "string", maxLength: 16, pattern: "^[0-9]+(\\.[0-9]+)?(s|m|h)?$" },
    seeds: { type: "integer", minimum: 1, maximum: 8 },
    seed: { type: "integer", minimum: 0, maximum: 2 ** 31 - 1 },
    population: { type: "integer", minimum: 2, maximum: 256 },
    generations: { type: "integer", minimum: 0, maximum: 200 },
    samples: { type: "integer", minimum: 1, maximum: 64 },
    text_range: {
      type: "array",
      items: { type: "number", minimum: 0, maximum: 1 },
      minItems: 2,
      maxItems: 2,
    },
    finalists: { type: "integer", minimum: 1, maximum: 16 },
  },
};

/** Where the files of one search live, and what only the server sees. */
interface Private {
  modelSource: string;
  textSource: string;
  pid?: number;
}

const FINAL = ["done", "failed", "cancelled"];

/** The searches under one data directory. */
export class SearchJobs {
  readonly dir: string;
  #records = new Map<string, SearchRecord & { private: Private }>();
  #children = new Map<string, Deno.ChildProcess>();
  /** Ids waiting for one of the {@linkcode MAX_RUNNING_SEARCHES} slots, first come first served. */
  #waiting: string[] = [];
  /** The last pending record write of each search (see #save). */
  #saving = new Map<string, Promise<void>>();
  #listeners = new Set<() => void>();

  private constructor(dataDir: string) {
    this.dir = join(dataDir, "searches");
  }

  /** Loads the records; searches a stop or crash left running are started again with --resume. */
  static async open(dataDir: string): Promise<SearchJobs> {
    const jobs = new SearchJobs(dataDir);
    try {
      for await (const e of Deno.readDir(jobs.dir)) {
        if (!e.isDirectory || !SEARCH_ID.test(e.name)) continue;
        try {
          const rec = JSON.parse(await Deno.readTextFile(join(jobs.dir, e.name, "record.json")));
          jobs.#records.set(rec.id, rec);
        } catch (err) {
          console.error(`warning: skipping unreadable search ${e.name}: ${(err as Error).message}`);
        }
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    for (const rec of jobs.#records.values()) {
      if (FINAL.includes(rec.status)) continue;
      await stopOrphan(rec.private.pid, join(jobs.dir, rec.id));
      rec.restarts = (rec.restarts ?? 0) + (rec.status === "running" ? 1 : 0);
      if (rec.restarts > MAX_RESTARTS) {
        await jobs.#finish(rec, "failed", `the server stopped ${rec.restarts} times while it ran`);
      } else {
        // Back in line: a restart resumes them through the same slots as new searches.
        rec.status = "queued";
        delete rec.private.pid;
        jobs.#waiting.push(rec.id);
      }
    }
    jobs.#waiting.sort((a, b) => jobs.#records.get(a)!.created.localeCompare(jobs.#records.get(b)!.created));
    jobs.#pump();
    return jobs;
  }

  /** Every search, oldest first, as clients see it. */
  list(): SearchRecord[] {
    return [...this.#records.values()].map(publicRecord).sort((a, b) => a.created.localeCompare(b.created));
  }

  get(id: string): SearchRecord | undefined {
    const r = SEARCH_ID.test(id) ? this.#records.get(id) : undefined;
    return r && publicRecord(r);
  }

  /** Called on every change of any search (the SSE routes wait on it). */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts a search; the model and text ids are looked up in the catalog first (a 400 when unknown). */
  async submit(req: SearchRequest, models: CatalogEntry[], texts: CatalogEntry[]): Promise<SearchRecord> {
    checkSearchBounds(req);
    const model = models.find((m) => m.id === req.model);
    if (!model) throw new ValidationError("model", `no model ${JSON.stringify(req.model)} (GET /api/models)`);
    const text = req.text === undefined ? texts[0] : texts.find((t) => t.id === req.text);
    if (!text) throw new ValidationError("text", `no text ${JSON.stringify(req.text)} (GET /api/texts)`);
    if (req.text_range && !(req.text_range[0] < req.text_range[1])) {
      throw new ValidationError("text_range", "must be [A, B] with A < B");
    }
    // Counted before the first await, so a burst of requests cannot slip past the bound.
    const unfinished = [...this.#records.values()].filter((r) => !FINAL.includes(r.status)).length;
    if (unfinished >= MAX_RUNNING_SEARCHES + MAX_WAITING_SEARCHES) throw new SearchesFullError();
    const rec = {
      id: crypto.randomUUID(),
      kind: "search" as const,
      status: "queued" as const,
      request: { ...req, text: text.id },
      created: new Date().toISOString(),
      private: { modelSource: model.source, textSource: text.source },
    };
    this.#records.set(rec.id, rec);
    await Deno.mkdir(join(this.dir, rec.id), { recursive: true });
    await this.#save(rec);
    this.#waiting.push(rec.id);
    this.#pump();
    return publicRecord(rec);
  }

  /** Stops a search that has not ended; undefined when there is no such search. */
  async cancel(id: string): Promise<SearchRecord | undefined> {
    const rec = SEARCH_ID.test(id) ? this.#records.get(id) : undefined;
    if (!rec) return undefined;
    if (!FINAL.includes(rec.status)) {
      this.#waiting = this.#waiting.filter((w) => w !== id);
      await this.#finish(rec, "cancelled", "cancelled by a client");
      const child = this.#children.get(id);
      try {
        child?.kill("SIGKILL");
      } catch { /* already gone */ }
      // Answered once the process is gone: a delete that follows cannot race its last writes.
      await child?.status;
    }
    return publicRecord(rec);
  }

  /** Removes an ended search and its files; false when it is still running. */
  async remove(id: string): Promise<boolean | undefined> {
    const rec = SEARCH_ID.test(id) ? this.#records.get(id) : undefined;
    if (!rec) return undefined;
    if (!FINAL.includes(rec.status)) return false;
    this.#records.delete(id);
    this.#waiting = this.#waiting.filter((w) => w !== id);
    await this.#saving.get(id);
    this.#saving.delete(id);
    await Deno.remove(join(this.dir, id), { recursive: true }).catch(() => {});
    this.#emit();
    return true;
  }

  /** Stops the children (tests; a real stop leaves them for the next start to resume). */
  close(): void {
    for (const child of this.#children.values()) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    this.#children.clear();
  }

  /** Starts waiting searches while a slot is free. */
  #pump() {
    while (this.#children.size < MAX_RUNNING_SEARCHES && this.#waiting.length) {
      const rec = this.#records.get(this.#waiting.shift()!);
      if (rec && !FINAL.includes(rec.status)) this.#start(rec);
    }
  }

  #emit() {
    for (const l of this.#listeners) l();
  }

  /**
   * Writes the record; one write at a time per search, in call order, so a start's "running" can
   * never land after a cancel's "cancelled" (a restart would then resume a cancelled search).
   */
  #save(rec: SearchRecord & { private: Private }): Promise<void> {
    const dir = join(this.dir, rec.id);
    const write = async () => {
      const tmp = join(dir, `.record.${crypto.randomUUID()}.tmp`);
      await Deno.writeTextFile(tmp, JSON.stringify(rec, null, 1));
      await Deno.rename(tmp, join(dir, "record.json"));
    };
    const next = (this.#saving.get(rec.id) ?? Promise.resolve()).then(write, write);
    this.#saving.set(rec.id, next.catch(() => {}));
    return next;
  }

  async #finish(rec: SearchRecord & { private: Private }, status: SearchRecord["status"], error?: string) {
    if (FINAL.includes(rec.status)) return;
    rec.status = status;
    rec.finished = new Date().toISOString();
    if (error) rec.error = error;
    delete rec.private.pid;
    await this.#save(rec);
    this.#emit();
  }

  #start(rec: SearchRecord & { private: Private }) {
    const dir = join(this.dir, rec.id);
    // A search stopped before its first journal line was written starts afresh: --resume needs a journal.
    const resume = [...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".journal.jsonl"));
    const r = rec.request;
    const args = [
      "run",
      "--allow-ffi=.build",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-run",
      SEARCH_CLI,
      "--strategy",
      r.strategy,
      "--model",
      rec.private.modelSource,
      "--text",
      rec.private.textSource,
      "--target",
      String(r.target),
      "--out",
      join(dir, "result.json"),
      ...(r.budget ? ["--budget", r.budget] : []),
      ...(r.seeds ? ["--seeds", String(r.seeds)] : []),
      ...(r.seed !== undefined ? ["--seed", String(r.seed)] : []),
      ...(r.population ? ["--population", String(r.population)] : []),
      ...(r.generations !== undefined ? ["--generations", String(r.generations)] : []),
      ...(r.samples ? ["--samples", String(r.samples)] : []),
      ...(r.text_range ? ["--text-range", `${r.text_range[0]}:${r.text_range[1]}`] : []),
      ...(r.finalists ? ["--finalists", String(r.finalists)] : []),
      ...(resume ? ["--resume"] : []),
    ];
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#children.set(rec.id, child);
    rec.status = "running";
    rec.started ??= new Date().toISOString();
    rec.private.pid = child.pid;
    let stderr = "";
    const lines = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({
        write: (chunk) => {
          stderr = (stderr + chunk).slice(-8000);
          const last = stderr.trimEnd().split("\n").reverse().find((l) => /gen \d+\/\d+/.test(l));
          if (last) {
            rec.progress ??= { generations: [], evaluated: 0 };
            rec.progress.line = last.trim();
            rec.progress.eta = /eta (\S+)/.exec(last)?.[1];
          }
        },
      }),
    ).catch(() => {});
    const timer = setInterval(() => void this.#poll(rec).catch(() => {}), POLL_MS);
    this.#save(rec).then(() => this.#emit(), (e) => console.error(`warning: search ${rec.id}: ${e.message}`));
    child.status.then(async (status) => {
      clearInterval(timer);
      await lines;
      this.#children.delete(rec.id);
      this.#pump();
      if (FINAL.includes(rec.status)) return;
      await this.#poll(rec).catch(() => {});
      if (status.signal !== null) {
        // Stopped from outside (Ctrl-C reaches the whole process group, a shutdown, the OOM killer): it
        // stays "running" on disk, so the next start resumes it from its journal.
        rec.progress = {
          generations: [],
          evaluated: 0,
          ...rec.progress,
          line: `stopped by ${status.signal}; resumes when the server starts`,
        };
        this.#emit();
      } else if (status.success) {
        try {
          rec.result = await readOutcome(dir, r.seeds ?? 1, r.seed ?? 0);
          await this.#finish(rec, "done");
        } catch (e) {
          await this.#finish(rec, "failed", `no result file: ${(e as Error).message}`);
        }
      } else {
        const why = stderr.trim().split("\n").filter((l) => !/gen \d+\/\d+/.test(l)).pop() ??
          `exit ${status.code}`;
        await this.#finish(rec, "failed", why.slice(0, 500));
      }
    }).catch((e) => console.error(`warning: search ${rec.id}: ${(e as Error).message}`));
  }

  /** Reads the journals into the record's per-generation points. */
  async #poll(rec: SearchRecord & { private: Private }) {
    if (FINAL.includes(rec.status)) return;
    const dir = join(this.dir, rec.id);
    const points: GenerationPoint[] = [];
    let evaluated = 0;
    for await (const e of Deno.readDir(dir)) {
      const m = /^result(?:_seed(\d+))?\.journal\.jsonl$/.exec(e.name);
      if (!m) continue;
      const seed = m[1] === undefined ? rec.request.seed ?? 0 : Number(m[1]);
      let parsed;
      try {
        parsed = parseJournal(await Deno.readTextFile(join(dir, e.name)), e.name);
      } catch {
        continue; // not written yet
      }
      evaluated += parsed.entries.length;
      // The last generation is complete once the seed's result file is written; before, it is still filling.
      const resultFile = e.name.replace(/\.journal\.jsonl$/, ".json");
      const ended = await Deno.stat(join(dir, resultFile)).then(() => true, () => false);
      points.push(...generationPoints(parsed.entries, seed, ended));
    }
    points.sort((a, b) => a.seed - b.seed || a.generation - b.generation);
    const before = JSON.stringify(rec.progress?.generations);
    rec.progress = { ...rec.progress, generations: points, evaluated };
    if (JSON.stringify(points) !== before) {
      await this.#save(rec);
      this.#emit();
    }
  }
}

/**
 * The best-so-far per completed generation of one journal, with the best candidate's spread and critical
 * index. A generation is complete once the next one has begun, or, for the last, once `ended`.
 */
export function generationPoints(
  entries: { generation: number; fitness: number | null; genome: unknown; detail?: unknown }[],
  seed: number,
  ended: boolean,
): GenerationPoint[] {
  const out: GenerationPoint[] = [];
  let best: (typeof entries)[number] | undefined;
  const latest = Math.max(-1, ...entries.map((e) => e.generation));
  const last = ended ? latest : latest - 1;
  for (let g = 0; g <= last; g++) {
    for (const e of entries) {
      if (e.generation !== g || e.fitness === null || !Number.isFinite(e.fitness)) continue;
      if (!best || e.fitness < best.fitness!) best = e;
    }
    if (!best) continue;
    const detail = best.detail as { stderr?: number } | undefined;
    const genome = best.genome as { critical_index?: number } | undefined;
    out.push({
      seed,
      generation: g,
      best: best.fitness!,
      ...(typeof detail?.stderr === "number" ? { nll_stderr: detail.stderr } : {}),
      ...(typeof genome?.critical_index === "number" ? { critical_index: genome.critical_index } : {}),
    });
  }
  return out;
}

async function readOutcome(dir: string, seeds: number, firstSeed: number): Promise<SearchOutcome> {
  const files = seeds > 1
    ? Array.from(
      { length: seeds },
      (_, i) => ({ seed: firstSeed + i, file: `result_seed${firstSeed + i}.json` }),
    )
    : [{ seed: firstSeed, file: "result.json" }];
  const results: { seed: number; r: SearchResultFile }[] = [];
  for (const f of files) {
    results.push({ seed: f.seed, r: JSON.parse(await Deno.readTextFile(join(dir, f.file))) });
  }
  const best = results.reduce((a, b) => (b.r.fitness < a.r.fitness ? b : a));
  return {
    strategy: best.r.strategy,
    params: best.r.params,
    fitness: best.r.fitness,
    fitness_stderr: best.r.fitness_stderr,
    seeds: results.map(({ seed, r }) => ({ seed, fitness: r.fitness, fitness_stderr: r.fitness_stderr })),
  };
}

/**
 * A child the previous server left running on this search's files is stopped before the resume.
 * Read through `ps`: Deno refuses to read /proc without --allow-all, which the server does not have.
 */
async function stopOrphan(pid: number | undefined, dir: string): Promise<void> {
  if (pid === undefined) return;
  try {
    const cmdline = await commandLineOf(pid);
    if (cmdline === undefined || !cmdline.includes(dir)) return; // gone, or the pid was reused
    Deno.kill(pid, "SIGKILL");
    for (let i = 0; i < 50 && (await commandLineOf(pid)) !== undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    console.error(`warning: could not stop the search process ${pid} left running: ${(e as Error).message}`);
  }
}

/** The command line of a live process, or undefined when there is none (a zombie counts as gone). */
async function commandLineOf(pid: number): Promise<string | undefined> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "stat=,args=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  })
    .output();
  const line = new TextDecoder().decode(out.stdout).trim();
  if (!out.success || line === "" || line.startsWith("Z")) return undefined;
  return line.replace(/^\S+\s+/, "");
}

function publicRecord(r: SearchRecord & { private?: Private }): SearchRecord {
  const { private: _p, ...rest } = r;
  return rest;
}
