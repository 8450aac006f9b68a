/** The three search spaces: seeds, constraints, NTK-left, bounds, k range, and parameter decoding. */
import assert from "node:assert/strict";
import { buildTable, builtinRegistry, makeSpec } from "../../mod.ts";
import { factorsOf } from "../../strategies/export.ts";
import { createRng } from "../../util/random.ts";
import type { SearchSpace } from "../../search/space.ts";
import { longropeSpace, PAPER_START_TOKENS } from "../../search/spaces/longrope_space.ts";
import { criticalRange, expandFactors, longrope2Space } from "../../search/spaces/longrope2_space.ts";
import { paramSpace } from "../../search/spaces/param_space.ts";
import {
  criticalIndexRange,
  criticalPosition,
  defaultCriticalIndex,
  theoreticalCriticalIndex,
} from "../../strategies/critical.ts";
import { LLAMA3_SPEC, TARGET } from "./_synthetic.ts";

const STORIES = makeSpec({ theta: 10000, headDim: 8, originalContext: 512, pairing: "interleaved" });
const PHI3_2K = makeSpec({ theta: 10000, headDim: 96, originalContext: 2048 });
const FACTS = makeSpec({ theta: 10000, headDim: 32, originalContext: 256 });

/** Applies `steps` random mutations and crossovers; returns every valid genome the loop would accept. */
function walk<G>(space: SearchSpace<G>, steps: number, seed = 1): G[] {
  const rng = createRng(seed);
  const pool = space.seeds(rng).map((s) => s.genome);
  for (let i = 0; i < steps; i++) {
    const a = pool[rng.int(pool.length)];
    const child = rng.chance(0.5)
      ? space.mutate(a, rng)
      : space.crossover(a, pool[rng.int(pool.length)], rng);
    if (space.violation(child) === null) pool.push(child);
  }
  return pool;
}

Deno.test("LongRoPE2 k range is the paper's [d10_tcd, d_tcd] = [⌈x₁₀⌉, ⌈x⌉] and 3 pairs above: LLaMA3-8B [24, 38], Phi3-mini@2k [19, 34]", () => {
  // The critical pair ⌈x⌉ (the first pair whose period exceeds L0) is the paper's d_tcd (LLaMA3-8B 35,
  // Phi3-mini@2k 31); the official code's default k = ⌈x⌉ − 1 sits inside the range, one below it.
  assert.deepEqual(criticalRange(LLAMA3_SPEC), [24, 38]);
  assert.equal(theoreticalCriticalIndex(LLAMA3_SPEC), 35);
  assert.equal(defaultCriticalIndex(LLAMA3_SPEC), 34);
  assert.deepEqual(criticalRange(PHI3_2K), [19, 34]);
  assert.equal(defaultCriticalIndex(PHI3_2K), 30);
  // The facts model (16 pairs, θ 1e4, L0 256): x = 6.44, x₁₀ = 2.44 → [3, 7] and above to 10. Pair 6 has
  // period 198.7 < 256 (it turns within L0), pair 7 has 354.0: the critical pair is 7, the official k 6.
  assert.deepEqual(criticalRange(FACTS), [3, 10]);
  assert.equal(theoreticalCriticalIndex(FACTS), 7);
  assert.equal(defaultCriticalIndex(FACTS), 6);
  const period = (i: number) => 2 * Math.PI * Math.pow(10000, (2 * i) / 32);
  assert.ok(period(6) < 256 && period(7) > 256);
  // stories260K (4 pairs): x = 1.91 → 2; x₁₀ = 0.91 → 1; the top is clamped to D − 1 = 3.
  assert.deepEqual(criticalRange(STORIES), [1, 3]);
  assert.deepEqual(criticalIndexRange(FACTS, 0), [3, 7]);
});

Deno.test("critical index boundaries: integer x, and clamping to [1, D − 1] at both ends", () => {
  // x crosses the integer j at L0 = 2π·θ^(j/(d/2)): just below it pair j − 1 is the first that turns less
  // than once (k = j − 1, ⌈x⌉ = j), just above it pair j is (k = j).
  for (const j of [3, 5, 8]) {
    const L0 = 2 * Math.PI * Math.pow(10000, j / 16);
    const below = makeSpec({ theta: 10000, headDim: 32, originalContext: Math.floor(L0) });
    const above = makeSpec({ theta: 10000, headDim: 32, originalContext: Math.ceil(L0) });
    assert.ok(criticalPosition(below) < j && criticalPosition(above) > j);
    assert.equal(defaultCriticalIndex(below), j - 1);
    assert.equal(defaultCriticalIndex(above), j);
  }
  // A context so long every pair turns less than once: k stops at D − 1, the last pair alone searched.
  const long = makeSpec({ theta: 10000, headDim: 32, originalContext: 1e9 });
  assert.equal(defaultCriticalIndex(long), 15);
  assert.deepEqual(criticalIndexRange(long), [15, 15]);
  // So short nothing turns less than ten times: k starts at 1, pair 0 stays NTK-left of pair 1
  // (x = 0.42: the critical pair is 1, and the range reaches 3 pairs above it).
  const short = makeSpec({ theta: 10000, headDim: 32, originalContext: 8 });
  assert.deepEqual(criticalIndexRange(short), [1, 4]);
  // The space accepts exactly its range: its ends, never one beyond.
  const sp = longrope2Space({ spec: FACTS, targetLength: 2048 });
  const at = (k: number) => ({ critical_index: k, upper: Array.from({ length: 16 - k }, (_, i) => 800 + i) });
  assert.equal(sp.violation(at(3)), null);
  assert.equal(sp.violation(at(10)), null);
  assert.match(sp.violation(at(2))!, /outside \[3, 10\]/);
  assert.match(sp.violation(at(11))!, /outside \[3, 10\]/);
  assert.deepEqual(sp.seeds(createRng(0)).map((s) => s.genome.critical_index), [3, 4, 5, 6, 7, 8, 9, 10]);
});

