/**
 * Where a plugin comes from: parsing its specifier (URL or path, optional `#sha256=` pin) and
 * reading its bytes once, in the host, so that what is hashed is exactly what the sandbox runs.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isLoopbackHost } from "../util/loopback.ts";
import { PluginError } from "./errors.ts";
import type { PluginModule } from "./sandbox.ts";

/** A parsed plugin specifier. */
export interface PluginLocation {
  /** The module's URL without a fragment: the plugin's identity in messages and the lock file. */
  url: string;
  /** The sha256 (lowercase hex) the user pinned, if any. */
  pin?: string;
}

const PIN = /#sha256=([0-9a-fA-F]*)$/;
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

/** Parses `https://…`, `http://…`, `file:…` or a file path, each optionally ending in `#sha256=<hex>`. */
export function parsePluginSpecifier(specifier: string): PluginLocation {
  const pinMatch = specifier.match(PIN);
  const bare = pinMatch ? specifier.slice(0, pinMatch.index) : specifier;
  const pin = pinMatch?.[1].toLowerCase();
  if (pin !== undefined && !/^[0-9a-f]{64}$/.test(pin)) {
    throw new PluginError(
      "PLUGIN_SPECIFIER",
      specifier,
      "the pin must be #sha256= followed by 64 hex digits",
    );
  }
  if (bare.includes("#")) {
    throw new PluginError(
      "PLUGIN_SPECIFIER",
      specifier,
      "the only fragment a plugin URL takes here is #sha256=<64 hex digits> " +
        "(parameters belong in a strategy entry: URL#k=v,k=v)",
    );
  }
  // A one-letter scheme is a Windows drive ("C:\\plugins\\x.ts"): a path.
  const scheme = bare.match(SCHEME)?.[1].toLowerCase();
  let url: URL;
  if (scheme === undefined) {
    url = pathToFileURL(resolve(bare));
  } else if (scheme === "https" || scheme === "http" || scheme === "file") {
    url = new URL(bare);
  } else {
    throw new PluginError(
      "PLUGIN_SPECIFIER",
      specifier,
      `unsupported scheme "${scheme}:" (use an https://, http:// or file: URL, or a path)`,
    );
  }
  // Plain http can be read and changed on the way: only from this machine itself, and only by a
  // name that needs no DNS (a name could resolve to anywhere, and 0.0.0.0 is not loopback).
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new PluginError(
      "PLUGIN_SPECIFIER",
      specifier,
      `http:// is allowed only for loopback hosts (localhost, 127.x.x.x, [::1]), not ${url.hostname}: use https://`,
    );
  }
  url.hash = "";
  return { url: url.href, pin };
}

async function readCapped(response: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the body (the stream is locked to the loop's reader meanwhile).
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    if (size > maxBytes) break;
    chunks.push(chunk);
  }
  if (size > maxBytes) {
    throw new PluginError("PLUGIN_TOO_LARGE", url, `the module is larger than ${maxBytes} bytes`);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** What a file's extension says it is; undefined for anything else. */
function mediaTypeOfPath(url: string): string | undefined {
  const path = new URL(url).pathname;
  if (/\.[mc]?js$/.test(path)) return "application/javascript";
  if (/\.[mc]?ts$/.test(path)) return "application/typescript";
  return undefined;
}

/** Content types that are something else than code: an HTML error page, JSON, an image… */
const NOT_CODE =
  /^(text\/(html|css|xml|csv|markdown)|application\/(json|xml|xhtml\+xml|pdf|zip|gzip|wasm)|image\/|audio\/|video\/|font\/)|\+(json|xml)$/;

/**
 * The module's media type from the server's Content-Type: a JavaScript or TypeScript type is taken
 * as is; a type that names other content (HTML, JSON, images…) is refused before anything runs;
 * any other (text/plain from raw file hosts, none, or a misconfigured one such as Python's
 * text/vnd.trolltech.linguist for .ts) falls back to the path's .ts/.js extension.
 */
function mediaTypeOfResponse(url: string, contentType: string | null): string {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (/^(application|text)\/(x-)?(javascript|ecmascript|jsx)$/.test(type)) return "application/javascript";
  if (/^(application|text)\/(x-)?(typescript|tsx)$/.test(type) || type === "video/mp2t") {
    return "application/typescript";
  }
  const byPath = NOT_CODE.test(type) ? undefined : mediaTypeOfPath(url);
  if (byPath) return byPath;
  throw new PluginError(
    "PLUGIN_IMPORT",
    url,
    `served as ${type || "no content type"}, not JavaScript or TypeScript` +
      (NOT_CODE.test(type) ? "" : " (and its path has no .ts or .js extension)"),
  );
}

async function fetchModule(url: string, maxBytes: number, timeoutMs: number): Promise<PluginModule> {
  if (url.startsWith("file:")) {
    const path = new URL(url);
    const { size, isFile } = await Deno.stat(path);
    if (!isFile) throw new PluginError("PLUGIN_IMPORT", url, "is not a file (a plugin is one module file)");
    // Only a file named as code is read: anything else (a config, a key) is refused by its name,
    // before its bytes are read, so no error can show what it holds.
    const mediaType = mediaTypeOfPath(url);
    if (mediaType === undefined) {
      throw new PluginError(
        "PLUGIN_IMPORT",
        url,
        "is not a JavaScript or TypeScript module: its name does not end in .ts, .js, .mts, .mjs, .cts or .cjs",
      );
    }
    if (size > maxBytes) {
      throw new PluginError("PLUGIN_TOO_LARGE", url, `the module is larger than ${maxBytes} bytes`);
    }
    return { url, mediaType, source: await Deno.readFile(path) };
  }
  // Redirects are refused: the host fetches from the URL the user named and nowhere else (a
  // redirect could lead to another host, off the allowlist).
  const response = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    const to = response.headers.get("location");
    const where = to ? ` to ${new URL(to, url).href}` : "";
    throw new PluginError(
      "PLUGIN_UNREACHABLE",
      url,
      `HTTP ${response.status} redirects${where}; redirects are refused: give the module's final URL`,
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new PluginError("PLUGIN_UNREACHABLE", url, `HTTP ${response.status} ${response.statusText}`.trim());
  }
  let mediaType: string;
  try {
    mediaType = mediaTypeOfResponse(url, response.headers.get("content-type"));
  } catch (e) {
    await response.body?.cancel();
    throw e;
  }
  return { url, mediaType, source: await readCapped(response, maxBytes, url) };
}

/** Reads a plugin's bytes (at most `maxBytes`, within `timeoutMs`) and names their media type. */
export async function readPluginModule(
  url: string,
  maxBytes: number,
  timeoutMs: number,
): Promise<PluginModule> {
  let module: PluginModule;
  try {
    module = await fetchModule(url, maxBytes, timeoutMs);
  } catch (e) {
    if (e instanceof PluginError) throw e;
    // fetch() says only "fetch failed"; the reason (refused, DNS, TLS) is in its cause.
    const cause = (e as Error).cause instanceof Error ? `: ${((e as Error).cause as Error).message}` : "";
    throw new PluginError("PLUGIN_UNREACHABLE", url, (e as Error).message + cause);
  }
  // Code is text: binary content (an image, an archive, a compiled file) is named as such here,
  // rather than failing later as a module that does not parse.
  if (module.source.includes(0) || !isUtf8(module.source)) {
    throw new PluginError("PLUGIN_IMPORT", url, "is binary content, not a JavaScript or TypeScript module");
  }
  return module;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Lowercase hex sha256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
