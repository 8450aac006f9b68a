/**
 * What every route shares: reading a JSON body against a schema, the error → status mapping by class
 * (a bad request is a 400 naming its field; anything unexpected a 500 with an id in the log), and the
 * bearer token.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { EntryError } from "../entries/mod.ts";
import { ConfigError, ParamError, StrategyError } from "../strategies/mod.ts";
import { PluginError } from "../plugins/errors.ts";
import { type Schema, validate, ValidationError } from "./schema.ts";
import { ExportError } from "../export/export_model.ts";
import { NoPluginLoaderError } from "./plugins.ts";
import { RopekitError } from "../util/errors.ts";
import { isLoopbackHost } from "../util/loopback.ts";
import { BusyError } from "./busy_error.ts";
import { ZipTooLargeError } from "../util/zip_store.ts";

/** Parses and validates the body; malformed JSON and schema breaches throw ValidationError. */
export async function readJson<T>(c: Context, schema: Schema): Promise<T> {
  const text = await c.req.text();
  if (text.trim() === "") throw new ValidationError("body", "is empty; expected a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ValidationError("body", `malformed JSON (${(e as Error).message})`);
  }
  validate(schema, value, "");
  return value as T;
}

/** One row of {@linkcode STATUS_BY_CLASS}. */
interface StatusRule<E extends RopekitError = RopekitError> {
  error: new (...args: never[]) => E;
  status: number;
  /** The request field named when the error names none. */
  field?: string;
  /** Headers the answer carries (how long to wait before retrying). */
  headers?: (err: E) => Record<string, string>;
}

const rule = <E extends RopekitError>(r: StatusRule<E>) => r as unknown as StatusRule;

/**
 * The server's one error → status table, by class; routes throw and never pick a status by hand.
 * Anything else — including a RopekitError this table does not name — is the server's fault: a 500
 * with an id, never a 400. (Plugin faults are mapped by their code, in PLUGIN_STATUS below.)
 */
const STATUS_BY_CLASS: StatusRule[] = [
  rule({ error: ValidationError, status: 400 }),
  rule({ error: ConfigError, status: 400, field: "config" }),
  rule({ error: ParamError, status: 400 }),
  rule({ error: StrategyError, status: 400 }),
  rule({ error: EntryError, status: 400 }),
  rule({ error: ExportError, status: 400, field: "strategy" }),
  // The server was started without a plugin loader: the request is fine, this server cannot do it.
  rule({ error: NoPluginLoaderError, status: 501 }),
  // The job queue full, the search slots taken, an export running: retry later.
  rule({
    error: BusyError,
    status: 429,
    headers: (e: BusyError) => ({ "Retry-After": String(e.retryAfter) }),
  }),
  // An HF folder too large for a zip: the request is fine, the format cannot hold it.
  rule({ error: ZipTooLargeError, status: 413, field: "to" }),
];

/** Plugin faults that are not a bad request: the plugin ran out of time, or it is busy. */
const PLUGIN_STATUS: Partial<Record<PluginError["code"], number>> = { PLUGIN_TIMEOUT: 504, PLUGIN_BUSY: 503 };

/** The JSON error response for `err`: its class's status, else 500 with an id that the log repeats. */
export function errorResponse(err: Error, c: Context): Response {
  // Thrown while reading an oversized body without Content-Length; the bodyLimit middleware answers.
  if (err.name === "BodyLimitError") return c.json({ error: "body: too large", field: "body" }, 400);
  // A plugin's fault inside a table build reaches here wrapped as the config's: answer it as itself.
  if (err instanceof ConfigError && err.cause instanceof PluginError) err = err.cause;
  if (err instanceof PluginError) {
    const status = PLUGIN_STATUS[err.code] ?? 400;
    if (err.code === "PLUGIN_BUSY") c.header("Retry-After", "1");
    return c.json({ error: err.message, code: err.code }, status as 400);
  }
  const known = STATUS_BY_CLASS.find((r) => err instanceof r.error);
  if (known && err instanceof RopekitError) {
    const field = err.field ?? known.field;
    for (const [k, v] of Object.entries(known.headers?.(err) ?? {})) c.header(k, v);
    return c.json({ error: err.message, ...(field ? { field } : {}) }, known.status as 400);
  }
  const id = logFault(err, c);
  return c.json({ error: `internal error ${id}; see the server log`, id }, 500);
}

/**
 * Logs a server-side fault under a fresh id and returns the id, which the answer repeats. An
 * explained fault (an unreadable state file) is one line; a bug keeps its stack for the log.
 */