Deno.test("LongRoPE2 genomes: one seed per k in [s, 2s], strictly increasing, NTK-left below k", () => {
  const sp = longrope2Space({ spec: LLAMA3_SPEC, targetLength: TARGET });
  const seeds = sp.seeds(createRng(0));
  assert.deepEqual(seeds.map((s) => s.genome.critical_index), Array.from({ length: 15 }, (_, i) => 24 + i));
  const all = walk(sp, 3000);
  assert.ok(all.length > 500, `only ${all.length} valid genomes`);
  for (const g of all) {
    assert.equal(sp.violation(g), null);
    const f = sp.toParams(g).long_factor as number[];
    const k = g.critical_index;
    assert.equal(f.length, 64);
    for (let i = k; i < 64; i++) assert.ok(f[i] >= 16 && f[i] <= 32, `λ_${i} = ${f[i]} outside [s, 2s]`);
    for (let i = 0; i < k; i++) {
      assert.ok(Math.abs(f[i] - Math.pow(f[k], i / k)) < 1e-12, "lower dims are not NTK-left");
    }
    for (let i = 1; i < 64; i++) assert.ok(f[i] > f[i - 1]);
  }
  // Mutation explores: the walk reaches many values of the last factor.
  assert.ok(new Set(all.map((g) => g.upper.at(-1))).size > 50);
  assert.match(sp.violation({ critical_index: 23, upper: new Array(41).fill(1600) })!, /outside \[24, 38\]/);
  assert.match(sp.violation({ critical_index: 30, upper: new Array(34).fill(1600) })!, /does not increase/);
  assert.match(
    sp.violation({ critical_index: 30, upper: Array.from({ length: 34 }, (_, i) => 3190 + i) })!,
    /outside/,
  );
});

Deno.test("LongRoPE2 params build the longrope2 strategy's table exactly (it re-derives NTK-left itself)", async () => {
  const sp = longrope2Space({ spec: STORIES, targetLength: 1024 });
  const [g] = walk(sp, 50).slice(-1);
  const params = sp.toParams(g);
  assert.deepEqual(params.long_factor, expandFactors(g.critical_index, g.upper.map((u) => u / 100)));
  const table = await buildTable(builtinRegistry().get("longrope2"), STORIES, { targetLength: 1024 }, params);
  factorsOf(STORIES, table.invFreq).forEach((f, i) =>
    assert.ok(Math.abs(f / (params.long_factor as number[])[i] - 1) < 1e-6)
  );
  assert.throws(() => longrope2Space({ spec: STORIES, targetLength: 512 }), /must exceed L0/);
  assert.throws(
    () => longrope2Space({ spec: STORIES, targetLength: 1024, criticalRange: [0, 2] }),
    /within \[1, 3\]/,
  );
  assert.throws(
    () => longrope2Space({ spec: LLAMA3_SPEC, targetLength: TARGET, maxFactor: 16.2 }),
    /cannot hold 40 strictly increasing/,
  );
});

Deno.test("LongRoPE seeds are PI, NTK and YaRN on the grid; mutations stay non-decreasing in [1, 1 + s]", async () => {
  const sp = await longropeSpace({ spec: PHI3_2K, targetLength: 16384 });
  const seeds = sp.seeds(createRng(0));
  assert.deepEqual(seeds.map((s) => s.name), ["pi", "ntk", "yarn"]);
  assert.deepEqual(seeds[0].genome.factors, new Array(48).fill(800));
  assert.equal(seeds[1].genome.factors[0], 100); // NTK leaves pair 0 alone…
  assert.equal(seeds[1].genome.factors[47], 800); // …and divides the last by exactly s
  assert.equal(seeds[2].genome.factors[0], 100);
  for (const g of walk(sp, 2000)) {
    assert.equal(sp.violation(g), null);
    assert.ok(g.factors.every((u, i) => u >= 100 && u <= 900 && (i === 0 || u >= g.factors[i - 1])));
    assert.equal(g.start_tokens, 0);
  }
  assert.match(sp.violation({ factors: [...new Array(47).fill(100), 50], start_tokens: 0 })!, /outside/);
  assert.deepEqual(sp.toParams(seeds[0].genome), { long_factor: new Array(48).fill(8), factor: 8 });
});

