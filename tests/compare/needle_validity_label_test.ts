/**
 * `compare`'s needle column names its template, and a template the model fails the validity check with is
 * labelled "not valid" and gets no comparison and no verdict (on the in-repo facts837K: the magic number is
 * not valid, the pet's name is).
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const facts = join(root, "models/facts837K/model.bin");

async function compareJson(template: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(root, "cli/compare.ts"),
      ...["--model", facts, "--strategies", "yarn,pi", "--metrics", "needle", "--lengths", "512"],
      ...["--samples", "4", "--depths", "0", "--template", template, "--json"],
    ],
    stdout: "piped",
    stderr: "piped",
    env: { ROPEKIT_CACHE: await Deno.makeTempDir() },
  }).output();
  const dec = new TextDecoder();
  assert.equal(out.code, 0, dec.decode(out.stderr));
  return JSON.parse(dec.decode(out.stdout));
}

Deno.test("compare: a needle template that fails the validity check is labelled 'not valid', with no verdict; a valid one is named and judged", async () => {
  const invalid = await compareJson("magic-number");
  const info = invalid.metrics.find((m: { id: string }) => m.id === "needle");
  assert.equal(info.columns[0].header, "needle@512 (magic-number, not valid)");
  assert.match(info.invalid, /^NOT valid: at length 256/);
  assert.match(info.note, /no verdict$/);
  assert.equal(invalid.comparisons.filter((c: { metric: string }) => c.metric === "needle").length, 0);
  assert.equal(invalid.verdicts.filter((v: { metric: string }) => v.metric === "needle").length, 0);
  // The scores are still there for whoever reads the report.
  for (const s of invalid.strategies) assert.equal(s.metrics.needle.cells["512"].n, 4);

  const valid = await compareJson("story-pet");
  const vinfo = valid.metrics.find((m: { id: string }) => m.id === "needle");
  assert.equal(vinfo.columns[0].header, "needle@512 (story-pet)");
  assert.equal(vinfo.invalid, undefined);
  assert.equal(valid.verdicts.filter((v: { metric: string }) => v.metric === "needle").length, 1);
  assert.equal(valid.comparisons.filter((c: { metric: string }) => c.metric === "needle").length, 1);
});
