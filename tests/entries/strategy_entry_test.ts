import assert from "node:assert/strict";
import { parseEntry, resolveEntry, splitEntries } from "../../entries/mod.ts";
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
  const e = await resolveEntry(`longrope2@${file}:factor=8`, { registry: reg });
  assert.equal(e.strategy.name, "longrope2");
  assert.deepEqual(e.params, { critical_index: 2, factor: 8, original_within_l0: true });
  await assert.rejects(
    resolveEntry(`yarn@${file}`, { registry: reg }),
    /is for strategy "longrope2", not "yarn"/,
  );
  await assert.rejects(
    resolveEntry(`yarn@${dir}/missing.json`, { registry: reg }),
    /Cannot read result file/,
  );
  // Every reader goes through search/result.ts: a file without the format marker or version is refused.
  await Deno.writeTextFile(`${dir}/bare.json`, JSON.stringify({ strategy: "longrope2", params: {} }));
  await assert.rejects(
    resolveEntry(`longrope2@${dir}/bare.json`, { registry: reg }),
    /not a ropekit-search-result file/,
  );
  await assert.rejects(resolveEntry("warp", { registry: reg }), /Unknown strategy "warp"/);
  await assert.rejects(
    resolveEntry("yarn:beta_fast=x", { registry: reg }),
    /"beta_fast" must be a finite number/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("strategy entries: a URL is a plugin entry, even with a port; its parameters follow #", () => {
  const url = "http://127.0.0.1:8931/example.ts";
  assert.deepEqual(parseEntry(url), { name: url, plugin: url, paramArgs: [] });
  assert.deepEqual(splitEntries(`yarn,${url}`), ["yarn", url]);
  assert.deepEqual(splitEntries(`${url},yarn:factor=4,beta_fast=16`), [url, "yarn:factor=4,beta_fast=16"]);
  const pin = "a".repeat(64);
  const withParams = `https://host.example/x.ts?v=2&mode=a#sha256=${pin},factor=4,exponent=2`;
  assert.deepEqual(splitEntries(`${withParams},pi`), [withParams, "pi"]);
  assert.deepEqual(parseEntry(withParams), {
    name: `https://host.example/x.ts?v=2&mode=a#sha256=${pin}`,
    plugin: `https://host.example/x.ts?v=2&mode=a#sha256=${pin}`,
    paramArgs: ["factor=4", "exponent=2"],
  });
  assert.deepEqual(parseEntry("./plugins/my_rope.ts#factor=[1,2]").paramArgs, ["factor=[1,2]"]);
  assert.equal(parseEntry("longrope2@runs/r.json").plugin, undefined);
});

Deno.test("strategy entries: ambiguous plugin entries are refused with the rule that resolves them", () => {
  assert.throws(
    () => splitEntries("https://host.example/x.ts,factor=4"),
    /"factor=4" follows plugin "https:\/\/host.example\/x.ts", which has no "#".*URL#k=v,k=v.*%2C/,
  );
  assert.throws(
    () => parseEntry("https://host.example/x.ts#factor"),
    /after "#" a plugin takes sha256=hex and k=v pieces separated by commas, not "factor"/,
  );
  assert.throws(() => parseEntry(`./x.ts#sha256=${"a".repeat(64)},sha256=b`), /two sha256 pins/);
});

Deno.test("strategy entries: a plugin entry is resolved through the caller's loader, or refused", async () => {
  const reg = builtinRegistry();
  const loaded: string[] = [];
  const plugins = (specifier: string) => {
    loaded.push(specifier);
    return Promise.resolve(reg.get("pi"));
  };
  const e = await resolveEntry("https://host.example/pi.ts#factor=3", { registry: reg, plugins });
  assert.deepEqual(loaded, ["https://host.example/pi.ts"]);
  assert.equal(e.label, "https://host.example/pi.ts#factor=3");
  assert.equal(e.params.factor, 3);
  await assert.rejects(
    resolveEntry("https://host.example/pi.ts", { registry: reg }),
    /names a plugin, which this command does not load/,
  );
});