Deno.test("LongRoPE with n̂: start tokens come from the candidate set and reach the strategy's params", async () => {
  const sp = await longropeSpace({
    spec: PHI3_2K,
    targetLength: 16384,
    startTokens: PAPER_START_TOKENS,
    maxFactor: 10,
  });
  const seen = new Set(walk(sp, 2000).map((g) => g.start_tokens));
  assert.ok(seen.size > 5);
  for (const n of seen) assert.ok(PAPER_START_TOKENS.includes(n));
  assert.equal(sp.toParams({ factors: new Array(48).fill(1000), start_tokens: 4 }).start_tokens, 4);
  assert.equal(
    sp.violation({ factors: new Array(48).fill(1000), start_tokens: 3 }),
    "start tokens 3 is not a candidate",
  );
});

Deno.test("parameter space: YaRN's beta_fast/beta_slow/truncate searched within declared or derived ranges", () => {
  const yarn = builtinRegistry().get("yarn");
  const sp = paramSpace({ strategy: yarn, spec: PHI3_2K });
  const genes = sp.description.genes as { name: string; range: unknown[]; start: unknown }[];
  assert.deepEqual(genes.map((g) => g.name), ["beta_fast", "beta_slow", "truncate"]);
  assert.deepEqual(genes[0].range, [0.01, 256]); // exclusive min 0 → first grid point; no max → 8 × default
  assert.deepEqual(genes[2].range, [false, true]);
  assert.deepEqual(sp.toParams(sp.seeds(createRng(0))[0].genome), {
    beta_fast: 32,
    beta_slow: 1,
    truncate: true,
  });
  const values = walk(sp, 500).map((g) => sp.toParams(g));
  assert.ok(values.some((p) => p.truncate === false));
  assert.ok(new Set(values.map((p) => p.beta_fast)).size > 30);
  for (const p of values) {
    assert.ok((p.beta_fast as number) > 0 && (p.beta_fast as number) <= 256);
    assert.ok((p.beta_slow as number) >= 0.01 && (p.beta_slow as number) <= 8);
  }
});

Deno.test("parameter space: fixed values pass through, --range and --tune narrow it, mistakes are named", () => {
  const yarn = builtinRegistry().get("yarn");
  const sp = paramSpace({
    strategy: yarn,
    spec: PHI3_2K,
    tune: ["beta_fast"],
    ranges: { beta_fast: [16, 64] },
    fixed: { attention_factor: 1.1 },
  });
  const p = sp.toParams(sp.seeds(createRng(0))[0].genome);
  assert.deepEqual(p, { attention_factor: 1.1, beta_fast: 32 });
  for (const g of walk(sp, 300)) assert.ok(g[0] >= 1600 && g[0] <= 6400);
  assert.throws(() => paramSpace({ strategy: yarn, spec: PHI3_2K, tune: ["beta"] }), /no such parameter/);
  assert.throws(
    () => paramSpace({ strategy: yarn, spec: PHI3_2K, tune: ["beta_fast"], fixed: { beta_fast: 3 } }),
    /both fixed/,
  );
  assert.throws(
    () => paramSpace({ strategy: yarn, spec: PHI3_2K, tune: ["mscale"] }),
    /--range mscale=LO:HI/,
  );
  const lr = builtinRegistry().get("longrope");
  assert.throws(
    () => paramSpace({ strategy: lr, spec: PHI3_2K, tune: ["long_factor"] }),
    /longrope\/longrope2 spaces/,
  );
  // llama3: two numbers with defaults; an integer-free, enum-free space still works.
  const l3 = paramSpace({ strategy: builtinRegistry().get("llama3"), spec: PHI3_2K });
  assert.deepEqual((l3.description.genes as { name: string }[]).map((g) => g.name), [
    "low_freq_factor",
    "high_freq_factor",
  ]);
});

Deno.test("parameter space: integers and enums of a plugin-style strategy", () => {
  const plugin = {
    ...builtinRegistry().get("pi"),
    name: "toy",
    params: {
      width: { type: "integer" as const, default: 4, min: 1, max: 9, description: "an integer" },
      mode: { type: "enum" as const, values: ["a", "b", "c"], default: "b", description: "an enum" },
    },
  };
  const sp = paramSpace({ strategy: plugin, spec: PHI3_2K });
  const all = walk(sp, 400).map((g) => sp.toParams(g));
  assert.deepEqual(new Set(all.map((p) => p.mode)), new Set(["a", "b", "c"]));
  assert.ok(
    all.every((p) => Number.isInteger(p.width) && (p.width as number) >= 1 && (p.width as number) <= 9),
  );
  assert.ok(new Set(all.map((p) => p.width)).size >= 5);
});
