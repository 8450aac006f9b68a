/**
 * `hf:` downloads against a local server on 127.0.0.1 that answers as the Hub does (`HF_ENDPOINT`):
 * `/api/models/owner/repo`, `/owner/repo/resolve/main/FILE` stating size and hash (an LFS file redirects
 * to a "CDN" path with `x-linked-size` / `x-linked-etag`; a git file carries its blob sha1 as ETag), and a
 * CDN that honours Range and can cut a transfer half-way or serve wrong bytes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { downloadFile } from "../../model/hub_download.ts";
import { exportModel } from "../../export/export_model.ts";
import { DEFAULT_MODEL } from "../../compare/defaults.ts";

const root = new URL("../../", import.meta.url).pathname;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const gitSha1 = (b: Uint8Array) => createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");

interface FakeHub {
  base: string;
  /** Range headers the CDN received, in order. */
  ranges: (string | null)[];
  /** Cut the next full transfer of an LFS file after this many bytes. */
  cutNextAt?: number;
  /** Serve these bytes instead of the real ones (with the real ones' size and hash stated for LFS files). */
  corrupt?: Uint8Array<ArrayBuffer>;
  close(): Promise<void>;
}

/** A Hub with `files` in repo owner/repo: names ending .safetensors are LFS, the others git files. */
function fakeHub(files: Record<string, Uint8Array<ArrayBuffer>>): FakeHub {
  const hub: FakeHub = { base: "", ranges: [], close: () => Promise.resolve() };
  const lfs = (f: string) => f.endsWith(".safetensors");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path === "/api/models/owner/repo") {
      // In the Hub's order: sorted by path (config.json before the weights).
      return Response.json({ siblings: Object.keys(files).sort().map((rfilename) => ({ rfilename })) });
    }
    const resolve = path.match(/^\/owner\/repo\/resolve\/main\/(.+)$/);
    if (resolve && files[resolve[1]]) {
      const f = resolve[1], bytes = files[f];
      if (lfs(f)) {
        return new Response(null, {
          status: 302,
          headers: {
            location: `/cdn/${f}`,
            "x-linked-size": String(bytes.length),
            "x-linked-etag": `"${sha256(bytes)}"`,
            etag: `"${gitSha1(new TextEncoder().encode("pointer"))}"`,
          },
        });
      }
      // As any HTTP server: a HEAD answer has the GET's headers (Content-Length included), no body.
      return new Response(hub.corrupt ?? bytes, { headers: { etag: `"${gitSha1(bytes)}"` } });
    }
    const cdn = path.match(/^\/cdn\/(.+)$/);
    if (cdn && files[cdn[1]]) {
      const bytes = hub.corrupt ?? files[cdn[1]], range = req.headers.get("range");
      hub.ranges.push(range);
      const from = range ? Number(range.match(/^bytes=(\d+)-$/)![1]) : 0;
      const body = bytes.subarray(from);
      const cut = range ? undefined : hub.cutNextAt;
      hub.cutNextAt = undefined;
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          if (cut === undefined) {
            c.enqueue(body);
            c.close();
          } else {
            c.enqueue(body.subarray(0, cut));
            setTimeout(() => c.error(new Error("connection reset")), 50);
          }
        },
      });
      return new Response(stream, {
        status: range ? 206 : 200,
        headers: {
          "content-length": String(body.length),
          ...(range ? { "content-range": `bytes ${from}-${bytes.length - 1}/${bytes.length}` } : {}),
        },
      });
    }
    return new Response("not found", { status: 404 });
  });
  hub.base = `http://127.0.0.1:${server.addr.port}`;
  hub.close = () => server.shutdown();
  return hub;
}

const random = (n: number, seed: number) => {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
};

