/**
 * Main module of the sandbox process (`deno run` with no permissions but reading the worker's own
 * entry file). It relays requests from stdin to the plugin's worker and replies to stdout, and
 * stops the whole process when its resident memory passes the limit: typed arrays live outside
 * V8's heap, so `--max-old-space-size` alone does not bound them.
 *
 * Protocol: the first stdin line is `{token, memoryBytes, maxMessageLength}`; every later line is a
 * request for the worker. Every reply line starts with the token, which only this thread knows, so
 * bytes the plugin writes to stdout itself are never mistaken for replies.
 *
 * @module
 */
import { encodeWire, EXIT_OVER_MEMORY, EXIT_WORKER_ERROR, readLines } from "./wire.ts";

interface Init {
  token: string;
  memoryBytes: number;
  maxMessageLength: number;
}

const MEMORY_POLL_MS = 10;
const ERROR_MESSAGE_LIMIT = 2000;
const encoder = new TextEncoder();

function writeLine(text: string): void {
  const bytes = encoder.encode(text + "\n");
  for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
}

function truncate(text: unknown): string {
  const s = String(text);
  return s.length > ERROR_MESSAGE_LIMIT ? s.slice(0, ERROR_MESSAGE_LIMIT) + "…" : s;
}

const lines = readLines(Deno.stdin.readable, 64 * 1024 * 1024);
const first = await lines.next();
if (first.done || typeof first.value !== "string") Deno.exit(2);
const init = JSON.parse(first.value) as Init;

setInterval(() => {
  if (Deno.memoryUsage().rss > init.memoryBytes) Deno.exit(EXIT_OVER_MEMORY);
}, MEMORY_POLL_MS);

const worker = new Worker(new URL("./sandbox_worker.ts", import.meta.url), {
  type: "module",
  deno: { permissions: "none" },
});

worker.onmessage = (event: MessageEvent<{ id: number; ok: boolean; error?: { message?: unknown } }>) => {
  const reply = event.data;
  if (!reply.ok && reply.error) reply.error.message = truncate(reply.error.message);
  let line = `${init.token} ${encodeWire(reply)}`;
  if (line.length > init.maxMessageLength) {
    const message =
      `the plugin's reply has ${line.length} characters, over the limit of ${init.maxMessageLength}`;
    line = `${init.token} ${encodeWire({ id: reply.id, ok: false, error: { kind: "too-large", message } })}`;
  }
  writeLine(line);
};
worker.onerror = (event: ErrorEvent) => {
  // An error thrown outside any request (a stray timer) leaves the worker unusable: report and stop.
  event.preventDefault();
  const error = { kind: "threw", name: "Error", message: truncate(event.message) };
  writeLine(`${init.token} ${encodeWire({ id: null, ok: false, error })}`);
  Deno.exit(EXIT_WORKER_ERROR);
};

for await (const line of lines) {
  if (typeof line === "string" && line !== "") worker.postMessage(JSON.parse(line));
}
// The host closed stdin: it is done with this plugin.
Deno.exit(0);
