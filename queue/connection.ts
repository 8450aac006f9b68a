/**
 * Redis connections for the queue: `redis://[:password@]host:port[/db]` URLs (or `rediss://`, over
 * TLS, with `$ROPEKIT_QUEUE_CA` for a private CA), checked with one PING
 * that fails fast (unreachable host, wrong password, bad db) instead of retrying forever, then
 * long-lived connections that reconnect on their own (a restarted Redis is picked up again).
 *
 * @module
 */
import { Redis } from "ioredis";
import { RopekitError } from "../util/errors.ts";

/** Thrown for a queue that cannot be used; the message is one line for the user. */
export class QueueError extends RopekitError {
  override name = "QueueError";
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

/** Checks the URL's form; returns it. */
export function checkQueueUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueError(
      `--queue ${JSON.stringify(url)}: not a URL (expected redis://[:password@]host:port[/db])`,
    );
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new QueueError(`--queue ${redactUrl(url)}: only redis:// (or rediss://) URLs are supported`);
  }
  if (u.pathname.length > 1 && !/^\/\d+$/.test(u.pathname)) {
    throw new QueueError(`--queue ${redactUrl(url)}: the path must be a database number, e.g. /0`);
  }
  return url;
}

/** Environment variable naming a PEM file of CA certificates a `rediss://` server's certificate is checked against. */
export const CA_ENV = "ROPEKIT_QUEUE_CA";

/**
 * TLS options for a `rediss://` URL: the server's certificate is always verified, against the
 * system's roots or, when `$ROPEKIT_QUEUE_CA` names a PEM file, against the CAs in it (a private CA
 * or a self-signed certificate).
 */
function tlsOptions(url: string): { tls?: { ca?: string } } {
  if (!url.startsWith("rediss:")) return {};
  const allowed = Deno.permissions.querySync({ name: "env", variable: CA_ENV }).state === "granted";
  const path = allowed ? Deno.env.get(CA_ENV) : undefined;
  if (!path) return { tls: {} };
  try {
    return { tls: { ca: Deno.readTextFileSync(path) } };
  } catch (e) {
    throw new QueueError(`$${CA_ENV} ${path}: cannot read (${(e as Error).message})`);
  }
}

/** A long-lived connection (BullMQ needs maxRetriesPerRequest: null for its blocking commands). */
export function connect(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false, ...tlsOptions(url) });
  // Errors while reconnecting are expected (a restarted Redis); ioredis retries. Keep them off stderr.
  r.on("error", () => {});
  return r;
}

/** One PING within `timeoutMs`; throws a one-line {@linkcode QueueError} when Redis cannot be used. */
export async function probe(url: string, timeoutMs = 5000): Promise<void> {
  checkQueueUrl(url);
  const r = new Redis(url, {
    ...tlsOptions(url),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // ioredis reports a refused connection as "Connection is closed"; the socket error says why.
  let cause = "";
  r.on("error", (e: Error) => cause ||= e.message);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      (async () => {
        await r.connect();
        await r.ping();
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    let m = (e as Error).message.split("\n")[0];
    if (/Connection is closed/i.test(m) && cause) m = `cannot connect (${cause.split("\n")[0]})`;
    const why = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(m)
      ? `authentication failed (${m})`
      : m;
    throw new QueueError(`queue ${redactUrl(url)}: ${why}`);
  } finally {
    clearTimeout(timer);
    r.disconnect();
  }
}
