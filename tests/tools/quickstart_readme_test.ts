/**
 * The README's quick-start paragraph quotes the report its command writes (committed as
 * docs/results/quickstart/, `docs/results/run.sh` step 0): every number it states must be that report's.
 */
import assert from "node:assert/strict";
import type { CompareReport } from "../../compare/report_types.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("README quick start: its claim is the committed quick-start report's, and survives the exact test", async () => {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const r = JSON.parse(
    await Deno.readTextFile(`${root}docs/results/quickstart/report.json`),
  ) as CompareReport;
  const command = readme.match(
    /npx --yes deno@2\.9\.6 task compare (--strategies \S+ --metrics \S+ --samples (\d+))/,
  )!;
  assert.equal(r.settings.samples, Number(command[2]));
  assert.equal(r.strategies.map((s) => s.label).join(","), command[1].match(/--strategies (\S+)/)![1]);
  const hits = (label: string, length: number) => {
    const c = r.strategies.find((s) => s.label === label)!.metrics["pet-choice"].cells[`${length}`];
    return c.scores.filter((x) => x === 1).length;
  };
  const n = r.settings.samples;
  const para = readme.slice(readme.indexOf("This runs offline"), readme.indexOf("Run all tests:")).replace(
    /\s+/g,
    " ",
  );
  assert.ok(para.includes(`at 2× its context ${hits("default", 512)} times in ${n}`), para);
  assert.ok(para.includes(`at 4× ${hits("default", 1024)} times in ${n}`), para);
  assert.equal(hits("yarn", 1024), hits("longrope2", 1024));
  assert.ok(para.includes(`${hits("yarn", 1024)} times in ${n} at 4×`), para);
  const c = r.comparisons.find((x) =>
    x.metric === "pet-choice" && x.length === 1024 && x.a === "default" && x.b === "yarn"
  )!;
  const pts = (x: number) => (100 * x).toFixed(1).replace("-", "−");
  assert.ok(para.includes(`${pts(c.difference)} points [${pts(c.ci95[0])}, ${pts(c.ci95[1])}]`), para);
  assert.deepEqual(c.discordant, [0, 10]);
  assert.ok(para.includes(`all ${c.discordant![1]} discordant documents favour YaRN`), para);
  assert.ok(para.includes(`p = ${c.p.toFixed(3)}, ${c.pAdjusted.toFixed(3)} after Holm`), para);
  assert.ok(c.significant && c.p < 0.05);
  const twin = r.comparisons.find((x) =>
    x.metric === "pet-choice" && x.length === 1024 && x.a === "longrope2"
  )!;
  assert.equal(twin.significant, false);
  assert.ok(para.includes(`(${twin.discordant![0]} discordant document each way)`), para);
});
