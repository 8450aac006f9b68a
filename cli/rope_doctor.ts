/**
 * `deno task rope --doctor`: the RoPE doctor's report as text or JSON (see strategies/doctor.ts).
 *
 * @module
 */
import { type DoctorReport, ropeDoctor } from "../strategies/doctor.ts";
import type { HfConfig } from "../strategies/hf_config.ts";
import { CliError } from "./args.ts";

const short = (a: number[]) =>
  a.length <= 6
    ? a.map((v) => v.toPrecision(6)).join(", ")
    : [...a.slice(0, 3), NaN, ...a.slice(-2)].map((v) => Number.isNaN(v) ? "…" : v.toPrecision(6)).join(", ");

/** The report in words: one block per engine, then the pitfalls. */
export function doctorText(r: DoctorReport): string {
  const lines = [
    `${r.ropeType}${
      r.layerType ? ` (layer type ${r.layerType})` : ""
    }: θ ${r.theta}, head_dim ${r.headDim}, ` +
    `rotary_dim ${r.rotaryDim}, L0 ${r.originalContext}, max_position_embeddings ${r.maxPositions}`,
  ];
  if (r.layerTypes.length) lines.push(`  rope_parameters per layer type: ${r.layerTypes.join(", ")}`);
  if (r.configEntry) {
    const e = r.configEntry;
    lines.push(
      `  ropekit's "config" entry (its default strategy for a model with this config): ${e.strategy} ` +
        `${JSON.stringify(e.params)}, target ${e.targetLength}`,
    );
  }
  for (const c of r.columns) {
    lines.push(``, `${c.engine}${c.supported ? "" : " (NOT SUPPORTED)"} — ${c.source}`);
    for (const s of c.sets) {
      lines.push(`  ${s.use.padEnd(5)} cos/sin ×${s.cosSinScale}  inv_freq [${short(s.invFreq)}]`);
    }
    if (c.softmaxScale !== 1) lines.push(`  softmax scale ×${c.softmaxScale}`);
    lines.push(`  switching: ${c.switching}`);
    if (c.reads.length) lines.push(`  reads: ${c.reads.join(", ")}`);
    if (c.ignores.length) lines.push(`  ignores: ${c.ignores.join(", ")}`);
  }
  lines.push("", r.pitfalls.length ? "Pitfalls:" : "No known pitfall for this config.");
  for (const p of r.pitfalls) {
    lines.push(
      `  [${p.id}] (${p.engines.join(", ")}) ${p.message}${
        p.refs.length ? ` See ${p.refs.join(", ")}.` : ""
      }`,
    );
  }
  return lines.join("\n");
}

/** Prints the doctor's report for a config (or an array of them); returns the exit code. */
export async function doctorMain(doc: unknown, json: boolean): Promise<number> {
  const configs = Array.isArray(doc) ? doc : [doc];
  const reports: DoctorReport[] = [];
  for (const [i, c] of configs.entries()) {
    if (c === null || typeof c !== "object" || Array.isArray(c)) {
      throw new CliError(`config[${i}] must be an object`);
    }
    const { seq_len: _s, layer_type, ...config } = c as HfConfig;
    try {
      reports.push(await ropeDoctor(config, layer_type as string | undefined));
    } catch (e) {
      throw new CliError(configs.length > 1 ? `config[${i}]: ${(e as Error).message}` : (e as Error).message);
    }
  }
  if (json) console.log(JSON.stringify(Array.isArray(doc) ? reports : reports[0], null, 2));
  else console.log(reports.map(doctorText).join("\n\n"));
  return 0;
}
