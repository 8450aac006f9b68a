/**
 * `deno task plugin`: the plugin author's toolkit.
 *
 *   deno task plugin check <url|path> [--json]   the conformance suite, in the sandbox, per property
 *   deno task plugin new NAME [--out FILE]       a starter plugin that passes its own check
 *
 * @module
 */
import { basename } from "node:path";
import { CliError, parseFlags, positiveInt, runCommand } from "./args.ts";
import { checkPlugin } from "../plugins/mod.ts";
import { starterPlugin, starterTest } from "../plugins/starter.ts";
import { BUILTIN_STRATEGIES, HF_ALIASES } from "../strategies/registry.ts";

const USAGE = `Usage: deno task plugin check <url|path> [options]
       deno task plugin new NAME [--out FILE]

check    runs the strategy conformance suite on the plugin inside its sandbox (as ropekit does on
         load, with the full grid of model shapes) and prints a pass/fail line per property;
         exits 1 when any fails. The URL may end in #sha256=<hex>. Nothing is written.
new      writes a starter plugin named NAME (kebab-case) to FILE (default: NAME with _ for -, .ts)

  --json           check: print the result as JSON
  --timeout-ms N   check: deadline of one call (default 5000)
  --memory-mb N    check: memory of the sandbox (default 512)
  --out FILE       new: where to write the starter
  -h, --help       this text`;

const OPTIONS = {
  json: { type: "boolean" },
  "timeout-ms": { type: "string" },
  "memory-mb": { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

async function check(target: string, v: Record<string, unknown>): Promise<void> {
  const result = await checkPlugin(target, {
    timeoutMs: positiveInt("--timeout-ms", v["timeout-ms"]),
    memoryMb: positiveInt("--memory-mb", v["memory-mb"]),
  });
  if (v.json) console.log(JSON.stringify(result, null, 2));
  else {
    const width = Math.max(...result.results.map((r) => r.property.length));
    for (const r of result.results) {
      console.log(`${r.ok ? "pass" : "FAIL"}  ${r.property.padEnd(width)}  ${r.detail}`);
    }
    const failed = result.results.filter((r) => !r.ok).length;
    console.log(
      failed
        ? `${failed} of ${result.results.length} properties failed: ropekit would refuse ${target}`
        : `all ${result.results.length} properties pass: "${result.name}" is ready to load`,
    );
  }
  if (!result.ok) Deno.exit(1);
}

async function create(name: string, out: string | undefined): Promise<void> {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) {
    throw new CliError(`NAME must be kebab-case (e.g. my-rope), got "${name}"`);
  }
  if (BUILTIN_STRATEGIES.some((s) => s.name === name) || name in HF_ALIASES) {
    throw new CliError(`"${name}" is a built-in strategy's name: choose another`);
  }
  const file = out ?? `${name.replaceAll("-", "_")}.ts`;
  const testFile = file.replace(/(\.[jt]s)?$/, "_test.ts");
  for (const [path, text] of [[file, starterPlugin(name)], [testFile, starterTest(basename(file))]]) {
    try {
      await Deno.writeTextFile(path, text, { createNew: true });
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) throw new CliError(`${path} exists: not overwriting it`);
      throw new CliError(`cannot write ${path}: ${(e as Error).message}`);
    }
  }
  console.log(`wrote ${file} and ${testFile}; check it with: deno task plugin check ./${basename(file)}`);
  console.log(`its test imports @ropekit/ropekit/plugin: add the package to your import map to run it`);
}

async function main(): Promise<void> {
  const [command, target, ...rest] = Deno.args;
  if (command === undefined || command === "-h" || command === "--help") return console.log(USAGE);
  const v = parseFlags(rest, OPTIONS);
  if (v.help) return console.log(USAGE);
  if (command !== "check" && command !== "new") {
    throw new CliError(`unknown command "${command}" (check or new)`);
  }
  if (target === undefined || target.startsWith("-")) {
    throw new CliError(command === "check" ? "check needs a plugin URL or path" : "new needs a NAME");
  }
  if (command === "check") await check(target, v);
  else await create(target, v.out as string | undefined);
}

if (import.meta.main) await runCommand(main);
