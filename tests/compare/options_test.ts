/**
 * The comparison's options are declared once (compare/options.ts): the three surfaces a user meets —
 * `deno task compare --help` and its refusals (a real process), the OpenAPI document and the form's
 * fields of a real server over loopback HTTP, and `compare()` itself — agree with the declaration on
 * every option's bounds and default.
 */
import assert from "node:assert/strict";
import {
  COMPARE_OPTION_NAMES,
  COMPARE_OPTIONS,
  type CompareOptionDef,
  defaultInWords,
  type FormField,
  HTTP_OPTION_NAMES,
  requestMax,
} from "../../compare/options.ts";
import { compare, CompareError } from "../../compare/compare.ts";
import { loadModel } from "../../model/load_model.ts";
import { builtinRegistry } from "../../strategies/registry.ts";
import { listen, testContext } from "../server/_server.ts";

const root = new URL("../../", import.meta.url);

async function compareCli(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-ffi=.build",
      "--allow-sys",
      "cli/compare.ts",
      ...args,
    ],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const def = (n: (typeof COMPARE_OPTION_NAMES)[number]): CompareOptionDef => COMPARE_OPTIONS[n];

Deno.test("compare options: the CLI help, the HTTP schema and the web form agree with the declaration", async () => {
  const help = await compareCli("--help");
  assert.equal(help.code, 0, help.stderr);
  // A wrapped help line reads as one: continuation lines joined back to their flag's.
  const helpLines = help.stdout.replace(/\n {25}(?=\S)/g, " ");
  for (const name of COMPARE_OPTION_NAMES) {
    const line = helpLines.split("\n").find((l) => l.trimStart().startsWith(`--${name} ${def(name).arg}`));
    assert.ok(line, `--${name} is missing from the help`);
    assert.ok(line.includes(def(name).help), line);
    const d = defaultInWords(def(name));
    if (d !== undefined) assert.ok(line.includes(`(default: ${d})`), line);
  }

  const server = listen(await testContext());
  try {
    const openapi = await (await fetch(`${server.base}/api/openapi.json`)).json();
    const schema = openapi.components.schemas.CompareRequest.properties;
    const options = await (await fetch(`${server.base}/api/options`)).json();
    const form = new Map<string, FormField>(options.compare.map((f: FormField) => [f.name, f]));
    const html = await Deno.readTextFile(new URL("web/index.html", root));
    for (const name of COMPARE_OPTION_NAMES) {
      const d = def(name);
      if (d.cliOnly) {
        assert.equal(schema[name], undefined, `${name} is declared CLI-only`);
        continue;
      }
      assert.ok(HTTP_OPTION_NAMES.includes(name));
      const s = schema[name];
      assert.ok(s, `${name} is missing from the request schema`);
      assert.deepEqual(s.default, d.default, `${name}: default`);
      const bounded = s.type === "array" ? s.items : s;
      assert.equal(bounded.minimum, d.min, `${name}: minimum`);
      assert.equal(bounded.maximum, requestMax(d), `${name}: maximum`);
      if (s.type === "array") assert.equal(s.maxItems, d.maxItems, `${name}: maxItems`);
      if (d.values) assert.deepEqual(bounded.enum, d.values, `${name}: values`);
      const field = form.get(name);
      if (!d.label) {
        assert.equal(field, undefined);
        continue;
      }
      assert.ok(field, `${name} is missing from the form's fields`);
      assert.ok(html.includes(`id="${name}"`), `web/index.html has no #${name}`);
      assert.equal(field.label, d.label);
      assert.equal(field.min, bounded.minimum, `${name}: the form's min`);
      assert.equal(field.max, bounded.maximum, `${name}: the form's max`);
      assert.deepEqual(field.value, d.formDefault ?? d.default, `${name}: the form's first value`);
      // The first value is one the server accepts.
      for (const x of [field.value].flat()) {
        if (typeof x === "number") assert.ok(x >= (field.min ?? -Infinity) && x <= (field.max ?? Infinity));
        else assert.ok(d.values!.includes(x as string), String(x));
      }
    }
    // Out of bounds over HTTP: a 400 naming the field.
    const res = await fetch(`${server.base}/api/compare`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "x", strategies: ["pi"], digits: COMPARE_OPTIONS.digits.max + 1 }),
    });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error, /^digits: /);
  } finally {
    await server.close();
  }
});

Deno.test("compare options: the CLI and compare() refuse out-of-domain values naming the option", async () => {
  for (
    const [args, re] of [
      [["--samples", "0"], /^error: --samples must be a positive integer, got "0"$/],
      [["--seed=-1"], /^error: --seed must be a non-negative integer, got "-1"$/],
      [["--digits", "16"], /^error: --digits must be at most 15, got "16"$/],
      [["--depths", "0,1.5"], /^error: --depths values must lie in \[0, 1\], got "1.5"$/],
      [["--lengths", "512,1"], /^error: --lengths must be at least 2, got "1"$/],
      [["--metrics", "ppl,nope"], /^error: --metrics: unknown metric "nope" \(known: /],
      [
        ["--margin", "needle=0.1", "--metrics", "ppl"],
        /^error: --margin takes METRIC=X with a compared metric/,
      ],
    ] as const
  ) {
    const r = await compareCli("--strategies", "pi", ...args);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr.trim(), re);
  }

  const model = await loadModel(new URL("models/facts837K/model.bin", root).pathname);
  const base = {
    model,
    modelName: "facts837K",
    strategies: [{ label: "pi", strategy: builtinRegistry().get("pi"), params: {} }],
    corpus: { name: "none", text: "", ids: new Int32Array(0) },
    lengths: [64],
    metrics: ["ppl"],
    samples: 1,
    seed: 0,
  };
  for (
    const [bad, field] of [[{ samples: 0 }, "samples"], [{ depths: [2] }, "depths"], [
      { lengths: [1] },
      "lengths",
    ]]
  ) {
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      compare({ ...base, ...(bad as any) }),
      (e: Error) =>
        e instanceof CompareError && e.message.startsWith(`${field}: `) &&
        (e as CompareError).field === field,
    );
  }
});
