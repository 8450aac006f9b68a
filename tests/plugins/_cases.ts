/**
 * One case per way a plugin can be broken or hostile, shared by the loader's refusal tests and the
 * CLI's (which serve each over HTTP and load it by URL).
 */
import type { PluginErrorCode, PluginOptions } from "../../plugins/mod.ts";
import { pluginSource, VALID_TABLE } from "./_server.ts";

export interface Case {
  /** What the plugin does. */
  does: string;
  /** Its source, or an HTTP status to answer with. */
  source: string | number;
  code: PluginErrorCode;
  message: RegExp;
  options?: PluginOptions;
}

const withTable = (invFreq: string) =>
  pluginSource(`return { rotaryDim: spec.rotaryDim, invFreq: ${invFreq}, attentionScale: 1 };`);

export const CASES: Case[] = [
  { does: "is not there (404)", source: 404, code: "PLUGIN_UNREACHABLE", message: /HTTP 404/ },
  {
    does: "is not a module (HTML)",
    source: "<!doctype html><p>hello</p>",
    code: "PLUGIN_IMPORT",
    message: /is not a loadable module: .*SyntaxError/,
  },
  {
    does: "has a syntax error",
    source: "export const strategy = {",
    code: "PLUGIN_IMPORT",
    message: /SyntaxError/,
  },
  {
    does: "exports no strategy",
    source: "export const somethingElse = 1;",
    code: "PLUGIN_EXPORT",
    message: /^Cannot load plugin "[^"]+": missing export "strategy"/,
  },
  {
    does: "speaks another apiVersion",
    source: pluginSource(VALID_TABLE).replace("apiVersion: 1", "apiVersion: 3"),
    code: "PLUGIN_CONTRACT",
    message: /apiVersion is 3, this ropekit speaks 1 and 2/,
  },
  {
    does: "has a malformed name",
    source: pluginSource(VALID_TABLE, { name: "Not Kebab" }),
    code: "PLUGIN_CONTRACT",
    message: /name "Not Kebab" is not kebab-case/,
  },
  {
    does: "declares a parameter without a type",
    source: pluginSource(VALID_TABLE).replace("params: {}", "params: { k: { description: 'x' } }"),
    code: "PLUGIN_CONTRACT",
    message: /parameter "k" has no valid type/,
  },
  {
    does: "exports a table that is not a function",
    source:
      'export default { apiVersion: 1, name: "x", version: "1", description: "", params: {}, table: 3 };',
    code: "PLUGIN_CONTRACT",
    message: /missing table function/,
  },
  {
    does: "returns a table of the wrong length",
    source: withTable("[1, 0.5, 0.25]"),
    code: "PLUGIN_BAD_TABLE",
    message: /invFreq has 3 entries, expected rotaryDim\/2 = 4/,
  },
  {
    does: "returns NaN",
    source: withTable("Array.from({ length: spec.rotaryDim / 2 }, (_, i) => i === 1 ? NaN : 1)"),
    code: "PLUGIN_BAD_TABLE",
    message: /invFreq\[1\] = NaN: must be finite and > 0/,
  },
  {
    does: "returns a negative frequency",
    source: withTable("Array.from({ length: spec.rotaryDim / 2 }, () => -1)"),
    code: "PLUGIN_BAD_TABLE",
    message: /invFreq\[0\] = -1: must be finite and > 0/,
  },
  {
    does: "returns an array far longer than rotaryDim/2",
    source: withTable("new Float64Array(1e6).fill(1)"),
    code: "PLUGIN_MESSAGE_TOO_LARGE",
    message: /over the limit of 262144/,
  },
  {
    does: "is not deterministic",
    source: pluginSource(VALID_TABLE.replace("attentionScale: 1", "attentionScale: 1 + Math.random()")),
    code: "PLUGIN_NONCONFORMANT",
    message: /fails the conformance suite .*deterministic/,
  },
  {
    does: "throws",
    source: pluginSource('throw new RangeError("no table for you");'),
    code: "PLUGIN_THREW",
    message: /threw in table\(\): RangeError: no table for you/,
  },
  {
    does: "loops forever in table()",
    source: pluginSource("for (;;) {}"),
    code: "PLUGIN_TIMEOUT",
    message: /table\(\) ran past the 1000 ms deadline/,
    options: { timeoutMs: 1000 },
  },
  {
    does: "loops forever at import",
    source: pluginSource(VALID_TABLE, { moduleCode: "for (;;) {}" }),
    code: "PLUGIN_TIMEOUT",
    message: /loading the module ran past the 1000 ms deadline/,
    options: { timeoutMs: 1000 },
  },
  {
    does: "allocates JS objects without bound",
    source: pluginSource("const keep = []; for (;;) keep.push({ a: [1, 2, 3] });"),
    code: "PLUGIN_MEMORY",
    message: /ran past the 160 MiB memory limit/,
    options: { memoryMb: 160 },
  },
  {
    does: "allocates typed arrays (outside V8's heap) without bound",
    source: pluginSource("const keep = []; for (;;) keep.push(new Float64Array(1 << 20).fill(1));"),
    code: "PLUGIN_MEMORY",
    message: /ran past the 160 MiB memory limit/,
    options: { memoryMb: 160 },
  },
  {
    does: "reads a file",
    source: pluginSource('Deno.readTextFileSync("/etc/hostname");'),
    code: "PLUGIN_PERMISSION",
    message: /denied by the sandbox in table\(\): Requires read access to "\/etc\/hostname"/,
  },
  {
    does: "reads a file through node:fs at import",
    source: pluginSource(VALID_TABLE, {
      moduleCode: 'import fs from "node:fs"; fs.readFileSync("/etc/hostname");',
    }),
    code: "PLUGIN_PERMISSION",
    message: /Requires read access/,
  },
  {
    does: "opens a socket",
    source: pluginSource('await Deno.connect({ hostname: "127.0.0.1", port: 80 });').replace(
      "table(spec",
      "async table(spec",
    ),
    code: "PLUGIN_PERMISSION",
    message: /Requires net access to "127.0.0.1:80"/,
  },
  {
    does: "reads the environment",
    source: pluginSource('Deno.env.get("HOME");'),
    code: "PLUGIN_PERMISSION",
    message: /Requires env access to "HOME"/,
  },
  {
    does: "spawns a process",
    source: pluginSource('new Deno.Command("id").outputSync();'),
    code: "PLUGIN_PERMISSION",
    message: /Requires run access to "id"/,
  },
  {
    does: "starts a worker with more permissions",
    source: pluginSource(VALID_TABLE, {
      moduleCode:
        'new Worker("data:text/javascript,1", { type: "module", deno: { permissions: { read: true } } });',
    }),
    code: "PLUGIN_PERMISSION",
    message: /Can't escalate parent thread permissions/,
  },
  {
    does: "imports from another origin",
    source: pluginSource(VALID_TABLE, { moduleCode: 'import "https://example.org/evil.ts";' }),
    code: "PLUGIN_PERMISSION",
    message: /Requires import access to "example.org:443"/,
  },
  {
    does: "imports a jsr: package",
    source: pluginSource(VALID_TABLE, { moduleCode: 'import "jsr:@std/assert";' }),
    code: "PLUGIN_PERMISSION",
    message: /Requires import access to "jsr.io:443"/,
  },
];
