/**
 * The host side of a plugin's sandbox: a separate `deno run` process with no permissions, whose
 * worker imports the plugin. A process rather than a worker in the host because Deno 2.9 can
 * neither stop a worker stuck in a loop (`terminate()` leaves the thread spinning and the host
 * unable to exit) nor limit a worker's heap (an out-of-memory worker aborts the whole process).
 * A process can be killed at the deadline, and its heap limit or memory watchdog ends only it.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { PluginError } from "./errors.ts";
import { decodeWire, encodeWire, EXIT_OVER_MEMORY, EXIT_WORKER_ERROR, readLines } from "./wire.ts";
import { DEFAULT_POOL, type PoolMember, type SandboxPool } from "./sandbox_pool.ts";

/** Limits every call into a plugin runs under. */
export interface SandboxLimits {
  /** Deadline of one call (load or table), in ms; the sandbox process is killed past it. */
  timeoutMs: number;
  /** Memory of the sandbox process (V8 heap limit and resident-memory watchdog), in MiB. */
  memoryMb: number;
  /** Longest reply line accepted from the sandbox, in characters. */
  maxMessageLength: number;
}

/** The verified bytes of a plugin module. */
export interface PluginModule {
  /** Where it came from, as the user wrote it (without a pin): used in every message. */
  url: string;
  /** `application/typescript` or `application/javascript`. */
  mediaType: string;
  source: Uint8Array;
}

/** A reply the worker sent: a value or the reason it has none. */
type Reply = { ok: true; value: unknown } | {
  ok: false;
  error: { kind: string; name: string; message: string };
};

interface Running {
  child: Deno.ChildProcess;
  stdin: WritableStreamDefaultWriter<Uint8Array>;
  token: string;
  /** Settles the request in flight when its reply arrives (or the process ends). */
  pending?: (reply: Reply | Error) => void;
  /** Resolves when stdout and stderr are drained and the process has exited. */
  finished: Promise<void>;
  stderrTail: string;
  /** Gives the process's pool slot back. */
  release: () => void;
}

const STDERR_TAIL_LENGTH = 4000;
/** Appended to a refused import: the sandbox imports nothing, so the fix is always the same. */
const BUNDLE_HINT = ". A plugin must be one self-contained module: bundle its imports into it " +
  "(deno bundle plugin.ts -o plugin.js) and serve that file";
const main = new URL("./sandbox_main.ts", import.meta.url);
const workerEntry = new URL("./sandbox_worker.ts", import.meta.url);

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * One plugin's sandbox. Calls are serialised (at most `pool.limits.maxQueued` wait), each may be
 * cancelled by an AbortSignal, and the process is started on demand within the pool's bound,
 * stopped after the pool's idle time, and started afresh after a kill or an eviction.
 */
export class PluginSandbox implements PoolMember {
  #running?: Running;
  #queue: Promise<unknown> = Promise.resolve();
  /** Calls running or waiting. */
  #calls = 0;
  /** Callers of {@linkcode busyWhile} still running: the pool must not evict between their calls. */
  #holds = 0;
  #idleTimer?: ReturnType<typeof setTimeout>;
  /** The metadata the running process's worker reported; undefined until it has loaded. */
  #description?: unknown;
  lastUsed = performance.now();

  constructor(
    readonly module: PluginModule,
    readonly limits: SandboxLimits,
    readonly pool: SandboxPool = DEFAULT_POOL,
  ) {}

  get busy(): boolean {
    return this.#calls > 0 || this.#holds > 0;
  }

  /**
   * Runs `task` (a series of calls, e.g. the conformance suite) with the sandbox counted busy all
   * along, so the pool does not evict it between two calls and restart it for the next.
   */
  async busyWhile<T>(task: () => Promise<T>): Promise<T> {
    this.#holds++;
    try {
      return await task();
    } finally {
      this.#holds--;
      if (!this.busy) this.#whenIdle();
    }
  }

  /** Imports the plugin (in a fresh process if needed) and returns its metadata. */
  load(signal?: AbortSignal): Promise<unknown> {
    return this.#serialise(() => this.#ensureLoaded(signal), signal);
  }

