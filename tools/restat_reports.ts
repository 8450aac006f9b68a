/**
 * Re-derives the statistics of committed compare reports from the per-document scores they hold, with
 * today's `compare/statistics.ts` (issue 22: exact tests, Holm, verdicts), without re-running a model. The
 * scores, documents and settings are the original run's; only `statistics`, `comparisons`, `verdicts` and
 * `power` change, plus what reports written before issue 22 did not declare: that passkey and pet-choice
 * scores are 0/1, and which perplexity windows overlap (from the offsets each ppl cell recorded). The report
 * says so in `statistics.recomputed`.
 *
 *   deno run --allow-read --allow-write tools/restat_reports.ts DIR_OR_JSON...
 *
 * A folder gets its whole report rewritten (report.json, report.html, report.txt, charts); a .json file
 * (e.g. a fine-tune evaluation written by `compare --json`) only itself.
 *
 * @module
 */
import type { CompareReport } from "../compare/report_types.ts";
import { pairedComparisons } from "../compare/statistics.ts";
import { writeReport } from "../compare/report.ts";
import { nonOverlapping, overlapNote } from "../eval/window_overlap.ts";

/** The metrics whose scores are exact matches, 1 or 0 (eval/metrics/retrieval.ts declares `binary`). */
const BINARY = new Set(["passkey", "pet-choice"]);

/** The report with its statistics re-derived. */
export function restat(r: CompareReport, by: string): CompareReport {
  const metrics = r.metrics.map((m) => (BINARY.has(m.id) ? { ...m, binary: true } : { ...m }));
  const ppl = metrics.find((m) => m.id === "ppl");
  if (ppl) {
    const notes: string[] = [];
    for (const col of ppl.columns) {
      const offsets = (s: CompareReport["strategies"][number]) =>
        (s.metrics.ppl?.detail as Record<string, { offsets?: number[] }> | undefined)?.[col.key]?.offsets;
      const first = r.strategies.map(offsets).find((o) => o);
      if (!first) continue;
      if (r.strategies.some((s) => offsets(s) && JSON.stringify(offsets(s)) !== JSON.stringify(first))) {
        throw new Error(`ppl@${col.key}: strategies were scored on different windows`);
      }
      const keep = nonOverlapping(first, col.length - 1);
      const note = overlapNote(first, col.length - 1, col.length);
      if (!note) continue;
      notes.push(note);
      for (const s of r.strategies) {
        const cell = s.metrics.ppl?.cells[col.key];
        if (cell) cell.independent = keep;
      }
    }
    // Drop any overlap account already there (this tool's earlier wording included), then state it anew.
    const old = (ppl.note ?? "").replace(/(^|; )windows of \d+ overlap.*?share no token/g, "").replace(
      /^; /,
      "",
    );
    const all = [...(old ? [old] : []), ...notes];
    if (all.length) ppl.note = all.join("; ");
    else delete ppl.note;
  }
  const reference = r.statistics.reference === "best per column" ? undefined : r.statistics.reference;
  const stats = pairedComparisons(metrics, r.strategies, { seed: r.statistics.seed, reference });
  return {
    ...r,
    metrics,
    ...stats,
    statistics: { ...stats.statistics, recomputed: by },
  };
}

if (import.meta.main) {
  const by =
    "tools/restat_reports.ts from the report's per-document scores (issue 22); scores from the original run";
  for (const path of Deno.args) {
    const isDir = (await Deno.stat(path)).isDirectory;
    const file = isDir ? `${path.replace(/\/$/, "")}/report.json` : path;
    const r = restat(JSON.parse(await Deno.readTextFile(file)) as CompareReport, by);
    if (isDir) await writeReport(r, path);
    else await Deno.writeTextFile(file, JSON.stringify(r, null, 2) + "\n");
    console.log(`re-derived ${file}: ${r.comparisons.length} comparisons`);
  }
}
