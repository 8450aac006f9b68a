/** The one reader of search results, the finalists' text split, and the spread across seeds. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readSearchResult, SearchResultError, type SearchResultFile } from "../../search/result.ts";
import { splitTextRange } from "../../search/search_strategy.ts";
import { seedSpread } from "../../search/seed_spread.ts";

Deno.test("readSearchResult: checks the format marker and the version, reads v1 and v2", async () => {
  const dir = await Deno.makeTempDir();
  const write = async (name: string, data: unknown) => {
    const path = join(dir, name);
    await Deno.writeTextFile(path, typeof data === "string" ? data : JSON.stringify(data));
    return path;
  };
  const ok = { format: "ropekit-search-result", strategy: "longrope2", params: { critical_index: 2 } };
  for (const version of [1, 2]) {
    const r = await readSearchResult(await write(`v${version}.json`, { ...ok, version }));
    assert.deepEqual(r.params, { critical_index: 2 });
  }
  const cases: [unknown, RegExp][] = [
    [{ ...ok, version: 3 }, /has version 3; this ropekit reads 1 and 2/],
    [{ strategy: "yarn", params: {}, version: 2 }, /is not a ropekit-search-result file/],
    [{ ...ok, version: 2, params: undefined }, /has no "strategy" and "params"/],
    ["{not json", /Cannot read result file .*bad\.json/],
  ];
  for (const [data, re] of cases) {
    await assert.rejects(
      readSearchResult(await write("bad.json", data)),
      (e) => e instanceof SearchResultError && re.test((e as Error).message),
    );
  }
  await assert.rejects(readSearchResult(join(dir, "none.json")), /Cannot read result file/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("finalists' documents come from the end of the search's text range", () => {
  assert.deepEqual(splitTextRange([0.5, 1], 0.25), { search: [0.5, 0.875], rescore: [0.875, 1] });
  assert.deepEqual(splitTextRange([0, 1], 0.25), { search: [0, 0.75], rescore: [0.75, 1] });
  assert.deepEqual(splitTextRange([0.1, 0.3], 0.5), { search: [0.1, 0.2], rescore: [0.2, 0.3] });
  assert.throws(() => splitTextRange([0, 1], 0), /must lie in \(0, 1\)/);
  assert.throws(() => splitTextRange([0, 1], 1), /must lie in \(0, 1\)/);
});

Deno.test("seed spread: counts of k, per-element factor spread, the best re-scored seed", () => {
  const result = (k: number, top: number, fitness: number) =>
    ({
      strategy: "longrope2",
      target_length: 2048,
      fitness,
      fitness_stderr: 0.1,
      search_fitness: fitness - 1,
      found_critical_index: k,
      default_critical_index: 6,
      params: { factor: 8, critical_index: k, long_factor: [1, 2, top] },
    }) as unknown as SearchResultFile;
  const s = seedSpread([
    { seed: 0, file: "a_seed0.json", result: result(5, 10, 3.0) },
    { seed: 1, file: "a_seed1.json", result: result(6, 12, 2.5) },
    { seed: 2, file: "a_seed2.json", result: result(5, 14, 2.8) },
  ]);
  assert.deepEqual(s.critical_index, { counts: { 5: 2, 6: 1 }, default_critical_index: 6 });
  assert.deepEqual(s.best, { seed: 1, file: "a_seed1.json" });
  assert.deepEqual(s.params.factor, { min: 8, max: 8, mean: 8, sd: 0 });
  const lf = s.params.long_factor as { min: number; max: number; mean: number; sd: number }[];
  assert.equal(lf.length, 3);
  // 10, 12, 14: mean 12, sample sd 2.
  assert.deepEqual(lf[2], { min: 10, max: 14, mean: 12, sd: 2 });
  assert.deepEqual(s.runs.map((r) => [r.seed, r.critical_index, r.fitness]), [[0, 5, 3], [1, 6, 2.5], [
    2,
    5,
    2.8,
  ]]);
  assert.throws(() => seedSpread([]), /no search result/);
});
