/**
 * One Hub file to disk, as a user wants a multi-gigabyte download to behave: progress on stderr (bytes,
 * rate, ETA), a cut download resumed where it stopped (HTTP Range on the `.partial` file), and the bytes
 * checked against what the Hub states before the file is given its name — the size (`x-linked-size`,
 * else Content-Length) and the hash: an LFS file's sha256 (`x-linked-etag`, its LFS oid), a small file's
 * git blob sha1 (its ETag).
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { ModelFormatError } from "./config.ts";

/** What the Hub states about a file before it is downloaded. */
export interface HubFileFacts {
  /** Bytes, when stated. */
  size?: number;
  /** Hex sha256 of the content (LFS files). */
  sha256?: string;
  /** Hex git blob sha1 (files stored in git itself). */
  gitSha1?: string;
}

/** Where progress goes: one line per update, overwritten in place on a terminal. */
export type ProgressWriter = (line: string, done: boolean) => void;

const stderrWriter: ProgressWriter = (line, done) => {
  const enc = new TextEncoder();
  Deno.stderr.writeSync(enc.encode(Deno.stderr.isTerminal() ? `\r${line}${done ? "\n" : ""}` : `${line}\n`));
};

const unquote = (s: string | null) => s?.replace(/^W\//, "").replace(/"/g, "").trim() || undefined;

/** The size and hash a resolve response states (read from the response before any redirect is followed). */
export function hubFileFacts(headers: Headers): HubFileFacts {
  const linked = headers.get("x-linked-size") ?? headers.get("content-length");
  const etag = unquote(headers.get("x-linked-etag")) ?? unquote(headers.get("etag"));
  return {
    size: linked !== null && /^\d+$/.test(linked) ? Number(linked) : undefined,
    sha256: etag && /^[0-9a-f]{64}$/i.test(etag) ? etag.toLowerCase() : undefined,
    gitSha1: etag && /^[0-9a-f]{40}$/i.test(etag) ? etag.toLowerCase() : undefined,
  };
}

function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) n /= 1000, i++;
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60), h = Math.floor(m / 60);
  return h > 0
    ? `${h}h${String(m % 60).padStart(2, "0")}m`
    : m > 0
    ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`
    : `${Math.round(s)}s`;
}

/** The progress line: name, bytes (of total), rate, ETA. */
export function progressLine(
  name: string,
  got: number,
  total: number | undefined,
  seconds: number,
  fresh: number,
): string {
  const rate = seconds > 0 ? fresh / seconds : 0;
  const of = total === undefined ? "" : ` / ${formatBytes(total)} (${Math.floor((100 * got) / total)}%)`;
  const eta = total === undefined || rate === 0 ? "" : `, ETA ${formatSeconds((total - got) / rate)}`;
  return `${name}: ${formatBytes(got)}${of}, ${formatBytes(rate)}/s${eta}`;
}

async function hashFile(path: string, hash: Hash): Promise<number> {
  let n = 0;
  const f = await Deno.open(path);
  for await (const chunk of f.readable) { // closes the file at the end
    hash.update(chunk);
    n += chunk.length;
  }
  return n;
}

async function size(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch {
    return 0;
  }
}

/** Options of {@linkcode downloadFile}. */
export interface DownloadOptions {
  /** Request headers (authorization). */
  headers?: Record<string, string>;
  /** Progress sink; default: stderr. */
  progress?: ProgressWriter;
  /** Least seconds between progress lines (default 0.5). */
  progressEvery?: number;
}

/**
 * Downloads `url` to `local` (through `local.partial`, resumed with a Range request when a previous
 * run left one), checks its size and hash against the Hub's statement, then renames it into place.
 * `label` names the file in progress lines and errors. Throws {@linkcode ModelFormatError}.
 */
export async function downloadFile(
  url: string,
  local: string,
  label: string,
  opts: DownloadOptions = {},
): Promise<void> {
  const headers = opts.headers ?? {};
  const fail = (why: string) => new ModelFormatError(`${label}: ${why}`);
  // The Hub's resolve answer states size and hash; for LFS files it redirects to a CDN that does not.
  let head: Response;
  try {
    head = await fetch(url, { method: "HEAD", headers, redirect: "manual" });
  } catch (e) {
    throw fail(`cannot reach ${url} (${(e as Error).message})`);
  }
  await head.body?.cancel();
  if (head.status >= 400) throw fail(`${url} answered HTTP ${head.status}`);
  const facts = hubFileFacts(head.headers);
  const location = head.status >= 300 ? head.headers.get("location") : null;
  const target = location ? new URL(location, url).href : url;

  const partial = `${local}.partial`;
  let have = await size(partial);
  if (facts.size !== undefined && have > facts.size) {
    await Deno.remove(partial);
    have = 0;
  }
  const hash = createHash(facts.sha256 ? "sha256" : "sha1");
  let res: Response;
  try {
    res = await fetch(target, { headers: have > 0 ? { ...headers, range: `bytes=${have}-` } : headers });
  } catch (e) {
    throw fail(`cannot download ${target} (${(e as Error).message}); run again to resume`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw fail(`${target} answered HTTP ${res.status}`);
  }
  const total = facts.size ??
    (res.headers.has("content-length")
      ? Number(res.headers.get("content-length")) + (res.status === 206 ? have : 0)
      : undefined);
  // A git blob's sha1 covers a "blob <size>\0" header: checkable only when the size is known.
  const checkSha1 = facts.gitSha1 !== undefined && total !== undefined;
  if (checkSha1) hash.update(`blob ${total}\0`);
  const resumed = res.status === 206 && have > 0;
  if (resumed) await hashFile(partial, hash);
  else have = 0; // the server sent the whole file: start over
  const file = await Deno.open(partial, { write: true, create: true, append: resumed, truncate: !resumed });
  const write = opts.progress ?? stderrWriter, every = (opts.progressEvery ?? 0.5) * 1000;
  const t0 = performance.now(), start = have;
  let got = have, last = 0;
  if (resumed) write(`${label}: resuming at ${formatBytes(have)}`, false);
  try {
    for await (const chunk of res.body!) {
      hash.update(chunk);
      let off = 0;
      while (off < chunk.length) off += await file.write(chunk.subarray(off));
      got += chunk.length;
      const now = performance.now();
      if (now - last >= every) {
        last = now;
        write(progressLine(label, got, total, (now - t0) / 1000, got - start), false);
      }
    }
  } catch (e) {
    throw fail(`download cut at ${formatBytes(got)} (${(e as Error).message}); run again to resume`);
  } finally {
    file.close();
  }
  write(progressLine(label, got, total, (performance.now() - t0) / 1000, got - start), true);
  const digest = hash.digest("hex");
  const bad = async (why: string) => {
    await Deno.remove(partial); // wrong bytes are not worth resuming
    return fail(`${why}; the download was removed`);
  };
  if (total !== undefined && got !== total) throw await bad(`got ${got} bytes, the Hub states ${total}`);
  if (facts.sha256 && digest !== facts.sha256) {
    throw await bad(`sha256 ${digest}, the Hub states ${facts.sha256}`);
  }
  if (checkSha1 && digest !== facts.gitSha1) {
    throw await bad(`git sha1 ${digest}, the Hub states ${facts.gitSha1}`);
  }
  await Deno.rename(partial, local);
}
