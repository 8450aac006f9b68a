import assert from "node:assert/strict";
import { parseEntry, resolveEntry, splitEntries } from "../../compare/strategy_entry.ts";
import { builtinRegistry } from "../../mod.ts";

Deno.test("strategy entries: lists split at entries, not inside parameter lists or arrays", () => {
  assert.deepEqual(splitEntries("yarn,longrope2"), ["yarn", "longrope2"]);
  assert.deepEqual(splitEntries("yarn:beta_fast=16,beta_slow=2,pi"), ["yarn:beta_fast=16,beta_slow=2", "pi"]);
  assert.deepEqual(splitEntries("longrope:long_factor=[1,2,3,4],pi:factor=2"), [
    "longrope:long_factor=[1,2,3,4]",
    "pi:factor=2",
  ]);
  assert.deepEqual(parseEntry("longrope2@runs/r.json:factor=4"), {
    name: "longrope2",
    resultFile: "runs/r.json",
    paramArgs: ["factor=4"],
  });
  assert.throws(() => parseEntry("Yarn!"), /Cannot parse strategy entry "Yarn!"/);
});

Deno.test("strategy entries: a search result file supplies params; inline values override", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/result.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      format: "ropekit-search-result",
      version: 2,
      strategy: "longrope2",
      params: { critical_index: 2, factor: 4 },
    }),
  );
  const reg = builtinRegistry();
  const e = await resolveEntry(`longrope2@${file}:factor=8`, reg);
  assert.equal(e.strategy.name, "longrope2");
  assert.deepEqual(e.params, { critical_index: 2, factor: 8, original_within_l0: true });
  await assert.rejects(resolveEntry(`yarn@${file}`, reg), /is for strategy "longrope2", not "yarn"/);
  await assert.rejects(resolveEntry(`yarn@${dir}/missing.json`, reg), /Cannot read result file/);
  // Every reader goes through search/result.ts: a file without the format marker or version is refused.
  await Deno.writeTextFile(`${dir}/bare.json`, JSON.stringify({ strategy: "longrope2", params: {} }));
  await assert.rejects(resolveEntry(`longrope2@${dir}/bare.json`, reg), /not a ropekit-search-result file/);
  await assert.rejects(resolveEntry("warp", reg), /Unknown strategy "warp"/);
  await assert.rejects(resolveEntry("yarn:beta_fast=x", reg), /"beta_fast" must be a finite number/);
  await Deno.remove(dir, { recursive: true });
});
