/**
 * The web page: web/index.html plus web/main.ts bundled (with uPlot and its CSS) by `deno bundle`.
 * The bundle is cached in `.build/web/` under a hash of its inputs (web/, every module web/main.ts
 * imports, deno.json), so start-up rebuilds only after one of them changed (about a second when it does).
 *
 * @module
 */
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { localImports } from "../util/local_imports.ts";

/** The page and its bundle, held in memory. */
export interface WebAssets {
  html: string;
  js: string;
  css: string;
}

const root = fileURLToPath(new URL("../", import.meta.url));
const webDir = join(root, "web");
/** Where the bundle is cached (git-ignored). */
export const WEB_BUILD_DIR = join(root, ".build", "web");

/**
 * The files the bundle is built from: everything in web/ and every repository module web/main.ts
 * reaches (compare/report_view.ts, util/svg_chart.ts, …), so that a change to any of them rebuilds it.
 */
export async function bundleInputs(): Promise<string[]> {
  const files = new Set<string>();
  for await (const e of Deno.readDir(webDir)) if (e.isFile) files.add(join(webDir, e.name));
  const seen = new Set<string>(), queue = [join(webDir, "main.ts")];
  for (let path; (path = queue.pop()) !== undefined;) {
    if (seen.has(path)) continue;
    seen.add(path);
    files.add(path);
    if (!/\.tsx?$/.test(path)) continue; // style.css: read whole, imports nothing
    queue.push(...localImports(path, await Deno.readTextFile(path)));
  }
  return [...files].sort();
}

async function inputsHash(): Promise<string> {
  const parts = [Deno.version.deno, await Deno.readTextFile(join(root, "deno.json"))];
  for (const path of await bundleInputs()) parts.push(relative(root, path), await Deno.readTextFile(path));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\0")));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function readOr(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/** Builds the bundle when its inputs changed; `log` hears what happened. */
export async function buildWebAssets(log: (line: string) => void = () => {}): Promise<WebAssets> {
  const hash = await inputsHash();
  const stamp = join(WEB_BUILD_DIR, "inputs.sha256");
  if (await readOr(stamp) !== hash) {
    log(`building the web bundle into ${WEB_BUILD_DIR}`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "browser",
        "--minify",
        "--outdir",
        WEB_BUILD_DIR,
        join(webDir, "main.ts"),
      ],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) throw new Error(`deno bundle failed:\n${new TextDecoder().decode(out.stderr)}`);
    await Deno.writeTextFile(stamp, hash);
  }
  return {
    html: await Deno.readTextFile(join(webDir, "index.html")),
    js: await Deno.readTextFile(join(WEB_BUILD_DIR, "main.js")),
    css: await Deno.readTextFile(join(WEB_BUILD_DIR, "main.css")),
  };
}
