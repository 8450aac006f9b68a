/**
 * `deno task engines`: the model exported under each strategy, scored in transformers and llama.cpp
 * next to ropekit (per-token NLL on the same windows, inside L0 and at the target).
 *
 *   deno task engines [--model M] [--target N] [--strategies a,b] [--engines transformers,llama.cpp]
 *                     [--windows N] [--out FILE.md] [--json]
 *
 * @module
 */
import { loadModel } from "../model/load_model.ts";
import { BUILTIN_STRATEGIES, builtinRegistry } from "../strategies/registry.ts";
import { resolveEntry, splitEntries } from "../entries/mod.ts";
import { type EngineName, type EngineRow, runEngines, TOLERANCE } from "../engines/engines.ts";
import { CliError, parseFlags, positiveInt, runCommand } from "./args.ts";
import { DEFAULT_MODEL, evalTextBeside } from "../compare/defaults.ts";

const USAGE = `Usage: deno task engines [options]

  --model M                 model (default: ${DEFAULT_MODEL})
  --text FILE               text for the windows (default: the model's eval.txt)
  --target N                extension target, also the long window length (default: 8 × L0)
  --strategies a,b          strategy entries as in compare (default: every built-in)
  --engines a,b             transformers, llama.cpp (default: both)
  --windows N               windows of length L0 (default 4; one window of the target length)
  --out FILE.md             also write the report as Markdown
  --json                    print JSON
Engines: transformers needs python3 with torch + transformers (ROPEKIT_PYTHON picks another python);
llama.cpp needs node and node-llama-cpp, in .engines (deno run -A engines/llama_cpp.ts) or NODE_PATH.
An engine that is missing is reported as skipped, with the reason.`;

const ENGINES: EngineName[] = ["transformers", "llama.cpp"];

function markdown(rows: EngineRow[], head: string): string {
  const lines = [
    head,
    "",
    "| strategy | engine | length | ropekit mean NLL | engine mean NLL | max \\|Δ\\| | mean \\|Δ\\| | agrees |",
    "|---|---|---:|---:|---:|---:|---:|---|",
  ];
  const notes: string[] = [];
  for (const r of rows) {
    if (r.status !== "ok") {
      lines.push(
        `| ${r.strategy} | ${r.engine} | | | | | | ${r.status}: ${r.reason?.replaceAll("|", "\\|")} |`,
      );
      continue;
    }
    for (const a of r.byLength!) {
      lines.push(
        `| ${r.strategy} | ${r.engine} | ${a.length} | ${a.ropekitMean.toFixed(5)} | ${
          a.engineMean.toFixed(5)
        } | ` +
          `${a.maxAbsDiff.toExponential(2)} | ${a.meanAbsDiff.toExponential(2)} | ${
            a.agrees ? "yes" : "**no**"
          } |`,
      );
    }
    for (const n of r.notes ?? []) notes.push(`- ${r.strategy} → ${r.engine}: ${n}`);
  }
  const versions = [...new Set(rows.flatMap((r) => r.version ? [r.version] : []))];
  return [
    ...lines,
    "",
    `Tolerances (nats/token): ${
      ENGINES.map((e) => `${e} max ${TOLERANCE[e].max}, mean ${TOLERANCE[e].mean}`).join("; ")
    }.`,
    versions.length ? `Engines: ${versions.join("; ")}.` : "",
    "",
    ...(notes.length ? ["Export notes:", "", ...new Set(notes)] : []),
    "",
  ].join("\n");
}

await runCommand(async () => {
  const values = parseFlags(Deno.args, {
    model: { type: "string" },
    text: { type: "string" },
    target: { type: "string" },
    strategies: { type: "string" },
    engines: { type: "string" },
    windows: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) return console.log(USAGE);
  const modelPath = values.model ?? DEFAULT_MODEL;
  const model = await loadModel(modelPath);
  const l0 = model.spec.originalContext;
  const target = positiveInt("--target", values.target) ?? 8 * l0;
  // Every built-in; p-RoPE at Gemma 4's fraction, since with its default (1) it is the default RoPE.
  const builtins = BUILTIN_STRATEGIES.map((s) =>
    s.name === "proportional" ? "proportional:partial_rotary_factor=0.25" : s.name
  );
  const strategies = values.strategies ? splitEntries(String(values.strategies)) : builtins;
  const registry = builtinRegistry();
  for (const s of strategies) {
    try {
      await resolveEntry(s, { registry });
    } catch (e) {
      throw new CliError(`--strategies: ${(e as Error).message}`);
    }
  }
  const engines = (values.engines ? String(values.engines).split(",") : ENGINES) as EngineName[];
  for (const e of engines) {
    if (!ENGINES.includes(e)) {
      throw new CliError(`--engines: unknown "${e}" (known: ${ENGINES.join(", ")})`);
    }
  }
  const textPath = values.text ?? await evalTextBeside(modelPath);
  if (!textPath) throw new CliError("--text is required for a model without eval.txt");
  const ids = model.tokenizer.encode(await Deno.readTextFile(textPath), { bos: false });
  const nShort = positiveInt("--windows", values.windows) ?? 4;
  if (ids.length < (target - 1) + nShort * (l0 - 1)) {
    throw new CliError(`${textPath}: too short for the windows`);
  }
  const bos = model.tokenizer.bosId;
  // The long window first, then L0 windows from the text after it: the same tokens for every engine.
  const windows = [[bos, ...ids.slice(0, target - 1)]];
  for (let i = 0; i < nShort; i++) {
    const at = target - 1 + i * (l0 - 1);
    windows.push([bos, ...ids.slice(at, at + l0 - 1)]);
  }
  const workDir = await Deno.makeTempDir({ prefix: "ropekit-engines-" });
  const python = Deno.env.get("ROPEKIT_PYTHON");
  try {
    const rows = await runEngines({
      model,
      windows,
      targetLength: target,
      strategies,
      engines,
      workDir,
      setup: python ? { python } : {},
      progress: (l) => console.error(l),
    });
    const head = `# Engines report\n\nMade by \`deno task engines ${Deno.args.join(" ")}\`.\n\n` +
      `Model ${modelPath.replace(/^.*\/models\//, "models/")} (L0 ${l0}), target ${target}: ` +
      `1 window of ${target} tokens and ${nShort} of ${l0}, from ${
        textPath.replace(/^.*\/models\//, "models/")
      }.`;
    const md = markdown(rows, head);
    if (values.out) await Deno.writeTextFile(String(values.out), md);
    console.log(values.json ? JSON.stringify({ target, l0, rows }, null, 2) : md);
  } finally {
    await Deno.remove(workDir, { recursive: true });
  }
});
