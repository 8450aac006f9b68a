/** Helpers of the server tests: a context on a temporary data dir, and a real listening server. */
import type { CompareReport } from "../../compare/compare.ts";
import { createApp } from "../../server/app.ts";
import type { CompareJobSpec } from "../../server/compare_job.ts";
import { openServerContext, type ServerContext, type ServerSettings } from "../../server/context.ts";
import { CancelledError, type JobRunner } from "../../server/worker_runner.ts";
import type { ProgressSink } from "../../util/progress.ts";

// The model and text the eval tests use: stories260K when the shared folder has it, else facts837K.
import { basename } from "node:path";
import { TEST_MODEL, TEST_TEXT } from "../eval/_shared.ts";
export { TEST_MODEL, TEST_TEXT };

/** The tiny comparison the job tests run (a few seconds). */
export const TINY_JOB = {
  model: basename(TEST_MODEL),
  strategies: ["default", "yarn"],
  lengths: [600],
  samples: 1,
  metrics: ["ppl"],
};

/**
 * A runner that finishes only when told to (or when aborted): lets queue tests hold the device busy
 * without running a model.
 */
export class HeldRunner implements JobRunner {
  started: CompareJobSpec[] = [];
  #release: (() => void)[] = [];
  run(spec: CompareJobSpec, onProgress: ProgressSink, signal: AbortSignal): Promise<CompareReport> {
    this.started.push(spec);
    onProgress({ task: "held", done: 0, total: 1 });
    return new Promise((resolve, reject) => {
      const release = () =>
        resolve({ format: "ropekit-compare-report", strategies: [] } as unknown as CompareReport);
      this.#release.push(release);
      signal.addEventListener("abort", () => {
        this.#release = this.#release.filter((r) => r !== release);
        reject(new CancelledError("cancelled"));
      });
    });
  }
  /** Resolves once `n` jobs have started. */
  async waitStarted(n: number): Promise<void> {
    while (this.started.length < n) await new Promise((r) => setTimeout(r, 5));
  }
  /** Finishes the oldest running job. */
  releaseOne(): void {
    this.#release.shift()?.();
  }
  close(): void {}
}

/** A context on a fresh temporary data dir (or `dataDir`), serving the shared model. */
export async function testContext(overrides: Partial<ServerSettings> = {}): Promise<ServerContext> {
  return await openServerContext({
    models: [TEST_MODEL],
    texts: [TEST_TEXT],
    dataDir: overrides.dataDir ?? await Deno.makeTempDir({ prefix: "ropekit_server_test_" }),
    pluginHosts: [],
    loopbackOnly: true,
    maxWaiting: 2,
    ...overrides,
  });
}

/** A real server on a free loopback port. */
export function listen(ctx: ServerContext): { base: string; close: () => Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, createApp(ctx).fetch);
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    close: async () => {
      await server.shutdown();
      ctx.close();
    },
  };
}

/** Reads an SSE stream into events until it ends or `stopAfter` says so. */
export async function readEvents(
  res: Response,
  stopAfter: (e: { event: string; data: string }) => boolean = () => false,
): Promise<{ event: string; data: string }[]> {
  const out: { event: string; data: string }[] = [];
  let buffer = "";
  for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = [...block.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).join("\n");
      if (event === undefined) continue; // a keep-alive comment
      out.push({ event, data });
      if (stopAfter(out.at(-1)!)) return out; // leaving the loop cancels the stream
    }
  }
  return out;
}
