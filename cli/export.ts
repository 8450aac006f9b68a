/**
 * `deno task export`: a model with a RoPE strategy applied, as a Hugging Face folder or a GGUF.
 *
 *   deno task export --model M [--strategy ENTRY] [--target N] --to hf|gguf --out PATH [--hf-format v4|v5]
 *                    [--quant q8_0|q4_k|q6_k] [--json]
 *
 * @module
 */
import { exportModel, type ExportTarget } from "../export/export_model.ts";
import { EXPORT_QUANTS, type ExportQuant } from "../export/gguf_quant.ts";
import type { HfFormat } from "../strategies/export.ts";
import { CliError, parseFlags, positiveInt, required, runCommand } from "./args.ts";
import { DEFAULT_MODEL } from "../compare/defaults.ts";

const USAGE = `Usage: deno task export [--strategy ENTRY] --to hf|gguf --out PATH [options]

  --model M            model to export (default: ${DEFAULT_MODEL})
  --strategy ENTRY     yarn | yarn:factor=8 | longrope2@result.json | config | … (as in compare; default:
                       config, the scaling the model's files declare — required when they declare none)
  --target N           the extended context (default: the model's max positions)
  --to hf|gguf         a Hugging Face folder (config.json, model.safetensors, tokenizer.json) or a GGUF file
  --out PATH           output folder (hf) or file (gguf)
  --hf-format v4|v5    config.json layout: v4 rope_scaling + rope_theta, v5 rope_parameters (default v5)
  --quant q8_0|q4_k|q6_k  gguf: quantize the matrices (q4_k: a Q4_K_M-like mix with Q6_K for the output,
                       some attn_v/ffn_down); rows that are not whole blocks fall back to Q8_0 or F16
  --json               print the result as JSON
Strategies an engine cannot express are refused with the reason (exit 1), never exported differently.`;

await runCommand(async () => {
  const values = parseFlags(Deno.args, {
    model: { type: "string" },
    strategy: { type: "string" },
    target: { type: "string" },
    to: { type: "string" },
    out: { type: "string" },
    "hf-format": { type: "string" },
    quant: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const to = required(values, "to");
  if (to !== "hf" && to !== "gguf") throw new CliError(`--to must be hf or gguf, got ${JSON.stringify(to)}`);
  const hfFormat = values["hf-format"] ?? "v5";
  if (hfFormat !== "v4" && hfFormat !== "v5") {
    throw new CliError(`--hf-format must be v4 or v5, got ${JSON.stringify(hfFormat)}`);
  }
  const quant = values.quant as string | undefined;
  if (quant !== undefined && !(EXPORT_QUANTS as readonly string[]).includes(quant)) {
    throw new CliError(`--quant must be one of ${EXPORT_QUANTS.join(", ")}, got ${JSON.stringify(quant)}`);
  }
  const result = await exportModel({
    model: values.model ?? DEFAULT_MODEL,
    strategy: values.strategy,
    targetLength: positiveInt("--target", values.target),
    to: to as ExportTarget,
    out: required(values, "out"),
    hfFormat: hfFormat as HfFormat,
    quant: quant as ExportQuant | undefined,
  });
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(`wrote ${result.files.join(", ")} (${result.strategy}, target ${result.targetLength})`);
  for (const n of result.notes) console.log(`note: ${n}`);
});