  /** Runs the plugin's `table` on plain data and returns its (unvalidated) result. */
  table(spec: unknown, ctx: unknown, params: unknown, signal?: AbortSignal): Promise<unknown> {
    return this.#serialise(async () => {
      await this.#ensureLoaded(signal);
      return this.#request({ op: "table", spec, ctx, params }, "table()", signal);
    }, signal);
  }

  /** Stops the sandbox process; a later call starts a new one. */
  async close(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#running = undefined;
    this.#description = undefined;
    try {
      running.child.kill("SIGKILL");
    } catch { /* already exited */ }
    await running.finished;
  }

  /** The pool stops an idle sandbox's process to make room for another. */
  evict(): Promise<void> {
    return this.close();
  }

  #serialise<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.#calls > this.pool.limits.maxQueued) {
      return Promise.reject(this.#error(
        "PLUGIN_BUSY",
        `${this.#calls - 1} calls already wait for it (at most ${this.pool.limits.maxQueued})`,
      ));
    }
    this.#calls++;
    clearTimeout(this.#idleTimer);
    // A call whose client left while it waited is dropped without running.
    const result = this.#queue.then(() => {
      signal?.throwIfAborted();
      return task();
    });
    this.#queue = result.catch(() => {}).finally(() => {
      this.#calls--;
      this.lastUsed = performance.now();
      if (!this.busy) this.#whenIdle();
    });
    return result;
  }

  #whenIdle(): void {
    if (!this.#running) return;
    this.pool.idle();
    const timer = setTimeout(() => {
      if (!this.busy) this.close();
    }, this.pool.limits.idleMs);
    Deno.unrefTimer(timer); // an idle plugin never keeps a CLI from exiting
    this.#idleTimer = timer;
  }

  async #ensureLoaded(signal?: AbortSignal): Promise<unknown> {
    if (this.#running && this.#description !== undefined) return this.#description;
    if (!this.#running) {
      const release = await this.pool.acquire(this);
      signal?.throwIfAborted();
      this.#start(release);
    }
    const { url, mediaType, source } = this.module;
    this.#description = await this.#request(
      { op: "load", url, mediaType, sourceBase64: base64(source) },
      "loading the module",
      signal,
    );
    return this.#description;
  }

  #start(release: () => void): void {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-prompt",
          "--no-config",
          "--no-lock",
          "--no-remote",
          "--no-npm",
          "--quiet",
          "--unstable-worker-options",
          `--allow-read=${fileURLToPath(workerEntry)}`,
          `--v8-flags=--max-old-space-size=${this.limits.memoryMb}`,
          fileURLToPath(main),
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
    } catch (e) {
      release();
      throw this.#error("PLUGIN_SANDBOX", `cannot start the sandbox process: ${(e as Error).message}`);
    }
    const token = crypto.randomUUID();
    const running: Running = {
      child,
      stdin: child.stdin.getWriter(),
      token,
      finished: Promise.resolve(),
      stderrTail: "",
      release,
    };
    running.finished = Promise.all([
      this.#readReplies(running),
      this.#readStderr(running),
      child.status,
    ]).then(async ([, , status]) => {
      running.pending?.(this.#exitError(running, status));
      await running.stdin.close().catch(() => {});
      running.release();
      if (this.#running === running) {
        this.#running = undefined;
        this.#description = undefined;
      }
    });
    this.#running = running;
    const init = {
      token,
      memoryBytes: this.limits.memoryMb * 2 ** 20,
      maxMessageLength: this.limits.maxMessageLength,
    };
    running.stdin.write(new TextEncoder().encode(JSON.stringify(init) + "\n")).catch(() => {});
  }

  async #readReplies(running: Running): Promise<void> {
    const prefix = running.token + " ";
    for await (const line of readLines(running.child.stdout, this.limits.maxMessageLength + prefix.length)) {
      if (typeof line !== "string") {
        running.pending?.(this.#error(
          "PLUGIN_MESSAGE_TOO_LARGE",
          `sent a message over ${this.limits.maxMessageLength} characters`,
        ));
        running.child.kill("SIGKILL");
        break;
      }
      // Anything without the token was written by the plugin itself: not a reply.
      if (!line.startsWith(prefix)) continue;
      let reply: Reply;
      try {
        reply = decodeWire(line.slice(prefix.length)) as Reply;
      } catch {
        continue;
      }
      running.pending?.(reply);
    }
    // Drain whatever follows an overlong line so the process can exit.
    await running.child.stdout.cancel().catch(() => {});
  }

  async #readStderr(running: Running): Promise<void> {
    for await (const chunk of running.child.stderr.pipeThrough(new TextDecoderStream())) {
      running.stderrTail = (running.stderrTail + chunk).slice(-STDERR_TAIL_LENGTH);
    }
  }

  #request(message: Record<string, unknown>, what: string, signal?: AbortSignal): Promise<unknown> {
    const running = this.#running!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        settle(this.#error("PLUGIN_TIMEOUT", `${what} ran past the ${this.limits.timeoutMs} ms deadline`));
        this.close();
      }, this.limits.timeoutMs);
      // The caller went away: the call is stopped the only way a running plugin can be, by its process.
      const abandoned = () => {
        settle(signal!.reason ?? new DOMException("the call was cancelled", "AbortError"));
        this.close();
      };
      const settle = (reply: Reply | Error) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abandoned);
        running.pending = undefined;
        if (reply instanceof Error) reject(reply);
        else if (reply.ok) resolve(reply.value);
        else reject(this.#faultError(reply.error, what));
      };
      running.pending = settle;
      signal?.addEventListener("abort", abandoned, { once: true });
      running.stdin.write(new TextEncoder().encode(encodeWire({ id: 0, ...message }) + "\n")).catch(() => {});
    });
  }

  #error(code: PluginError["code"], why: string): PluginError {
    return new PluginError(code, this.module.url, why);
  }

  #faultError(error: { kind: string; name: string; message: string }, what: string): PluginError {
    // Deno advises "run again with the --allow-… flag": wrong for a sandbox, so it is cut.
    error = { ...error, message: error.message.replace(/,? run again with the --allow-[\w-]+ flag/g, "") };
    const denied = error.name === "NotCapable" || /Requires \w+ access/.test(error.message);
    if (denied) {
      const hint = /Requires import access/.test(error.message) ? BUNDLE_HINT : "";
      return this.#error("PLUGIN_PERMISSION", `denied by the sandbox in ${what}: ${error.message}${hint}`);
    }
    switch (error.kind) {
      case "import": {
        // A syntax error is the module's own; anything else failed on one of its imports.
        const hint = error.name === "SyntaxError" ? "" : BUNDLE_HINT;
        return this.#error("PLUGIN_IMPORT", `is not a loadable module: ${error.message}${hint}`);
      }
      case "export":
        return this.#error("PLUGIN_EXPORT", error.message);
      case "clone":
        return this.#error("PLUGIN_CONTRACT", `${what} returned something that is not plain data`);
      case "too-large":
        return this.#error("PLUGIN_MESSAGE_TOO_LARGE", error.message);
      default:
        return this.#error("PLUGIN_THREW", `threw in ${what}: ${error.name}: ${error.message}`);
    }
  }

  #exitError(running: Running, status: Deno.CommandStatus): PluginError {
    const tail = running.stderrTail;
    if (status.code === EXIT_OVER_MEMORY || /out of memory/i.test(tail)) {
      return this.#error(
        "PLUGIN_MEMORY",
        `ran past the ${this.limits.memoryMb} MiB memory limit and was stopped`,
      );
    }
    if (status.code === EXIT_WORKER_ERROR) return this.#error("PLUGIN_THREW", "threw outside any call");
    const lastLine = tail.trim().split("\n").at(-1) ?? "";
    return this.#error(
      "PLUGIN_SANDBOX",
      `the sandbox process exited (${status.signal ?? `code ${status.code}`}) ${lastLine}`.trim(),
    );
  }
}
