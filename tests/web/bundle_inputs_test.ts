/** The web bundle's cache key covers every module the page imports, not only web/ (server/web_assets.ts). */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleInputs } from "../../server/web_assets.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("web bundle inputs: web/ and every repository module web/main.ts reaches", async () => {
  const inputs = (await bundleInputs()).map((p) => relative(root, p));
  for (const name of ["web/main.ts", "web/index.html", "web/api.ts"]) assert.ok(inputs.includes(name), name);
  // Runtime imports from other rooms (a change there must rebuild the bundle), found through web/'s modules.
  for (const name of ["compare/report_view.ts", "util/svg_chart.ts", "eval/metrics/metric.ts"]) {
    assert.ok(inputs.includes(name), `${name} is bundled, so it must be in the cache key`);
  }
  // And what those import in turn, transitively.
  const viewImports = [...(await Deno.readTextFile(`${root}compare/report_view.ts`))
    .matchAll(/from\s+"(\.\.?\/[^"]+)"/g)].map((m) => relative(root, `${root}compare/${m[1]}`));
  assert.ok(viewImports.length > 0);
  for (const name of viewImports) assert.ok(inputs.includes(name), `${name} (imported by report_view.ts)`);
  assert.ok(inputs.every((p) => !p.startsWith("..")), "nothing outside the repository");
  assert.deepEqual(inputs, [...new Set(inputs)].sort(), "sorted, once each");
});
