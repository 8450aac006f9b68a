/**
 * The import rules of docs/architecture.md, checked by `deno task check`: no import cycles among the
 * source modules, and each room imports only the rooms below it (server/ never imports cli/,
 * strategies/ nothing of the engine, kernels/ neither models nor strategies).
 *
 *   deno run --allow-read tools/check_imports.ts        # prints each violation, exits 1 if any
 *   deno run --allow-read --allow-write tools/check_imports.ts --write-docs   # rewrites docs/architecture.md's table
 *
 * The rooms table in docs/architecture.md is generated from {@linkcode ALLOWED}, and the check fails when
 * the two disagree.
 *
 * Imports are read from the source text (static `import`/`export … from` and literal `import("…")`),
 * which is all this codebase uses; type-only imports count too, since a cycle of types is still a cycle
 * in the design.
 *
 * @module
 */
import { join, relative } from "node:path";
import { localImports } from "../util/local_imports.ts";

/**
 * The rooms each room may import (besides itself): the import graph of docs/architecture.md as data.
 * An import of any other room is an upward or sideways edge, reported.
 */
export const ALLOWED: Record<string, string[]> = {
  util: [],
  kernels: [],
  strategies: ["util"],
  plugins: ["strategies", "util"],
  model: ["kernels", "strategies", "util"],
  eval: ["kernels", "model", "strategies", "util"],
  search: ["eval", "model", "strategies", "util"],
  entries: ["plugins", "search", "strategies", "util"],
  compare: ["entries", "eval", "model", "strategies", "util"],
  train: ["kernels", "model", "strategies", "util"],
  queue: ["compare", "eval", "model", "search", "strategies", "util"],
  export: ["entries", "model", "strategies", "util"],
  engines: ["entries", "export", "model", "strategies", "util"],
  server: [
    "compare",
    "entries",
    "eval",
    "export",
    "model",
    "plugins",
    "queue",
    "search",
    "strategies",
    "util",
  ],
  web: ["compare", "eval", "plugins", "strategies", "util"],
  cli: [
    "compare",
    "engines",
    "entries",
    "eval",
    "export",
    "kernels",
    "model",
    "plugins",
    "queue",
    "search",
    "server",
    "strategies",
    "train",
    "util",
  ],
};

/** Folders whose modules are checked (cli/ may import every room, but no cycles; tests, benches and tools anything). */
const ROOMS = Object.keys(ALLOWED);

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* sourceFiles(path);
    else if (e.isFile && /\.tsx?$/.test(e.name)) yield path;
  }
}

/** The strongly connected components with more than one module (or a self-import): the cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], on = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index), low.set(v, index++), stack.push(v), on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!));
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do (w = stack.pop()!, on.delete(w), scc.push(w)); while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** Every violation of the rules in the tree rooted at `root`, as lines to print. */
export async function importViolations(root: string): Promise<string[]> {
  const graph = new Map<string, string[]>();
  const problems: string[] = [];
  for (const room of ROOMS) {
    try {
      await Deno.stat(join(root, room));
    } catch {
      continue;
    }
    for await (const abs of sourceFiles(join(root, room))) {
      const file = relative(root, abs);
      const deps = localImports(file, await Deno.readTextFile(abs));
      graph.set(file, deps);
      for (const dep of deps) {
        const target = dep.split("/")[0];
        if (target !== room && !ALLOWED[room].includes(target)) {
          problems.push(
            `${file} imports ${dep}: ${room}/ may import only ${ALLOWED[room].join(", ") || "itself"}`,
          );
        }
      }
    }
  }
  for (const scc of cycles(graph)) problems.push(`import cycle: ${scc.join(" ↔ ")}`);
  return problems;
}

const GRAPH_BEGIN = "<!-- rooms: written by tools/check_imports.ts --write-docs from its ALLOWED table -->";
const GRAPH_END = "<!-- end rooms -->";

/** The rooms block of `text` with the padding `deno fmt` adds removed, for comparison. */
function tableOnly(text: string): string {
  const block = text.slice(text.indexOf(GRAPH_BEGIN), text.indexOf(GRAPH_END));
  return block.replace(/ {2,}/g, " ").replace(/-{3,}/g, "---").replace(/\n+/g, "\n");
}

/** The rooms and what each may import, as the markdown table docs/architecture.md carries. */
export function roomTable(): string {
  const rows = ROOMS.map((room) =>
    `| \`${room}/\` | ${ALLOWED[room].map((r) => `\`${r}/\``).join(", ") || "—"} |`
  );
  return [GRAPH_BEGIN, "", "| room | may import |", "| --- | --- |", ...rows, "", GRAPH_END].join("\n");
}

/** `text` with its rooms table replaced by {@linkcode roomTable}; throws when the markers are missing. */
export function withRoomTable(text: string): string {
  const a = text.indexOf(GRAPH_BEGIN), b = text.indexOf(GRAPH_END);
  if (a < 0 || b < a) throw new Error(`docs/architecture.md has no "${GRAPH_BEGIN}" … "${GRAPH_END}" block`);
  return text.slice(0, a) + roomTable() + text.slice(b + GRAPH_END.length);
}

if (import.meta.main) {
  const docs = join(Deno.cwd(), "docs", "architecture.md");
  const text = await Deno.readTextFile(docs);
  if (Deno.args.includes("--write-docs")) {
    await Deno.writeTextFile(docs, withRoomTable(text));
  } else if (tableOnly(withRoomTable(text)) !== tableOnly(text)) {
    console.error(
      "docs/architecture.md's rooms table differs from ALLOWED: run tools/check_imports.ts --write-docs",
    );
    Deno.exit(1);
  }
  const problems = await importViolations(Deno.cwd());
  for (const p of problems) console.error(p);
  if (problems.length) Deno.exit(1);
  console.error("imports: no cycles, no upward imports");
}
