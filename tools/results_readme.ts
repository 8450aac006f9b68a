/**
 * Writes docs/results/README.md from the reports `docs/results/run.sh` produced: the tables, the search
 * seeds, and every verdict worded from its exact test — a difference is called a finding only where its
 * Holm-adjusted p-value is below 0.05, and "not significant" otherwise; claims across seeds are tested
 * at the seed level. Nothing numeric in the README is typed by hand, so a
 * rerun with other results rewrites the verdicts with them.
 *
 *   deno run --allow-read --allow-write tools/results_readme.ts
 *   deno run --allow-read tools/results_readme.ts --check   # exit 1 if README.md is not what the reports give
 *
 * @module
 */
import { join } from "node:path";
import type { CompareReport, Comparison, MetricInfo } from "../compare/compare.ts";
import { columnsOf } from "../compare/report_view.ts";
import { formatDifference, formatValue } from "../eval/metrics/metric.ts";
import { pairedComparison } from "../util/paired_comparison.ts";
import { holmAdjust } from "../util/holm.ts";
import { oneSampleT } from "../util/stats.ts";
import { formatP } from "../compare/report_view.ts";
import type { SeedSpreadFile, Spread } from "../search/seed_spread.ts";
import type { SearchResultFile } from "../search/result.ts";
import { pathExists } from "../util/path_exists.ts";

const DIR = new URL("../docs/results/", import.meta.url).pathname;
const read = async <T>(file: string): Promise<T> => JSON.parse(await Deno.readTextFile(join(DIR, file))) as T;

/** `name@docs/results/<dir>/<name>_<T>_seed<s>.json` reads as "name (searched, seed s)". */
const short = (label: string) =>
  label.replace(/^(\w+)@\S*_seed(\d+)\.json$/, "$1 (searched, seed $2)").replace(
    /^(\w+)@\S*\.json$/,
    "$1 (searched)",
  );

const fmtCi = (info: MetricInfo, c: Pick<Comparison, "difference" | "ci95">) =>
  `${formatDifference(info, c.difference)} [${formatDifference(info, c.ci95[0])}, ${
    formatDifference(info, c.ci95[1])
  }]`;

/** "McNemar 1:6 p 0.13; Holm p 0.50" / "sign-flip p 0.0020; Holm p 0.012": the test behind a verdict. */
const testSaid = (c: Pick<Comparison, "test" | "p" | "pAdjusted" | "discordant">) =>
  `${c.discordant ? `McNemar ${c.discordant[0]}:${c.discordant[1]}` : "sign-flip"} p ${
    formatP(c.p)
  }; Holm p ${formatP(c.pAdjusted)}`;

/** One comparison in words: the difference, its interval, the exact test, and whether it is a finding. */
function said(r: CompareReport, c: Comparison): string {
  const info = r.metrics.find((m) => m.id === c.metric)!;
  const eq = c.equivalence?.equivalent
    ? ` (equivalent within ±${formatDifference(info, c.equivalence.margin).replace(/^\+/, "")})`
    : "";
  return `${short(c.a)} − ${short(c.b)}: ${fmtCi(info, c)} ${info.scoreUnit.replace(/^.*[,:] /, "")} (${
    testSaid(c)
  }), ${c.significant ? "**significant**" : "not significant"}${eq}`;
}

/** A report's table in Markdown: value ± SE; **bold** = best, `~` = not distinguishable from the top, `≡` = equivalent to it. */
function table(r: CompareReport): string {
  const cols = columnsOf(r);
  const rows = r.strategies.map((s, i) =>
    `| ${short(s.label)} | ${
      cols.map((c) => {
        const v = c.cells[i];
        if (!v) return "–";
        const text = `${formatValue(c.info, v.value)} ± ${formatValue(c.info, v.stderr)}`;
        const eq = c.equivalent[i] ? " ≡" : "";
        return c.marks[i] === "best"
          ? `**${text}**${eq}`
          : c.marks[i] === "indistinguishable"
          ? `${text} ~${eq}`
          : `${text}${eq}`;
      }).join(" | ")
    } |`
  );
  const baseline = r.metrics.find((m) => m.baseline);
  return [
    `| strategy | ${cols.map((c) => c.header).join(" | ")} |`,
    `| --- | ${cols.map(() => "---").join(" | ")} |`,
    ...(baseline
      ? [
        `| ${baseline.baseline!.label} | ${
          cols.map((c) => c.baseline === undefined ? "" : formatValue(c.info, c.baseline)).join(" | ")
        } |`,
      ]
      : []),
    ...rows,
  ].join("\n");
}

