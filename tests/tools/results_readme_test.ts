/**
 * docs/results/README.md is written from the committed reports by tools/results_readme.ts: the committed
 * README must be exactly what the generator gives for them, so no number or verdict in it was edited by hand
 * or left behind by a rerun.
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;

async function run(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "tools/results_readme.ts", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("results README: the committed README is what the committed reports give", async () => {
  const r = await run(["--check"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /matches the reports/);
});

Deno.test("results README: every verdict comes with its interval, its exact test and a word that follows Holm's p", async () => {
  const text = await Deno.readTextFile(`${root}docs/results/README.md`);
  // Each "a − b: d [lo, hi] unit (test p …; Holm p …), verdict" says significant or not significant, nothing
  // stronger, and says significant exactly when the Holm-adjusted p is below 0.05.
  const said = [
    ...text.matchAll(
      /: [+-]?\d[\d.]*(?:pp)? \[[^\]]+\] [^,(]+\(([^)]*)Holm p ([\d.e-]+)\), (\*\*significant\*\*|not significant)/g,
    ),
  ];
  assert.ok(said.length > 20, `expected many worded comparisons, found ${said.length}`);
  for (const m of said) {
    assert.match(m[1], /^(McNemar \d+:\d+|sign-flip) p [\d.e-]+; $/, m[0]);
    assert.equal(m[3] === "**significant**", parseFloat(m[2]) < 0.05, `worded against its Holm p: ${m[0]}`);
  }
  assert.doesNotMatch(text, /\btied\b/);
});

Deno.test("results README: every chart and file it links to exists", async () => {
  const text = await Deno.readTextFile(`${root}docs/results/README.md`);
  const links = [...text.matchAll(/\]\(([^)#:]+)\)/g)].map((m) => m[1]);
  assert.ok(links.length >= 5);
  for (const link of links) {
    const stat = await Deno.stat(`${root}docs/results/${link}`).catch(() => undefined);
    assert.ok(stat, `README links to a missing file: ${link}`);
  }
});
