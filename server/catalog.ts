/**
 * The models and texts a server may use, by id. Clients only ever send ids; the path behind an id is
 * the operator's (`--model`, `--model-dir`, `--text`), so no request can make the server open a file
 * it was not given.
 *
 * @module
 */
import { basename, join, relative } from "node:path";

/** A model or text the server can load. */
export interface CatalogEntry {
  id: string;
  /** What loadModel / loadCorpus receive: a path, or an `hf:` / `hf-dataset:` name. */
  source: string;
  /** `bin` (llama2.c), `gguf`, `hf-folder`, `hf-hub`, `text`. */
  format: string;
  /** Where the operator declared it. */
  origin: "flag" | "model-dir" | "default";
}

/** llama2.c tokenizers share the `.bin` extension with checkpoints; they are not models. */
const TOKENIZER_FILE = /^(tokenizer|tok\d+)\.bin$/;
/** How deep `--model-dir` is searched (dir/family/model.bin is the usual layout). */
const SCAN_DEPTH = 3;

function formatOf(source: string): string {
  if (source.startsWith("hf:")) return "hf-hub";
  if (source.endsWith(".gguf")) return "gguf";
  if (source.endsWith(".bin")) return "bin";
  return "hf-folder";
}

function uniqueId(wanted: string, taken: Set<string>): string {
  let id = wanted;
  for (let n = 2; taken.has(id); n++) id = `${wanted}-${n}`;
  taken.add(id);
  return id;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function scanDir(root: string, dir: string, depth: number, out: string[]): Promise<void> {
  const names: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) names.push(e);
  } catch {
    return; // an unreadable folder holds no models we could load anyway
  }
  names.sort((a, b) => a.name.localeCompare(b.name));
  if (names.some((e) => e.name === "config.json") && names.some((e) => e.name.endsWith(".safetensors"))) {
    out.push(dir);
    return;
  }
  for (const e of names) {
    const path = join(dir, e.name);
    if (e.isFile && (e.name.endsWith(".gguf") || (e.name.endsWith(".bin") && !TOKENIZER_FILE.test(e.name)))) {
      out.push(path);
    } else if (e.isDirectory && depth > 1 && !e.name.startsWith(".")) {
      await scanDir(root, path, depth - 1, out);
    }
  }
}

/** The models: each `--model` (id: its file name), then what `--model-dir` holds (id: path inside it). */
export async function listModels(models: readonly string[], modelDir?: string): Promise<CatalogEntry[]> {
  const taken = new Set<string>();
  const out: CatalogEntry[] = models.map((source) => ({
    id: uniqueId(source.startsWith("hf:") ? source : basename(source.replace(/\/$/, "")), taken),
    source,
    format: formatOf(source),
    origin: "flag",
  }));
  if (modelDir && await isDir(modelDir)) {
    const found: string[] = [];
    await scanDir(modelDir, modelDir, SCAN_DEPTH, found);
    for (const path of found) {
      out.push({
        id: uniqueId(relative(modelDir, path), taken),
        source: path,
        format: formatOf(path),
        origin: "model-dir",
      });
    }
  }
  return out;
}

/** The evaluation texts: each `--text` (id: its file name), else the CLI's default. */
export function listTexts(texts: readonly string[], fallback: string): CatalogEntry[] {
  const taken = new Set<string>();
  const sources = texts.length ? texts : [fallback];
  return sources.map((source) => ({
    id: uniqueId(basename(source), taken),
    source,
    format: "text",
    origin: texts.length ? "flag" : "default",
  }));
}
