/**
 * The local modules a TypeScript source imports: static `import`/`export … from` and literal `import("…")`
 * specifiers that start with "." (all this codebase uses), resolved against the importing file. One reader
 * for the import-rules check (tools/check_imports.ts) and the web bundle's cache key (server/web_assets.ts).
 * @module
 */
import { dirname, join, normalize } from "node:path";

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** The paths of the local modules `text` (the source of `file`) imports, in source order. */
export function localImports(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith(".")) out.push(normalize(join(dirname(file), spec)));
  }
  return out;
}
