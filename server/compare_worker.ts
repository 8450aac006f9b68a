/// <reference lib="deno.worker" />
/**
 * Runs comparisons off the server's main thread. A forward pass never yields to the event loop, so
 * in the main thread it would stall every other request and every SSE write until it finished.
 * Cancellation therefore cannot arrive as a message either: the host sets a flag in shared memory,
 * and the progress callback (called after every window) aborts compare's signal and throws.
 *
 * Models and tokenised texts are cached between jobs (the worker lives as long as the server).
 *
 * @module
 */
import { CONFIG_ENTRY } from "../strategies/config_rope.ts";
import { resolveEntry } from "../entries/mod.ts";
import { compare, type CompareOptions } from "../compare/compare.ts";
import { defaultLengths } from "../compare/defaults.ts";
import { modelHash } from "../queue/model_hash.ts";
import { compareOnQueue } from "../queue/queue_compare.ts";
import { QueueScorer } from "../queue/queue_scorer.ts";
import type { ResolvedEntry } from "../entries/mod.ts";
import { type Corpus, loadCorpus } from "../eval/corpus.ts";
import { NEEDLE_TEMPLATES } from "../eval/needle.ts";
import { resolveHfDatasetFile } from "../model/hub.ts";
import { loadModel } from "../model/load_model.ts";
import type { Model } from "../model/model.ts";
import { builtinRegistry } from "../strategies/registry.ts";
import type { Strategy } from "../strategies/types.ts";
import type { CompareJobSpec, JobStrategy } from "./compare_job.ts";
import type { HostMessage, WorkerMessage } from "./worker_protocol.ts";

const models = new Map<string, Promise<Model>>();
const corpora = new Map<string, Promise<Corpus>>();
const registry = builtinRegistry();
/** Replies to plugin table requests, by request id. */
const pendingTables = new Map<number, { resolve: (t: unknown) => void; reject: (e: Error) => void }>();
let nextTableId = 0;

const post = (m: WorkerMessage) => self.postMessage(m);

/** Called at every progress event of a job, before it is posted (see {@linkcode setProgressHook}). */
let progressHook: ((spec: CompareJobSpec) => void) | undefined;

/**
 * Installs a function called at every progress event of a job. The shipped server installs none;
 * a test's own worker entry (tests/server/_crash_worker.ts) imports this module and installs one
 * that kills the process, as a native kernel's fault would.
 */
export function setProgressHook(hook: (spec: CompareJobSpec) => void): void {
  progressHook = hook;
}

function modelFor(source: string): Promise<Model> {
  let m = models.get(source);
  if (!m) {
    m = loadModel(source);
    m.catch(() => models.delete(source)); // a failed load may succeed later (file fixed)
    models.set(source, m);
  }
  return m;
}

/** With `serve --queue`: one queue scorer per model, kept like the models. */
const scorers = new Map<Model, Promise<QueueScorer>>();
function scorerFor(url: string, model: Model): Promise<QueueScorer> {
  let s = scorers.get(model);
  if (!s) {
    s = QueueScorer.open(url, modelHash(model), { modelLabel: model.source });
    s.catch(() => scorers.delete(model)); // no worker yet: the next job looks again
    scorers.set(model, s);
  }
  return s;
}

function corpusFor(model: Model, modelSource: string, textSource: string): Promise<Corpus> {
  const key = `${modelSource}\n${textSource}`;
  let c = corpora.get(key);
  if (!c) {
    c = (async () => {
      const path = textSource.startsWith("hf-dataset:") ? await resolveHfDatasetFile(textSource) : textSource;
      return loadCorpus(path, model.tokenizer);
    })();
    c.catch(() => corpora.delete(key));
    corpora.set(key, c);
  }
  return c;
}

/**
 * Plugin strategies live in the host (their sandbox is a process it owns): their tables are asked
 * for by message. Awaiting the reply lets this worker's event loop turn, so it does not deadlock.
 */
function pluginProxy(s: JobStrategy): Strategy {
  return {
    apiVersion: 1,
    name: s.name,
    version: "plugin",
    description: "plugin strategy (tables computed by the server's sandbox)",
    params: s.paramSpace ?? {},
    table: (spec, ctx, params) =>
      new Promise((resolve, reject) => {
        const id = nextTableId++;
        pendingTables.set(id, { resolve: resolve as (t: unknown) => void, reject });
        post({ type: "table", id, name: s.name, plugin: s.plugin, spec, ctx, params });
      }) as ReturnType<Strategy["table"]>,
  };
}

async function run(message: Extract<HostMessage, { type: "run" }>): Promise<void> {
  const { spec } = message;
  const cancelled = new Int32Array(message.cancelFlag);
  const controller = new AbortController();
  try {
    const model = await modelFor(spec.modelSource);
    const corpus = await corpusFor(model, spec.modelSource, spec.textSource);
    const L0 = model.spec.originalContext;
    const entries: ResolvedEntry[] = await Promise.all(spec.strategies.map(async (s) => {
      if (s.name === CONFIG_ENTRY) {
        // The model's declared scaling, with the request's parameters over its own: known only now.
        return await resolveEntry(
          { name: CONFIG_ENTRY, params: s.params, label: s.label },
          { registry, configRope: model.configRope },
        );
      }
      return {
        label: s.label,
        strategy: registry.has(s.name) ? registry.get(s.name) : pluginProxy(s),
        params: s.params,
      };
    }));
    const options: CompareOptions = {
      model,
      modelName: spec.model,
      strategies: entries,
      corpus,
      lengths: spec.lengths ?? defaultLengths(L0),
      target: spec.target,
      metrics: spec.metrics,
      samples: spec.samples,
      seed: spec.seed,
      template: spec.template === undefined ? undefined : NEEDLE_TEMPLATES[spec.template],
      digits: spec.digits,
      depths: spec.depths,
      reference: spec.reference,
      signal: controller.signal,
      onProgress: (event) => {
        // Throwing here stops the evaluation in its current window; compare's own signal checks
        // only run between evaluations, which can be minutes apart.
        if (Atomics.load(cancelled, 0) !== 0) {
          controller.abort(new Error("cancelled"));
          throw controller.signal.reason;
        }
        progressHook?.(spec);
        post({ type: "progress", event });
      },
    };
    let report;
    if (message.queueUrl) {
      // Waiting on queue workers, this thread's event loop is free and no progress comes while every
      // worker is gone: the flag is watched here, and the abort reaches the queue scorer's waits.
      const watch = setInterval(() => {
        if (Atomics.load(cancelled, 0) !== 0) controller.abort(new Error("cancelled"));
      }, 100);
      try {
        report = await compareOnQueue(options, await scorerFor(message.queueUrl, model));
      } finally {
        clearInterval(watch);
      }
    } else report = await compare(options);
    post({ type: "done", report });
  } catch (e) {
    post({ type: "failed", error: (e as Error).message ?? String(e), cancelled: controller.signal.aborted });
  }
}

self.onmessage = (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  if (m.type === "run") run(m);
  else if (m.type === "table-reply") {
    const pending = pendingTables.get(m.id);
    pendingTables.delete(m.id);
    if (m.error !== undefined) pending?.reject(new Error(m.error));
    else pending?.resolve(m.table);
  }
};