export function logFault(err: Error, c: Context): string {
  const id = crypto.randomUUID().slice(0, 8);
  const logged = err instanceof RopekitError ? `${err.name}: ${err.message}` : err;
  console.error(`error ${id}: ${c.req.method} ${c.req.path}:`, logged);
  return id;
}

/**
 * Headers every response carries: no page of another site may frame this one (clickjacking the
 * buttons that start and cancel jobs).
 */
export function frameDenied(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header("X-Frame-Options", "DENY");
    c.header("Content-Security-Policy", "frame-ancestors 'none'");
  };
}

/** Constant-time string comparison, so response timing does not reveal how much of a token matched. */
function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a), y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Requires `Authorization: Bearer <token>` (scheme in any case, as RFC 9110 says) when the server has a token; passes everything otherwise. */
export function requireToken(token: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (token !== undefined) {
      const given = /^Bearer +(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
      if (given === undefined || !sameToken(given, token)) {
        c.header("WWW-Authenticate", 'Bearer realm="ropekit"');
        return c.json({ error: "a bearer token is required (Authorization: Bearer …)" }, 401);
      }
    }
    await next();
  };
}

/**
 * For a loopback-only server: refuse requests whose Host is not a loopback name. A web page on
 * another site could otherwise reach it through DNS rebinding (evil.example resolving to 127.0.0.1).
 */
export function loopbackHostOnly(): MiddlewareHandler {
  return async (c, next) => {
    // Deno.serve builds the request URL from the Host header.
    const host = new URL(c.req.url).hostname;
    if (!isLoopbackHost(host)) {
      return c.json({ error: `host ${JSON.stringify(host)} is not served here` }, 421);
    }
    await next();
  };
}

/** Methods that change state (create, cancel, load): only the server's own page or a non-browser client. */
const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const CORS_METHODS = "GET, POST, DELETE";
const CORS_HEADERS = "Content-Type, Authorization";
/** Response headers a cross-origin front end may read (the job's URL, the queue's back-off). */
const CORS_EXPOSED = "Location, Retry-After";

/**
 * Same-origin only for state changes, and CORS for the front ends of `--allow-origin`.
 *
 * A page on another site can send a "simple" POST (text/plain, no preflight) to a loopback server
 * and start jobs on the user's machine; the response being unreadable does not stop the work. So a
 * POST or DELETE whose `Origin` is neither this server's own nor allowed, or which the browser marks
 * `Sec-Fetch-Site: cross-site`/`same-site` without an allowed `Origin`, is refused with 403, and a
 * body must be `application/json` (415), which no page can send cross-site without a preflight.
 * Clients that send no `Origin` (curl, scripts) are not browsers acting for another site: accepted.
 */
export function sameOriginWrites(allowedOrigins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedOrigins);
  return async (c, next) => {
    const origin = c.req.header("origin");
    const corsOrigin = origin !== undefined && allowed.has(origin) ? origin : undefined;
    if (corsOrigin) {
      c.header("Access-Control-Allow-Origin", corsOrigin);
      c.header("Access-Control-Expose-Headers", CORS_EXPOSED);
    }
    if (allowed.size) c.header("Vary", "Origin", { append: true });
    if (c.req.method === "OPTIONS") {
      if (!corsOrigin) return c.json({ error: `origin ${JSON.stringify(origin ?? "")} is not allowed` }, 403);
      c.header("Access-Control-Allow-Methods", CORS_METHODS);
      c.header("Access-Control-Allow-Headers", CORS_HEADERS);
      c.header("Access-Control-Max-Age", "600");
      return c.body(null, 204);
    }
    if (STATE_CHANGING.has(c.req.method)) {
      const own = new URL(c.req.url).origin;
      const site = c.req.header("sec-fetch-site");
      const foreign = origin !== undefined && origin !== own && !corsOrigin;
      const crossSite = (site === "cross-site" || site === "same-site") && !corsOrigin && origin !== own;
      if (foreign || crossSite) {
        const from = origin !== undefined ? `origin ${JSON.stringify(origin)}` : `Sec-Fetch-Site: ${site}`;
        return c.json({
          error: `${c.req.method} from another site (${from}) is refused; ` +
            "start the server with --allow-origin ORIGIN to allow a front end",
        }, 403);
      }
      const type = c.req.header("content-type");
      const hasBody = c.req.method !== "DELETE" || type !== undefined ||
        Number(c.req.header("content-length") ?? 0) > 0;
      if (hasBody && !/^application\/json\s*(;|$)/i.test(type ?? "")) {
        return c.json({
          error: `body: Content-Type must be application/json, got ${JSON.stringify(type ?? "none")}`,
          field: "body",
        }, 415);
      }
    }
    await next();
  };
}
