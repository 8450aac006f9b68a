/// <reference lib="deno.worker" />
/**
 * The thread a queue worker's forward passes run in. A forward pass never yields to the event loop;
 * on the worker's main thread it would stop BullMQ from renewing the job's lock, the lock would
 * expire mid-pass, and the finished result would be discarded while another worker (or this one)
 * started the job again. Here the main thread stays free: it renews locks and sends heartbeats while
 * this thread scores. The thread loads the models itself, so their weights exist once.
 *
 * @module
 */
import { loadModel } from "../model/load_model.ts";
import type { Model } from "../model/model.ts";
import { BackendError, selectBackend } from "../model/select_backend.ts";
import { modelHash } from "./model_hash.ts";
import { runJob } from "./run_job.ts";
import type { ThreadReply, ThreadRequest } from "./model_thread_protocol.ts";

const models = new Map<string, Model>();
const post = (m: ThreadReply) => self.postMessage(m);

self.onmessage = async (e: MessageEvent<ThreadRequest>) => {
  const m = e.data;
  if (m.type === "load") {
    try {
      const loaded = [];
      for (const spec of m.models) {
        const model = await loadModel(spec.path, {
          tokenizer: spec.tokenizer,
          spec: spec.spec,
          backend: await selectBackend(spec.backend ?? "auto").catch((e) => {
            throw new BackendError(`--backend: ${(e as Error).message}`, { field: "backend" });
          }),
        });
        const hash = modelHash(model);
        models.set(hash, model);
        loaded.push({ hash, source: model.source });
      }
      post({ type: "loaded", models: loaded });
    } catch (err) {
      post({ type: "load-failed", error: (err as Error).message });
    }
    return;
  }
  const model = models.get(m.hash);
  try {
    if (!model) throw new Error(`model ${m.hash.slice(0, 16)} is not loaded in this thread`);
    post({ type: "done", id: m.id, result: await runJob(model, m.hash, m.data) });
  } catch (err) {
    const error = err as Error;
    const permanent = error.name === "UnrecoverableError";
    post({
      type: "failed",
      id: m.id,
      error: error.message,
      permanent,
      ...(permanent ? {} : { stack: error.stack }),
    });
  }
};