Deno.test("hub download: a cut transfer resumes with Range; progress shows bytes, rate and ETA; sha256 checked", async () => {
  const data = random(300_000, 7);
  const hub = fakeHub({ "model.safetensors": data });
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const opts = { progress: (l: string) => lines.push(l), progressEvery: 0 };
  const local = join(dir, "model.safetensors"), url = `${hub.base}/owner/repo/resolve/main/model.safetensors`;
  try {
    hub.cutNextAt = 120_000;
    await assert.rejects(downloadFile(url, local, "model.safetensors", opts), /cut at .*run again to resume/);
    assert.equal((await Deno.stat(`${local}.partial`)).size, 120_000);
    await downloadFile(url, local, "model.safetensors", opts);
    assert.deepEqual(hub.ranges, [null, "bytes=120000-"]);
    assert.deepEqual(await Deno.readFile(local), data);
    await assert.rejects(Deno.stat(`${local}.partial`));
    assert.ok(lines.some((l) => /resuming at 120\.0 KB/.test(l)), lines.join("\n"));
    const last = lines.at(-1)!;
    assert.match(last, /^model\.safetensors: 300\.0 KB \/ 300\.0 KB \(100%\), [\d.]+ [KMG]?B\/s/);
    assert.ok(lines.some((l) => /ETA \d/.test(l)), lines.join("\n"));
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hub download: bytes that do not match the Hub's sha256, size or git sha1 are refused and removed", async () => {
  const data = random(50_000, 9), text = new TextEncoder().encode('{"model_type": "llama"}');
  const hub = fakeHub({ "model.safetensors": data, "config.json": text });
  const dir = await Deno.makeTempDir();
  const quiet = { progress: () => {} };
  const get = (f: string) => downloadFile(`${hub.base}/owner/repo/resolve/main/${f}`, join(dir, f), f, quiet);
  try {
    hub.corrupt = data.map((b, i) => (i === 777 ? b ^ 1 : b));
    await assert.rejects(
      get("model.safetensors"),
      /sha256 [0-9a-f]{64}, the Hub states [0-9a-f]{64}; the download was removed/,
    );
    await assert.rejects(Deno.stat(join(dir, "model.safetensors.partial")));
    await assert.rejects(Deno.stat(join(dir, "model.safetensors")));
    hub.corrupt = data.subarray(0, 40_000);
    await assert.rejects(get("model.safetensors"), /got 40000 bytes, the Hub states 50000/);
    hub.corrupt = undefined;
    await get("model.safetensors");
    // A git file: its ETag is the blob's sha1, which the download is checked against.
    hub.corrupt = new TextEncoder().encode('{"model_type": "llamb"}');
    await assert.rejects(get("config.json"), /git sha1 [0-9a-f]{40}, the Hub states [0-9a-f]{40}/);
    hub.corrupt = undefined;
    await get("config.json");
    assert.deepEqual(await Deno.readFile(join(dir, "config.json")), text);
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("hub download: deno task nll --model hf:owner/repo through HF_ENDPOINT shows progress and scores", async () => {
  const dir = await Deno.makeTempDir();
  const folder = join(dir, "export");
  await exportModel({
    model: DEFAULT_MODEL,
    strategy: "yarn:factor=4",
    targetLength: 1024,
    to: "hf",
    out: folder,
  });
  const files: Record<string, Uint8Array<ArrayBuffer>> = {};
  for await (const e of Deno.readDir(folder)) files[e.name] = await Deno.readFile(join(folder, e.name));
  const hub = fakeHub(files);
  const tokens = join(dir, "w.json");
  await Deno.writeTextFile(tokens, JSON.stringify([[1, 50, 60, 70, 80, 90, 100]]));
  try {
    hub.cutNextAt = 1000; // the first transfer of the weights is cut: the command fails, a rerun resumes
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["task", "nll", "--model", "hf:owner/repo", "--tokens", tokens, "--json"],
        cwd: root,
        env: { HF_ENDPOINT: hub.base, ROPEKIT_CACHE: join(dir, "cache"), HF_TOKEN: "" },
      }).output();
    const dec = new TextDecoder();
    const first = await run();
    assert.equal(first.code, 1);
    assert.match(dec.decode(first.stderr), /model\.safetensors: download cut at .*run again to resume/);
    // The folder is not marked complete (config.json comes last), so the rerun resumes instead of failing.
    await assert.rejects(Deno.stat(join(dir, "cache", "hf", "owner", "repo", "config.json")));
    const second = await run();
    const stderr = dec.decode(second.stderr);
    assert.equal(second.code, 0, stderr);
    assert.match(stderr, /model\.safetensors: resuming at 1\.0 KB/);
    assert.match(stderr, /model\.safetensors: [\d.]+ [KM]B \/ [\d.]+ [KM]B \(100%\), [\d.]+ [KMG]?B\/s/);
    assert.ok(hub.ranges.includes("bytes=1000-"), JSON.stringify(hub.ranges));
    const report = JSON.parse(dec.decode(second.stdout));
    assert.equal(report.strategy, "config");
    assert.equal(report.windows[0].tokens, 6);
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});
