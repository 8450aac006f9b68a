/**
 * What a LongRoPE2 search can say about the critical index k. The best genome of every candidate k is
 * re-scored on the same fresh documents (none used by the search), so any two k compare document by
 * document: each k's re-scored fitness comes with a paired interval against the theoretical k (the
 * critical pair ⌈x⌉, `strategies/critical.ts`). The k the search selected (its best genome by search
 * fitness: chosen on the search's documents, tested on fresh ones) is **found** only when it is also the
 * best re-scored k and beats each neighbour k ± 1 in the range significantly after Holm's adjustment;
 * otherwise the verdict is that k is not identifiable at this budget.
 *
 * @module
 */
import { pairedComparison } from "../util/paired_comparison.ts";
import { holmAdjust } from "../util/holm.ts";

/** One k: its best genome (by search fitness) and that genome's score on the fresh documents. */
export interface KCandidate {
  /** The 0-based critical index: pairs below it take NTK's factors, from it on the searched ones. */
  k: number;
  /** The genome's canonical key (as the journal has it). */
  key: string;
  /** Its fitness on the search's documents (biased low by selection). */
  search_fitness: number;
  /** Answer NLL of each fresh document (the same documents, in the same order, for every k). */
  scores: number[];
}

/** A paired difference of mean answer NLL (nats), its 95% interval, and raw and Holm-adjusted p-values. */
export interface KDifference {
  /** The k compared against the reference k. */
  k: number;
  /** Mean answer NLL of this k minus the reference's, nats (negative: this k is better). */
  difference: number;
  /** 95% interval of the difference: the sign-flip test's own (util/paired_comparison.ts). */
  ci95: [number, number];
  /** Two-sided exact sign-flip p-value of "no difference", unadjusted. */
  p: number;
  /** The p-value after Holm's adjustment over its family. */
  p_holm: number;
}

/** One row of the per-k table. */
export interface KRow {
  /** The row's critical index. */
  k: number;
  /** Key of the k's best genome. */
  key: string;
  /** That genome's fitness on the search's documents. */
  search_fitness: number;
  /** exp(mean NLL) on the fresh documents, the mean NLL, its standard error, the documents. */
  rescored_fitness: number;
  /** Mean answer NLL on the fresh documents. */
  rescored_nll: number;
  /** Standard error of that mean. */
  stderr: number;
  /** Fresh documents scored. */
  n: number;
  /** This k − the theoretical k (negative: this k is better); null on the theoretical k's own row. */
  vs_theory: KDifference | null;
}

/** The verdict on k, as the result file holds it. */
export interface CriticalVerdict {
  /** The critical pair ⌈x⌉ (0-based; the paper's d_tcd), clamped to [1, D − 1]. */
  theoretical_k: number;
  /** The official search code's default ⌈x⌉ − 1. */
  official_default_k: number;
  /** The searched range of k, 0-based and inclusive. */
  range: [number, number];
  /** One row per k that has a re-scored genome, k ascending. */
  rows: KRow[];
  /** The k of the search's best genome (by search fitness). */
  selected_k: number;
  /** The k with the lowest re-scored NLL. */
  best_rescored_k: number;
  /** selected − each neighbour in the range (negative: the selected k is better), Holm over the neighbours. */
  neighbours: KDifference[];
  /** True when the selected k is the best re-scored one and beats both neighbours after Holm. */
  identified: boolean;
  /** Present only when identified. */
  found_k?: number;
  /** Significance level of the tests. */
  alpha: number;
  /** The verdict in words, with the numbers behind it. */
  statement: string;
}

const f3 = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(3);
const interval = (d: KDifference) => `${f3(d.difference)} [${f3(d.ci95[0])}, ${f3(d.ci95[1])}]`;

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Differences of `a` against each of `others`, Holm-adjusted as one family. */
function compareAll(a: KCandidate, others: KCandidate[]): KDifference[] {
  // The report's own paired test (exact sign-flip p and the interval inverting it), Holm over the family.
  const raw = others.map((o) => ({ k: o.k, ...pairedComparison(a.scores, o.scores, { seed: o.k }) }));
  const adjusted = holmAdjust(raw.map((r) => r.p));
  return raw.map((r, i) => ({ k: r.k, difference: r.difference, ci95: r.ci95, p: r.p, p_holm: adjusted[i] }));
}

