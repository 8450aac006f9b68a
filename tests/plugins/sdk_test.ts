/**
 * The plugin SDK as an author uses it: imported by the package's own name through the export map
 * (`@ropekit/ropekit/plugin`), its conformance suite run on the shipped examples, and the starter of
 * `deno task plugin new` — plugin and test — run by `deno test` as written.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { assertConformance, definePlugin, PluginContractError } from "@ropekit/ropekit/plugin";
import { strategy as resonance } from "../../examples/plugins/resonance.ts";
import { strategy as powerLaw } from "../../examples/plugins/power_law.ts";
import { runCli } from "./_server.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("@ropekit/ropekit/plugin: the examples pass the conformance suite; a broken table is reported", async () => {
  await assertConformance(resonance);
  await assertConformance(powerLaw, { full: true });
  const broken = definePlugin({
    ...powerLaw,
    name: "broken",
    table: (spec) => ({ rotaryDim: spec.rotaryDim, invFreq: [1], attentionScale: 1 }),
  });
  await assert.rejects(() => assertConformance(broken), (e: Error) => {
    assert.ok(e instanceof PluginContractError);
    assert.match(e.message, /conformance failure\(s\): table: .*invFreq/);
    return true;
  });
  assert.throws(() => definePlugin({ ...powerLaw, name: "Not Kebab" }), /not kebab-case/);
});

Deno.test("plugin new: the starter's own test runs ropekit's conformance suite through the SDK", async () => {
  // Inside the checkout (git-ignored), where the package's name resolves as in a user's project.
  await Deno.mkdir(join(ROOT, ".scratch"), { recursive: true });
  const dir = await Deno.makeTempDir({ dir: join(ROOT, ".scratch"), prefix: "starter_" });
  try {
    const made = await runCli("plugin", ["new", "my-rope"], { cwd: dir });
    assert.equal(made.code, 0, made.stderr);
    const source = await Deno.readTextFile(join(dir, "my_rope.ts"));
    assert.match(source, /import type \{ PluginDefinition \} from "@ropekit\/ropekit\/plugin";/);
    const test = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--quiet", "my_rope_test.ts"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const out = new TextDecoder().decode(test.stdout) + new TextDecoder().decode(test.stderr);
    assert.equal(test.code, 0, out);
    assert.match(out, /my_rope\.ts conforms to the ropekit strategy contract \.\.\. ok/);
    assert.match(out, /ok \| 1 passed \| 0 failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