/** Per column: the best with its closest evidence, or the strategies not distinguishable from the top. */
function verdicts(r: CompareReport): string {
  return columnsOf(r).map((c) => {
    const v = r.verdicts.find((v) => v.metric === c.info.id && v.length === c.length);
    if (!v) return `- ${c.header}: no comparison`;
    const ranked = r.strategies.filter((s) => s.metrics[c.info.id]?.cells[c.key]).sort((a, b) =>
      (c.info.better === "lower" ? 1 : -1) *
      (a.metrics[c.info.id].cells[c.key].mean - b.metrics[c.info.id].cells[c.key].mean)
    );
    // The runner-up against the leader, listed either way round (a named reference may be either of them).
    const listed = (a?: string, b?: string) =>
      r.comparisons.find((x) => x.metric === c.info.id && x.length === c.length && x.a === a && x.b === b);
    const straight = listed(ranked[1]?.label, ranked[0].label);
    const reversed = listed(ranked[0].label, ranked[1]?.label);
    const runnerUp = straight ?? (reversed && {
      ...reversed,
      a: reversed.b,
      b: reversed.a,
      difference: -reversed.difference,
      ci95: [-reversed.ci95[1], -reversed.ci95[0]] as [number, number],
    });
    const evidence = runnerUp ? ` (runner-up ${said(r, runnerUp)})` : "";
    const power = r.power?.find((p) => p.metric === c.info.id && p.column === c.key);
    const floor = power ? `; power: ${power.text}` : "";
    const list = v.notDistinguishable ?? v.tied ?? [];
    return v.best
      ? `- ${c.header}: best ${
        short(v.best)
      }, significantly better than every other strategy${evidence}${floor}`
      : `- ${c.header}: no best — ${list.length} not distinguishable from the top: ${
        list.map(short).join(", ")
      }${evidence}${floor}`;
  }).join("\n");
}

/** Every comparison against the report's named reference, in words. */
function againstReference(r: CompareReport): string {
  const ref = r.statistics.reference;
  return columnsOf(r).map((c) => {
    const list = r.comparisons.filter((x) => x.metric === c.info.id && x.length === c.length && x.b === ref);
    return `- ${c.header}: ${list.map((x) => said(r, x).replace(` − ${short(ref)}`, "")).join("; ")}`;
  }).join("\n");
}

/** What a found k can say: one candidate only, or every seed at an end of the searched range. */
function boundary(candidates: [number, number] | undefined, ks: number[]): string {
  if (!candidates) return "";
  const [lo, hi] = candidates;
  if (lo === hi) return ` The range holds one candidate, so k was not searched: only the factors were.`;
  if (ks.every((k) => k === hi)) {
    return ` Every seed found the top of the searched range, which is the theoretical value itself: the search could ` +
      `not have found a larger k, so this agrees with the theory without testing whether k should be higher.`;
  }
  if (ks.every((k) => k === lo)) return ` Every seed found the bottom of the searched range.`;
  return "";
}

const range = (s: Spread, digits = 2) =>
  s.min === s.max ? s.min.toFixed(digits) : `${s.min.toFixed(digits)}–${s.max.toFixed(digits)}`;