/**
 * The per-k table and the verdict. `candidates` holds one entry per k that has a scored genome; `selectedK`
 * is the k of the search's best genome. The theoretical k's row is the reference of every interval; when
 * the theoretical k is outside the candidates the intervals are left out (null).
 */
export function criticalVerdict(o: {
  candidates: KCandidate[];
  selectedK: number;
  theoreticalK: number;
  officialDefaultK: number;
  /** The searched range of k, 0-based and inclusive. */
  range: [number, number];
  alpha?: number;
}): CriticalVerdict {
  const alpha = o.alpha ?? 0.05;
  const cands = [...o.candidates].sort((a, b) => a.k - b.k);
  if (cands.length === 0) throw new RangeError("no k has a re-scored genome");
  const n = cands[0].scores.length;
  if (cands.some((c) => c.scores.length !== n)) {
    throw new RangeError("every k must be re-scored on the same documents");
  }
  const theory = cands.find((c) => c.k === o.theoreticalK);
  const vsTheory = theory ? compareAll(theory, cands.filter((c) => c !== theory)) : [];
  const rows: KRow[] = cands.map((c) => {
    const m = mean(c.scores);
    const sd = Math.sqrt(c.scores.reduce((a, v) => a + (v - m) ** 2, 0) / Math.max(1, n - 1));
    const d = vsTheory.find((x) => x.k === c.k);
    return {
      k: c.k,
      key: c.key,
      search_fitness: c.search_fitness,
      rescored_fitness: Math.exp(m),
      rescored_nll: m,
      stderr: n > 1 ? sd / Math.sqrt(n) : NaN,
      n,
      // compareAll gives theory − c; the row states c − theory.
      vs_theory: d
        ? { ...d, difference: -d.difference, ci95: [-d.ci95[1], -d.ci95[0]] as [number, number] }
        : null,
    };
  });
  const best = [...rows].sort((a, b) => a.rescored_nll - b.rescored_nll || a.k - b.k)[0];
  const selected = cands.find((c) => c.k === o.selectedK);
  if (!selected) throw new RangeError(`the selected k = ${o.selectedK} has no re-scored genome`);
  const neighbourCands = cands.filter((c) => c.k === o.selectedK - 1 || c.k === o.selectedK + 1);
  const neighbours = compareAll(selected, neighbourCands);
  const beatsAll = neighbours.length > 0 &&
    neighbours.every((d) => d.difference < 0 && d.p_holm < alpha);
  const identified = beatsAll && best.k === o.selectedK;
  const edge = o.selectedK === o.range[0] || o.selectedK === o.range[1]
    ? ` (k = ${o.selectedK} is at the end of the searched range [${o.range.join(", ")}])`
    : "";
  const against = neighbours.map((d) =>
    `k = ${d.k}: ${interval(d)} nats, Holm p = ${d.p_holm.toPrecision(2)}`
  )
    .join("; ");
  const theoryNote =
    `theory: the critical pair ⌈x⌉ = ${o.theoreticalK}, official default ⌈x⌉ − 1 = ${o.officialDefaultK}`;
  const reasons: string[] = [];
  if (best.k !== o.selectedK) reasons.push(`the best re-scored k is ${best.k}`);
  if (neighbours.length === 0) reasons.push("it has no neighbour in the range");
  const notBeaten = neighbours.filter((d) => !(d.difference < 0 && d.p_holm < alpha)).map((d) =>
    `k = ${d.k}`
  );
  if (notBeaten.length) {
    reasons.push(`it does not beat ${notBeaten.join(" or ")} significantly (Holm-adjusted p < ${alpha})`);
  }
  const statement = identified
    ? `found k = ${o.selectedK}${edge}: on ${n} fresh documents it beats its neighbours (selected − neighbour, ` +
      `answer NLL: ${against}); ${theoryNote}`
    : `k is not identifiable at this budget: the search selected k = ${o.selectedK}, but ${
      reasons.join(", and ")
    }` +
      `${
        neighbours.length ? ` (selected − neighbour on ${n} fresh documents, answer NLL: ${against})` : ""
      }; ${theoryNote}`;
  return {
    theoretical_k: o.theoreticalK,
    official_default_k: o.officialDefaultK,
    range: o.range,
    rows,
    selected_k: o.selectedK,
    best_rescored_k: best.k,
    neighbours,
    identified,
    ...(identified ? { found_k: o.selectedK } : {}),
    alpha,
    statement,
  };
}
