/**
 * `deno task plugin check|new` as a plugin author runs them: subprocesses, the examples served over
 * HTTP on 127.0.0.1, a starter written and checked, broken plugins failing the right property.
 */
import assert from "node:assert/strict";
import { pluginSource, runCli, VALID_TABLE, withServer } from "./_server.ts";

const EXAMPLES = new URL("../../examples/plugins/", import.meta.url);
const PROPERTIES = [
  "load",
  "contract",
  "name",
  "param-defaults",
  "unknown-param",
  "tables",
  "deterministic",
  "params-honoured",
  "deadline",
  "result-size",
  "memory",
  "sandbox",
];

/** `plugin check` lines as property → pass/FAIL. */
function verdicts(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.trim().split("\n").slice(0, -1)) {
    const [verdict, property] = line.split(/\s+/);
    out[property] = verdict;
  }
  return out;
}

Deno.test("plugin check: each example passes every property when served by URL", async () => {
  const routes: Record<string, string> = {};
  for (const name of ["power_law.ts", "resonance.ts", "ntk_alpha.ts"]) {
    routes[`/${name}`] = await Deno.readTextFile(new URL(name, EXAMPLES));
  }
  await withServer(routes, async (server) => {
    const dir = await Deno.makeTempDir();
    for (const path of Object.keys(routes)) {
      const r = await runCli("plugin", ["check", server.url(path)], { cwd: dir });
      assert.equal(r.code, 0, `${path}: ${r.stdout}${r.stderr}`);
      const v = verdicts(r.stdout);
      assert.deepEqual(Object.keys(v), PROPERTIES, r.stdout);
      assert.ok(Object.values(v).every((x) => x === "pass"), r.stdout);
      assert.match(
        r.stdout.trim().split("\n").at(-1)!,
        /^all 12 properties pass: "[a-z-]+" is ready to load$/,
      );
    }
    // check writes nothing: no lock file.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("plugin new: the starter passes its own check; names are validated; files are not overwritten", async () => {
  const dir = await Deno.makeTempDir();
  const made = await runCli("plugin", ["new", "my-rope"], { cwd: dir });
  assert.equal(made.code, 0, made.stderr);
  assert.match(
    made.stdout,
    /wrote my_rope\.ts and my_rope_test\.ts; check it with: deno task plugin check \.\/my_rope\.ts/,
  );
  const checked = await runCli("plugin", ["check", "./my_rope.ts", "--json"], { cwd: dir });
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  const result = JSON.parse(checked.stdout);
  assert.equal(result.ok, true);
  assert.equal(result.name, "my-rope");
  assert.deepEqual(result.results.map((r: { property: string }) => r.property), PROPERTIES);
  const again = await runCli("plugin", ["new", "my-rope"], { cwd: dir });
  assert.equal(again.code, 1);
  assert.equal(again.stderr.trim(), "error: my_rope.ts exists: not overwriting it");
  for (
    const [name, message] of [["yarn", /"yarn" is a built-in strategy's name/], [
      "My Rope",
      /kebab-case/,
    ]] as const
  ) {
    const r = await runCli("plugin", ["new", name], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, message);
  }
});

Deno.test("plugin check: a broken plugin fails the properties it breaks, exit 1", async () => {
  const ignoresParam = pluginSource(VALID_TABLE).replace(
    "params: {}",
    'params: { k: { type: "number", default: 1, min: 0, description: "unused" } }',
  );
  const loops = pluginSource(`if (ctx.targetLength > 100000) for (;;) {} ${VALID_TABLE}`);
  const reads = pluginSource(`Deno.readTextFileSync("/etc/hostname"); ${VALID_TABLE}`);
  const random = pluginSource(VALID_TABLE.replace("attentionScale: 1", "attentionScale: 1 + Math.random()"));
  const builtinName = pluginSource(VALID_TABLE, { name: "yarn" });
  await withServer(
    {
      "/ignores.ts": ignoresParam,
      "/loops.ts": loops,
      "/reads.ts": reads,
      "/random.ts": random,
      "/yarn.ts": builtinName,
    },
    async (server) => {
      const dir = await Deno.makeTempDir();
      const expectations: [string, string[], RegExp][] = [
        ["/ignores.ts", ["params-honoured"], /k=2 gives the same tables as the default/],
        ["/loops.ts", ["tables", "params-honoured", "deadline"], /table\(\) ran past the 1000 ms deadline/],
        ["/reads.ts", ["tables", "params-honoured", "sandbox"], /Requires read access to "\/etc\/hostname"/],
        ["/random.ts", ["deterministic"], /two calls gave different tables/],
        ["/yarn.ts", ["name"], /name "yarn" is a built-in strategy's/],
      ];
      for (const [path, failing, message] of expectations) {
        const r = await runCli("plugin", ["check", server.url(path), "--timeout-ms", "1000"], { cwd: dir });
        assert.equal(r.code, 1, `${path}: ${r.stdout}`);
        const v = verdicts(r.stdout);
        assert.deepEqual(Object.keys(v).filter((p) => v[p] === "FAIL"), failing, `${path}: ${r.stdout}`);
        assert.match(r.stdout, message);
        assert.match(r.stdout, new RegExp(`${failing.length} of 12 properties failed: ropekit would refuse`));
      }
      const missing = await runCli("plugin", ["check", server.url("/none.ts")], { cwd: dir });
      assert.equal(missing.code, 1);
      assert.match(missing.stdout, /^FAIL\s+load\s+Cannot load plugin ".*\/none\.ts": HTTP 404/);
    },
  );
});

Deno.test("plugin: usage errors are one line and exit 1", async () => {
  const dir = await Deno.makeTempDir();
  for (
    const [args, message] of [
      [["frobnicate", "x"], 'error: unknown command "frobnicate" (check or new)'],
      [["check"], "error: check needs a plugin URL or path"],
      [["new"], "error: new needs a NAME"],
    ] as const
  ) {
    const r = await runCli("plugin", [...args], { cwd: dir });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), message);
  }
});