/** A search run with seeds: one row per seed, the k count against the theoretical index, the factor spread. */
async function searchSection(title: string, stem: string): Promise<string> {
  const spread = await read<SeedSpreadFile>(`${stem}_seeds.json`);
  const results = await Promise.all(
    spread.runs.map(async (run) => ({
      run,
      r: await read<SearchResultFile>(run.file.replace(/^docs\/results\//, "")),
    })),
  );
  const first = results[0].r;
  const rows = results.map(({ run, r }) =>
    `| ${run.seed} | ${run.critical_index ?? "–"} | ${run.search_fitness?.toFixed(3) ?? "–"} | ${
      run.fitness.toFixed(3)
    } ± ${(run.fitness * (run.fitness_stderr ?? NaN)).toFixed(3)} | ${r.evaluations.total} + ${
      r.finalists?.length ?? 0
    } | ${r.elapsed_seconds.toFixed(0)} s |`
  );
  const out = [
    `### ${title}`,
    "",
    `\`${stem}_seeds.json\`; best re-scored (by point estimate: differences between seeds are not tested): seed ${spread.best.seed} (\`${
      spread.best.file.replace(/^docs\/results\//, "")
    }\`).`,
    "",
    "| seed | critical index k found (0-based) | search fitness | re-scored fitness ± SE | evaluations + finalists | time |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ];
  if (spread.critical_index) {
    const counts = Object.entries(spread.critical_index.counts).map(([k, n]) => `k = ${k} in ${n}`).join(
      ", ",
    );
    const ks = spread.runs.map((r) => r.critical_index!);
    const space = first.settings.space as { critical_range?: [number, number]; box?: [number, number] };
    // One definition of the theoretical k (search/critical_verdict.ts); older results without a verdict give
    // the official code's default only.
    const theory = first.critical_index_verdict?.theoretical_k;
    const said = theory === undefined
      ? `Theoretical (0-based, the official default ⌈x⌉ − 1): **${spread.critical_index.default_critical_index}**`
      : `Theoretical: the critical pair ⌈x⌉ = **${theory}** (0-based, \`strategies/critical.ts\`); the official ` +
        `code's default ⌈x⌉ − 1 = ${spread.critical_index.default_critical_index}`;
    out.push(
      `Found critical index: ${counts} of ${spread.runs.length} seeds. ${said} (d_tcd = ⌈x⌉ = ${first.theoretical_critical_dim}, ` +
        `d¹⁰_tcd = ⌈x₁₀⌉ = ${first.ten_period_critical_dim}, both 0-based pairs${
          space.critical_range ? `; candidates searched: ${space.critical_range.join("–")}` : ""
        }${space.box ? `; factors above k in [${space.box.join(", ")}]` : ""}).${
          boundary(space.critical_range, ks)
        }`,
      "",
    );
  }
  const factors = spread.params.long_factor;
  if (Array.isArray(factors)) {
    out.push(`Factors λ_i across seeds (min–max per pair): ${factors.map((s) => range(s)).join(", ")}.`, "");
  }
  return out.join("\n");
}

/** The fine-tuning summary written by tools/finetune_results.ts. */
interface FinetuneSummary {
  seeds: number;
  strategies: string[];
  verdicts: {
    view: string;
    seed: number;
    metric: string;
    length: number;
    best?: string;
    notDistinguishable: string[];
  }[];
  steps: number;
  comparisons: {
    view: string;
    metric: string;
    length: number;
    a: string;
    b: string;
    meanDifference: number;
    perSeed: (Comparison & { seed: number })[];
    seedLevel: { seeds: number; ci95: [number, number]; p: number; pAdjusted: number; significant: boolean };
  }[];
}

/** The seed-level verdict: "across 3 seeds (t over seed means): d [lo, hi] (p …; Holm p …), not significant". */
function acrossSeeds(info: MetricInfo, e: FinetuneSummary["comparisons"][number]): string {
  const s = e.seedLevel;
  return `across ${s.seeds} seeds (t over seed means) ${
    fmtCi(info, { difference: e.meanDifference, ci95: s.ci95 })
  } (p ${formatP(s.p)}; Holm p ${formatP(s.pAdjusted)}), ${
    s.significant ? "**significant**" : "not significant"
  }`;
}

const report = (dir: string) => read<CompareReport>(join(dir, "report.json"));

const builtin = await report("stories260K_builtin");
const facts = await report("facts837K_searched_2048");
const stories = await report("stories260K_searched_2048");
const ft = await read<FinetuneSummary>("finetune/default/summary.json");
const ftTable = (await Deno.readTextFile(join(DIR, "finetune/default/table.md"))).split("\n").slice(2).join(
  "\n",
)
  .replace(/^## /gm, "#### ");
const factsBest = (await read<SeedSpreadFile>("search_facts837K/longrope2_2048_seeds.json")).best;
const metricOf = (id: string) => facts.metrics.find((m) => m.id === id)!;

/** The fine-tuning comparisons of one view and metric column, in words with per-seed intervals. */
function ftSaid(
  view: string,
  a: string,
  metric: string,
  length: number,
  summary = ft,
  infoOf = metricOf,
): string {
  const e = summary.comparisons.find((x) =>
    x.view === view && x.a === a && x.metric === metric && x.length === length
  );
  if (!e) return `(${a} on ${metric}@${length}: not measured)`;
  const info = infoOf(metric);
  return `${metric}@${length} (${info.better} is better) ${e.a} − ${e.b}: ${acrossSeeds(info, e)}; per seed ${
    e.perSeed.map((c) => fmtCi(info, c)).join("; ")
  }`;
}
const T = 2048, L = 256;
/** Per seed, who leads a column within a regime (a best only when significantly ahead of every other). */
function leaders(regime: string, metric: string, length: number, summary = ft): string {
  const list = summary.verdicts.filter((v) =>
    v.view === `regime: ${regime}` && v.metric === metric && v.length === length
  );
  return `${metric}@${length}: ${
    list.map((v) =>
      `seed ${v.seed} ${
        v.best ? `best ${v.best}` : `not distinguishable: ${v.notDistinguishable.join(", ")}`
      }`
    ).join("; ")
  }`;
}
/** Every strategy against YaRN in one regime on one column, briefly. */
function allVsYarn(regime: string, metric: string, length: number): string {
  const info = metricOf(metric);
  return ft.comparisons.filter((e) =>
    e.view === `regime: ${regime}` && e.metric === metric && e.length === length
  )
    .map((e) => `${e.a} − ${e.b} ${acrossSeeds(info, e)}`).join("; ");
}
const searchedFacts = `longrope2@${factsBest.file}`;
const factsVsYarn = (metric: string, label: string) => {
  const c = facts.comparisons.find((x) =>
    x.metric === metric && x.length === T && x.a === label && x.b === "yarn"
  );
  return c ? `${metric}@${T} ${said(facts, c)}` : "(not compared)";
};
/**
 * Each searched seed of \`name\` against its unsearched defaults (pairs the report did not list): the same
 * exact paired test as \`compare\`, on the two strategies' per-document scores from the report, Holm-adjusted
 * over the seeds of this statement; then the claim "the search helps" at the seed level — a one-sample t
 * interval over the seeds' mean differences (the documents are the same for every seed, so this holds the
 * search's variation between seeds, not the documents').
 */
function searchedVsDefaults(r: CompareReport, metric: string, name = "longrope2"): string {
  const info = r.metrics.find((m) => m.id === metric)!;
  const cell = (label: string) => {
    const c = r.strategies.find((s) => s.label === label)!.metrics[metric].cells[`${T}`];
    return (c.independent ?? c.scores.map((_, i) => i)).map((i) => c.scores[i]);
  };
  const seeds = r.strategies.filter((s) => s.label.startsWith(`${name}@`) && /_seed\d+\.json$/.test(s.label));
  const list: Comparison[] = seeds.map((s) => {
    const { equivalence: _none, ...d } = pairedComparison(cell(s.label), cell(name), {
      binary: info.binary,
      seed: r.statistics.seed,
    });
    return {
      metric,
      length: T,
      a: s.label,
      b: name,
      ...d,
      pAdjusted: NaN,
      family: "this statement",
      significant: false,
    };
  });
  holmAdjust(list.map((c) => c.p)).forEach((p, i) => {
    list[i].pAdjusted = p;
    list[i].significant = p < 0.05;
  });
  const t = oneSampleT(list.map((c) => c.difference));
  return `${list.map((c) => said(r, c)).join("; ")}; across the ${t.n} search seeds (t over seed means): ${
    fmtCi(info, { difference: t.mean, ci95: t.ci95 })
  } (p ${formatP(t.p)}), ${t.p < 0.05 ? "**significant**" : "not significant"}`;
}

/** Whether a file under docs/results exists (parts of run.sh not yet run are said to be missing). */
const have = (file: string): Promise<boolean> => pathExists(join(DIR, file));

/** Each seed's per-k table of a LongRoPE2 search: every k's best genome re-scored, against the theoretical k. */
async function criticalIndexTables(stem: string): Promise<string> {
  const spread = await read<SeedSpreadFile>(`${stem}_seeds.json`);
  const out: string[] = [];
  for (const run of spread.runs) {
    const r = await read<SearchResultFile>(run.file.replace(/^docs\/results\//, ""));
    const v = r.critical_index_verdict;
    if (!v) continue;
    const f3 = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(3)}`;
    out.push(
      `Seed ${run.seed}: candidates k = ${v.range[0]}–${
        v.range[1]
      } (0-based), theoretical k = ${v.theoretical_k} ` +
        `(the official code's default ⌈x⌉ − 1 = ${v.official_default_k}); the search selected k = ${v.selected_k}, ` +
        `the best re-scored k is ${v.best_rescored_k}.`,
      "",
      "| k | search fitness | re-scored fitness (exp mean NLL) ± SE (nats) | documents | k − theoretical k: Δ mean NLL [95% CI], p |",
      "| --- | --- | --- | --- | --- |",
      ...v.rows.map((row) =>
        `| ${row.k}${row.k === v.theoretical_k ? " (theory)" : ""}${
          row.k === v.selected_k ? " (selected)" : ""
        } | ${row.search_fitness.toFixed(3)} | ${row.rescored_fitness.toFixed(3)} ± ${
          row.stderr.toFixed(3)
        } | ${row.n} | ${
          row.vs_theory
            ? `${f3(row.vs_theory.difference)} [${f3(row.vs_theory.ci95[0])}, ${
              f3(row.vs_theory.ci95[1])
            }], p ${formatP(row.vs_theory.p)}`
            : "—"
        } |`
      ),
      "",
      `Verdict: ${v.statement}`,
      "",
    );
  }
  return out.join("\n");
}

/** Section 5: recall-needle and the paper's own needle (issue 25); a part run.sh has not run yet says so. */
async function recallSection(): Promise<string> {
  const out = [
    "## 5. The paper's needle: recall-needle, 256 → 2048 (8×)",
    "",
    "`models/recall-needle` was trained on a corpus that never contains the evaluation's sentences (its card), so",
    "the 7-digit magic number is retrieved by a skill, not recited. `run.sh` step 6.",
    "",
  ];
  if (await have("recall_l0/report.json")) {
    const r = await report("recall_l0");
    out.push(
      "### Within L0 (`recall_l0/`)",
      "",
      table(r),
      "",
      ...r.metrics.filter((m) => m.note).map((m) => `- ${m.id}: ${m.note}`),
      "",
    );
  } else out.push("Within L0: not run yet (`run.sh` step 6a).", "");
  if (await have("search_recall/longrope2_2048_seeds.json")) {
    out.push(
      await searchSection(
        "LongRoPE2 searched with the magic-number needle, 256 → 2048 (search.txt)",
        "search_recall/longrope2_2048",
      ),
      "#### Every candidate k re-scored on fresh documents",
      "",
      await criticalIndexTables("search_recall/longrope2_2048"),
    );
  } else out.push("LongRoPE2 search: not run yet (`run.sh` step 6b).", "");
  if (await have("recall_searched_2048/report.json")) {
    const r = await report("recall_searched_2048");
    out.push(
      "### Every strategy training-free at 2048 on eval.txt (`recall_searched_2048/`)",
      "",
      table(r),
      "",
      verdicts(r),
      "",
      "Against YaRN:",
      "",
      againstReference(r),
      "",
      `Does the search help on held-out text? Each searched seed against LongRoPE2's unsearched defaults, ` +
        `needle@${T}: ${searchedVsDefaults(r, "needle")}; passkey@${T}: ${searchedVsDefaults(r, "passkey")}.`,
      "",
    );
  } else out.push("Training-free comparison at 2048: not run yet (`run.sh` step 6c).", "");
  if (await have("finetune/recall/summary.json")) {
    const ftText = (await Deno.readTextFile(join(DIR, "finetune/recall/table.md"))).split("\n").slice(2).join(
      "\n",
    )
      .replace(/^## /gm, "#### ");
    const rs = await read<FinetuneSummary>("finetune/recall/summary.json");
    const infos = (await report("recall_searched_2048")).metrics;
    const infoOf = (id: string) => infos.find((m) => m.id === id)!;
    const said = (view: string, a: string, metric: string, length: number) =>
      ftSaid(view, a, metric, length, rs, infoOf);
    const lr2 = "LongRoPE2 (searched)", mixed = "fine-tuned, mixed windows", plain = "fine-tuned, no mixing";
    out.push(
      "### The table in miniature at the seed level (`finetune/recall/`)",
      "",
      `\`deno run -A tools/finetune_results.ts recall --strategies ${
        rs.strategies.join(",")
      } --seeds ${rs.seeds} ` +
        `--steps ${rs.steps}\` (\`run.sh\` step 6d), as section 4 but on recall-needle with the magic-number needle ` +
        "and the numeric passkey; LongRoPE2 is the searched one above (its best re-scored seed).",
      "",
      ftText,
      "",
      "#### What the seed level says",
      "",
      `- LongRoPE2 against YaRN with mixed windows: ${said(`regime: ${mixed}`, lr2, "needle", T)}; ${
        said(`regime: ${mixed}`, lr2, "passkey", T)
      }; ${said(`regime: ${mixed}`, lr2, "ppl", T)}.`,
      `- LongRoPE2 against YaRN without mixing: ${said(`regime: ${plain}`, lr2, "needle", T)}; ${
        said(`regime: ${plain}`, lr2, "passkey", T)
      }.`,
      `- Training-free, LongRoPE2 against YaRN: ${said("regime: training-free", lr2, "needle", T)}; ${
        said("regime: training-free", lr2, "passkey", T)
      }.`,
      `- Mixed windows against none, LongRoPE2: ${said(`strategy: ${lr2}`, mixed, "ppl", L)}; ${
        said(`strategy: ${lr2}`, mixed, "needle", T)
      }. YaRN: ${said("strategy: YaRN", mixed, "ppl", L)}; ${said("strategy: YaRN", mixed, "needle", T)}.`,
      `- Who leads with mixed windows, per seed: ${leaders(mixed, "needle", T, rs)}; ${
        leaders(mixed, "passkey", T, rs)
      }.`,
      "",
    );
  } else {
    out.push(
      "The table in miniature at the seed level (`run.sh` step 6d: 6 strategies × 3 regimes × 5 seeds, 60 " +
        "fine-tuning steps each): not run yet.",
      "",
    );
  }
  return out.join("\n");
}
const recall = await recallSection();

const text = `# Results: context extension on stories260K and on ropekit's default model

<!-- Written by tools/results_readme.ts from the reports in this folder (run.sh step 6): do not edit by hand. -->

Everything here is produced by [\`run.sh\`](run.sh) (CPU, native kernels; stories260K and its text from
\`../shared\`, the default model [\`facts837K\`](../../models/facts837K/README.md) from \`models/\`). The folders
hold the raw output: \`report.json\`, a self-contained \`report.html\`, \`report.txt\`, SVG charts, and the search
journals.

**How to read it.** Every cell is a mean over 16 documents or windows ± its standard error. Every strategy in a
report is scored on the same documents, so differences are paired: each report's \`comparisons\` give a − b in
the metric's score unit (nats for \`ppl\`, \`needle\`, \`short\`; accuracy for \`passkey\`, \`pet-choice\`) with an
exact paired test — McNemar's on the discordant documents for 0/1 scores (with Newcombe's paired interval), the
sign-flip permutation test otherwise (with the interval that inverts it) — and Holm's adjustment over every comparison
of the metric in that report ([\`docs/statistics.md\`](../statistics.md)). A difference is called a finding only
where its Holm-adjusted p is below 0.05; otherwise it is **not significant**, however large it looks. A bold cell
is significantly better than every other strategy of its column; \`~\` marks the strategies not distinguishable
from the top one (there is then no best); \`≡\` marks a strategy shown equivalent to the top within the metric's
margin (TOST). Overlapping perplexity windows are not independent: where the windows of a column overlap, the
statistics use only those that share no token (the ppl note says how many). Claims across seeds are tested at
the seed level: a t interval over the seeds' mean differences. The statistics of these reports were re-derived
from their per-document scores by \`tools/restat_reports.ts\` (issue 22; \`statistics.recomputed\` in each
report); the scores are those of the original runs.

**Held out.** Search documents and evaluation documents never meet: stories260K searches draw from the second
half of the TinyStories text (\`--text-range 0.5:1\`: its first 75% for the search, its last 25% for re-scoring
the finalists) and every stories260K comparison uses the first half (\`0:0.5\`); facts837K searches draw from
\`models/facts837K/search.txt\` and every facts837K comparison and fine-tune evaluation at 2048 uses
\`models/facts837K/eval.txt\` (another generator seed, no paragraph in common; section 4's short-context
perplexity uses generated fact documents of a third seed).

**Budgets that fit this 2-core machine** (shared with other jobs; the official budget's time is in
[\`docs/search.md\`](../search.md)): every search is population 16, 4 generations of 4 mutations + 4 crossovers
from 8 parents (48 evaluations), 16 needle documents with the needle at the start, then its 5 best re-scored on
fresh documents; 3 seeds per search. stories260K is extended to 2048 (4×) only: 8× (4096) costs several times
more per evaluation (attention is quadratic in the length) and was dropped. The numeric passkey is measured in
section 1 only (stories260K scores 0% on it there; facts837K never learned its magic numbers, see its README).
Fine-tuning: ${ft.steps} steps per run (issue 8 used 60; halved so that the fine-tunes fit), strategies ${
  ft.strategies.join(", ")
},
facts837K only, ${ft.seeds} seeds per regime.

**The paper's claims are about mid-trained models.** LongRoPE2 makes no training-free claim: its results are
after mid-training, with every baseline mid-trained too. The training-free rows here test ropekit's
implementations; section 4 is the comparison closer to the paper's, in miniature.

## 1. Every built-in strategy, default parameters: stories260K, 512 → 2048 (\`stories260K_builtin/\`)

\`\`\`
deno task compare --strategies ${builtin.strategies.map((s) => s.label).join(",")} \\
  --model ../shared/models/stories260K/stories260K.bin --text ../shared/data/tinystories_valid_head.txt \\
  --text-range 0:0.5 --lengths 2048 --samples 16 --metrics ${builtin.settings.metrics.join(",")} --seed 0 \\
  --out docs/results/stories260K_builtin
\`\`\`

${table(builtin)}

${verdicts(builtin)}

${builtin.metrics.filter((m) => m.note).map((m) => `- ${m.id}: ${m.note}`).join("\n")}

![perplexity by position at 2048](stories260K_builtin/ppl_by_position_2048.svg)
![factors](stories260K_builtin/factors.svg)

## 2. Searches, 3 seeds each: the found critical index against the theoretical one

The critical index k is 0-based (pairs 0..k−1 follow NTK-left; [\`docs/search.md\`](../search.md)). One definition
(\`strategies/critical.ts\`): the critical pair is ⌈x⌉, the first pair whose period exceeds L0 (the paper's d_tcd
read as a 0-based pair); the official search code's default k is one lower, ⌈x⌉ − 1. The searches of facts837K and
stories260K below predate the per-k verdict and compare against the official default; recall-needle's (section 5)
tests every k against ⌈x⌉. Every seed of a search re-scores
its finalists on the same fresh documents, so re-scored fitness compares across seeds. A lower fitness
(exp of the needle answer NLL) is better; its ± is fitness × the standard error of the mean answer NLL. Times
are wall-clock on the shared machine.

${await searchSection("facts837K, LongRoPE2, 256 → 2048 (search.txt)", "search_facts837K/longrope2_2048")}
${await searchSection("stories260K, LongRoPE2, 512 → 2048 (text 0.5:1)", "search/longrope2_2048")}
${await searchSection(
  "stories260K, LongRoPE (v1), 512 → 2048 (text 0.5:1), the same budget",
  "search/longrope_2048",
)}

## 3. The searched strategies on held-out text, training-free

### facts837K, 256 → 2048 on eval.txt (\`facts837K_searched_2048/\`)

Every seed's searched LongRoPE2 beside the unsearched defaults (\`longrope2\`), PI, NTK and YaRN; every
strategy compared against YaRN.

${table(facts)}

${verdicts(facts)}

Against YaRN:

${againstReference(facts)}

Each searched seed against LongRoPE2's unsearched defaults (paired, same documents): needle@${T}
${searchedVsDefaults(facts, "needle")}; pet-choice@${T} ${searchedVsDefaults(facts, "pet-choice")}; ppl@${T}
${searchedVsDefaults(facts, "ppl")}.

${facts.metrics.filter((m) => m.note).map((m) => `- ${m.id}: ${m.note}`).join("\n")}

![needle by depth](facts837K_searched_2048/needle_by_depth_2048.svg)
![needle differences against YaRN, 95% CI](facts837K_searched_2048/differences_needle.svg)
![factors](facts837K_searched_2048/factors.svg)

### stories260K, 512 → 2048 on the text's first half (\`stories260K_searched_2048/\`)

Every seed's searched LongRoPE and LongRoPE2 beside their unsearched defaults, PI, NTK, YaRN and Llama 3;
every strategy compared against YaRN.

${table(stories)}

${verdicts(stories)}

Against YaRN:

${againstReference(stories)}

Each searched seed against its unsearched defaults (paired): LongRoPE2 needle@${T}
${searchedVsDefaults(stories, "needle")}; ppl@${T} ${searchedVsDefaults(stories, "ppl")}. LongRoPE needle@${T}
${searchedVsDefaults(stories, "needle", "longrope")}; ppl@${T} ${
  searchedVsDefaults(stories, "ppl", "longrope")
}.

${stories.metrics.filter((m) => m.note).map((m) => `- ${m.id}: ${m.note}`).join("\n")}

## 4. Fine-tuning: training-free vs equal budgets with and without mixed context windows (facts837K, 256 → 2048)

\`deno run -A tools/finetune_results.ts default --strategies ${
  ft.strategies.join(",")
} --seeds ${ft.seeds} --steps ${ft.steps}\`
(\`run.sh\` step 5). Each strategy (LongRoPE2: the searched one, section 2's best re-scored seed, \`${
  factsBest.file.replace(/^docs\/results\//, "")
}\`):
training-free; fine-tuned **without mixing** (\`--no-mixed\`: every window under the rescaled RoPE; LongRoPE2 then
also evaluated rescaled within L0); fine-tuned **with mixed windows** (short windows: original RoPE and
per-document masks; long windows: rescaled RoPE, full attention). Every fine-tune of a seed sees the same
tokens. Short-context perplexity (\`ppl@${L}\`) uses the RoPE each regime gives short inputs: the strategy's table
training-free and without mixing, the original RoPE with mixing. Per seed, the merged reports with every paired
comparison are \`finetune/default/seed<s>/<view>/report.*\`; the raw evaluations \`seed<s>/eval/*.json\`; loss
curves \`seed<s>/loss/*.svg\`; all comparisons across seeds \`finetune/default/summary.json\`.

${ftTable}

![NLL by position, seed 1](finetune/default/ppl_by_position.svg)
![needle differences against YaRN with mixed windows, seed 1](finetune/default/seed1/regime_fine_tuned_mixed_windows/differences_needle.svg)

${recall}
## What this shows — and what it does not

Each statement quotes its paired difference and 95% interval; fine-tuning statements give each seed's interval
and how many of the ${ft.seeds} seeds exclude 0.

- **Training-free on facts837K, the searched LongRoPE2 against YaRN** (the paper makes no claim here):
  ${factsVsYarn("needle", searchedFacts)}; ${factsVsYarn("pet-choice", searchedFacts)};
  ${factsVsYarn("ppl", searchedFacts)}.
- **Does the search help on held-out text?** Each searched seed against LongRoPE2's unsearched defaults on
  eval.txt, needle@${T}: ${searchedVsDefaults(facts, "needle")}. The search's own fitness (section 2) was
  measured on search.txt; only this comparison is held out.
- **Fine-tuned, LongRoPE2 against YaRN** (same budget, same tokens):
  - without mixing: ${ftSaid("regime: fine-tuned, no mixing", "LongRoPE2 (searched)", "needle", T)};
    ${ftSaid("regime: fine-tuned, no mixing", "LongRoPE2 (searched)", "pet-choice", T)};
    ${ftSaid("regime: fine-tuned, no mixing", "LongRoPE2 (searched)", "ppl", T)}.
  - with mixed windows: ${ftSaid("regime: fine-tuned, mixed windows", "LongRoPE2 (searched)", "needle", T)};
    ${ftSaid("regime: fine-tuned, mixed windows", "LongRoPE2 (searched)", "pet-choice", T)};
    ${ftSaid("regime: fine-tuned, mixed windows", "LongRoPE2 (searched)", "ppl", T)}.
- **"LongRoPE2 with mixed training is best at the target length"** (the paper's claim, here after ${ft.steps}
  fine-tuning steps rather than mid-training): who leads, with mixed windows —
  ${leaders("fine-tuned, mixed windows", "needle", T)};
  ${leaders("fine-tuned, mixed windows", "pet-choice", T)};
  ${leaders("fine-tuned, mixed windows", "ppl", T)}.
- **Every fine-tuned strategy against YaRN, with mixed windows**, needle@${T}:
  ${allVsYarn("fine-tuned, mixed windows", "needle", T)}.
- **Mixed context windows against none** (the paper's short-context claim), per strategy:
  - LongRoPE2: ${ftSaid("strategy: LongRoPE2 (searched)", "fine-tuned, mixed windows", "ppl", L)};
    ${ftSaid("strategy: LongRoPE2 (searched)", "fine-tuned, mixed windows", "needle", T)}.
  - YaRN: ${ftSaid("strategy: YaRN", "fine-tuned, mixed windows", "ppl", L)};
    ${ftSaid("strategy: YaRN", "fine-tuned, mixed windows", "needle", T)}.
- **Short-context quality against the base model** (ppl@${L} of each model, with the RoPE its regime gives
  short inputs, minus the base model's with the original RoPE; positive = worse): LongRoPE2 ${
  ftSaid("retention: LongRoPE2 (searched)", "fine-tuned, mixed windows", "ppl", L)
};
  YaRN ${ftSaid("retention: YaRN", "fine-tuned, mixed windows", "ppl", L)}; training-free LongRoPE2
  ${ftSaid("retention: LongRoPE2 (searched)", "training-free", "ppl", L)}; training-free YaRN
  ${ftSaid("retention: YaRN", "training-free", "ppl", L)}.
  Fine-tuning on held-out documents of the pre-training distribution also trains the model within L0, so a
  gain here does not isolate the RoPE; the regime comparison above does.

Limits: ${ft.seeds} seeds, 16 documents per cell (accuracies move in steps of 6.25 points), ${ft.steps} fine-tuning
steps, models of 0.26M and 0.84M parameters; stories260K fails the needle validity check within its own window (the
needle's gain there is not significant; see the needle note in section 1), so its needle columns mostly measure
answer prediction without retrieval; facts837K never learned its magic numbers (numeric passkey 0% at 512 and
1024 in its README), so the numeric passkey is not measured for it and the pet-name choice is its retrieval
task. Fine-tuned: ${ft.strategies.join(", ")}; LongRoPE (v1), dynamic NTK${
  ["pi", "ntk", "llama3"].filter((x) => !ft.strategies.includes(x)).map((x) => `, ${x}`).join("")
} are not (time).
`;
const readme = join(DIR, "README.md");
if (Deno.args.includes("--check")) {
  // The README must be what the committed reports say: regenerate and compare, write nothing.
  const current = await Deno.readTextFile(readme);
  if (current !== text) {
    console.error(`${readme} differs from what the reports give: run tools/results_readme.ts`);
    Deno.exit(1);
  }
  console.log(`${readme} matches the reports`);
} else {
  await Deno.writeTextFile(readme, text);
  console.log(`wrote ${readme}`);
}
