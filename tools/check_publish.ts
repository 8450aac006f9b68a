/**
 * `deno task check`'s publish gate: runs `deno publish --dry-run` and fails on any warning it prints
 * (deno publish itself exits 0 on warnings) or on any shipped file outside the package's source rooms
 * (tests, docs, benchmarks, dev scripts and models stay in the repository).
 *
 *   deno run --allow-run --allow-read --allow-env tools/check_publish.ts
 *
 * @module
 */
const SHIPPED_DIRS =
  /^(compare|engines|entries|eval|export|kernels|model|plugins|queue|search|server|strategies|train|util|web)\//;
const SHIPPED_FILES = new Set(["LICENSE", "README.md", "deno.json", "mod.ts"]);

const out = await new Deno.Command(Deno.execPath(), {
  args: ["publish", "--dry-run", "--allow-dirty"],
  env: { NO_COLOR: "1" },
  stdout: "piped",
  stderr: "piped",
}).output();
const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
const root = new URL("../", import.meta.url).href;
const files = [...text.matchAll(/^\s+(file:\/\/\S+)/gm)].map((m) => m[1].slice(root.length));
const problems = [
  ...(out.success ? [] : [`deno publish --dry-run exited with ${out.code}`]),
  ...text.split("\n").filter((l) => /^(warning|error)\b/.test(l)),
  ...files.filter((f) => !SHIPPED_FILES.has(f) && !SHIPPED_DIRS.test(f)).map((f) => `ships ${f}`),
  ...(files.length === 0 ? ["no file list in deno publish's output"] : []),
];
if (problems.length > 0) {
  console.error(text);
  console.error(`check_publish: ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
  Deno.exit(1);
}
console.log(`check_publish: ${files.length} source files, no warning`);
