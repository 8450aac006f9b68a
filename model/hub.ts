/**
 * `hf:owner/repo[/path]` names: files are downloaded once from the Hugging Face Hub into
 * `$ROPEKIT_CACHE` (default `~/.cache/ropekit`) and loaded from there; later runs work offline.
 *
 * - `hf:owner/repo/dir/model.bin` or `.gguf`: that file (and, for a `.bin`, the `tok*.bin` or
 *   `tokenizer.bin` beside it).
 * - `hf:owner/repo` or `hf:owner/repo/dir`: an HF model folder (config, tokenizer, safetensors).
 *
 * Downloads show progress, resume when cut, and are checked against the size and hash the Hub states
 * (`hub_download.ts`). `HF_ENDPOINT` replaces https://huggingface.co (a mirror, or a test server).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { ModelFormatError } from "./config.ts";
import { downloadFile } from "./hub_download.ts";
import { pathExists } from "../util/path_exists.ts";

/** The Hub's base URL: `HF_ENDPOINT` (as huggingface_hub reads it), else huggingface.co. */
function hub(): string {
  return (Deno.env.get("HF_ENDPOINT") ?? "https://huggingface.co").replace(/\/+$/, "");
}

function authHeaders(): Record<string, string> {
  const token = Deno.env.get("HF_TOKEN");
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Where downloads are kept. */
export function cacheDir(): string {
  const explicit = Deno.env.get("ROPEKIT_CACHE");
  if (explicit) return explicit;
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? ".";
  return join(home, ".cache", "ropekit");
}

/** Splits `hf:owner/repo/path` into repo and path (path may be empty). */
export function parseHfName(name: string): { repo: string; path: string } {
  const parts = name.slice("hf:".length).split("/").filter((p) => p !== "");
  if (parts.length < 2) throw new ModelFormatError(`${name}: expected hf:owner/repo[/path]`);
  return { repo: `${parts[0]}/${parts[1]}`, path: parts.slice(2).join("/") };
}

async function hubFetch(url: string, name: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: authHeaders() });
  } catch (e) {
    throw new ModelFormatError(
      `${name}: cannot download ${url} (${(e as Error).message}). Offline? Put the files under ` +
        `${cacheDir()}/hf/ or pass a local path instead.`,
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ModelFormatError(`${name}: ${url} answered HTTP ${res.status}`);
  }
  return res;
}

/** Downloads one repo file into the cache unless it is there; returns its local path. */
async function download(
  repo: string,
  file: string,
  name: string,
  kind: "model" | "dataset" = "model",
): Promise<string> {
  const local = join(cacheDir(), kind === "model" ? "hf" : "hf-datasets", repo, file);
  if (await pathExists(local)) return local;
  const url = `${hub()}/${kind === "model" ? "" : "datasets/"}${repo}/resolve/main/${file}`;
  await Deno.mkdir(dirname(local), { recursive: true });
  // Written beside the target and renamed once verified, so a cut download never looks complete.
  await downloadFile(url, local, `${name} ${file}`, { headers: authHeaders() }).catch((e) => {
    if (e instanceof ModelFormatError && !/HTTP|cannot reach/.test(e.message)) throw e;
    throw new ModelFormatError(
      `${e.message}. Offline? Put the files under ${cacheDir()}/hf/ or pass a local path instead.`,
    );
  });
  return local;
}

/** Files of a repo, from the Hub API. */
async function listFiles(repo: string, name: string): Promise<string[]> {
  const res = await hubFetch(`${hub()}/api/models/${repo}`, name);
  const info = await res.json() as { siblings?: { rfilename: string }[] };
  return (info.siblings ?? []).map((s) => s.rfilename);
}

const MODEL_FOLDER_FILES =
  /^(config\.json|tokenizer\.json|tokenizer_config\.json|.*\.safetensors(\.index\.json)?)$/;

/** Downloads what `name` needs and returns the local file or folder to load. */
export async function resolveHfName(name: string): Promise<string> {
  const { repo, path } = parseHfName(name);
  const local = join(cacheDir(), "hf", repo, path);
  const isFileName = /\.(bin|gguf)$/.test(path);
  // Already complete in the cache: no network needed.
  if (isFileName ? await pathExists(local) : await pathExists(join(local, "config.json"))) return local;
  const files = await listFiles(repo, name);
  const folder = isFileName ? dirname(path) : path;
  const inFolder = files.filter((
    f,
  ) => (folder === "." || folder === "" ? !f.includes("/") : dirname(f) === folder));
  const base = (f: string) => f.slice(f.lastIndexOf("/") + 1);
  let wanted: string[];
  if (isFileName) {
    if (!files.includes(path)) throw new ModelFormatError(`${name}: ${repo} has no file ${path}`);
    const tokenizers = path.endsWith(".bin")
      ? inFolder.filter((f) => /^(tokenizer|tok\d+)\.bin$/.test(base(f)))
      : [];
    wanted = [...tokenizers, path];
  } else {
    wanted = inFolder.filter((f) => MODEL_FOLDER_FILES.test(base(f)));
    if (!wanted.some((f) => base(f) === "config.json")) {
      throw new ModelFormatError(
        `${name}: no config.json in ${repo}/${path}; name a .bin or .gguf file instead`,
      );
    }
  }
  // config.json is what marks a folder complete (above), so it comes last: a cut download of the weights
  // must leave the folder looking incomplete, for the next run to resume it rather than fail to read them.
  const last = (f: string) => base(f) === "config.json" ? 1 : 0;
  for (const f of [...wanted].sort((a, b) => last(a) - last(b))) await download(repo, f, name);
  return local;
}

/**
 * `hf-dataset:owner/repo/path/file.txt`: one file of a dataset repo, downloaded once into the cache
 * (evaluation text for `compare`); returns its local path.
 */
export function resolveHfDatasetFile(name: string): Promise<string> {
  const { repo, path } = parseHfName(name.replace(/^hf-dataset:/, "hf:"));
  if (!path) throw new ModelFormatError(`${name}: expected hf-dataset:owner/repo/path`);
  return download(repo, path, name, "dataset");
}
