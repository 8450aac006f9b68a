/**
 * The conformance suite every strategy runs — built-ins in `tests/`, plugins on load. It checks the
 * contract, not the math: shape, validation of parameters, deterministic and valid tables over a
 * spread of model specs and lengths.
 *
 * @module
 */
import type { Params, RopeSpec, Strategy } from "./types.ts";
import { contractViolation } from "./registry.ts";
import { resolveParams } from "./params.ts";
import { validateTable } from "./table.ts";
import { makeSpec } from "./spec.ts";

/** One failed check. */
export interface ConformanceFailure {
  /** Which property failed (contract, params, table, deterministic, identity, …). */
  check: string;
  /** What was wrong, in one line. */
  message: string;
}

/** Options of {@linkcode checkConformance}. */
export interface ConformanceOptions {
  /** Parameters to use (e.g. required factor arrays); may be a function of the spec. */
  params?: Params | ((spec: RopeSpec) => Params);
  /** Run the smaller spec grid (plugins on load). */
  fast?: boolean;
  /** Also require that target = L0 reproduces the original RoPE (true for every built-in). */
  identityAtUnitRatio?: boolean;
}

/** Model shapes the suite runs on: interleaved/half, partial rotary, tiny and large dims, odd θ. */
export function conformanceSpecs(fast = false): RopeSpec[] {
  const specs = [
    makeSpec({ theta: 10000, headDim: 8, originalContext: 512, pairing: "interleaved" }),
    makeSpec({ theta: 500000, headDim: 128, originalContext: 8192 }),
    makeSpec({ theta: 10000, headDim: 128, rotaryDim: 96, originalContext: 4096, maxPositions: 131072 }),
  ];
  if (fast) return specs;
  return [
    ...specs,
    makeSpec({ theta: 1000000, headDim: 64, originalContext: 32768 }),
    makeSpec({ theta: 12345.5, headDim: 80, rotaryDim: 40, originalContext: 2048 }),
    makeSpec({ theta: 150000, headDim: 256, originalContext: 4096 }),
  ];
}

function paramsFor(opts: ConformanceOptions, spec: RopeSpec): Params {
  return typeof opts.params === "function" ? opts.params(spec) : opts.params ?? {};
}

/**
 * Runs the suite and returns every failure (empty when the strategy conforms). Never throws for a
 * misbehaving strategy: its exceptions become failures.
 */
export async function checkConformance(
  strategy: Strategy,
  opts: ConformanceOptions = {},
): Promise<ConformanceFailure[]> {
  const failures: ConformanceFailure[] = [];
  const fail = (check: string, message: string) => failures.push({ check, message });
  const why = contractViolation(strategy);
  if (why) return [{ check: "contract", message: why }];

  // Declared defaults must satisfy their own declarations.
  for (const [key, def] of Object.entries(strategy.params)) {
    if (def.default === undefined) continue;
    try {
      resolveParams(strategy.name, { [key]: def }, {});
    } catch (e) {
      fail("param-defaults", (e as Error).message);
    }
  }
  // Unknown parameters are refused before the strategy runs.
  try {
    resolveParams(strategy.name, strategy.params, { __not_a_parameter__: 1 });
    fail("unknown-param", "an unknown parameter was accepted");
  } catch { /* expected */ }

  for (const spec of conformanceSpecs(opts.fast)) {
    const label = `θ=${spec.theta} d=${spec.rotaryDim}/${spec.headDim} L0=${spec.originalContext}`;
    let params: Params;
    try {
      params = resolveParams(strategy.name, strategy.params, paramsFor(opts, spec), spec);
    } catch (e) {
      fail("params", `${label}: ${(e as Error).message}`);
      continue;
    }
    for (const ratio of [1, 2, 4, 8.5]) {
      const ctx = {
        targetLength: Math.round(spec.originalContext * ratio),
        seqLen: Math.round(spec.originalContext * ratio),
      };
      try {
        const a = validateTable(await strategy.table(spec, ctx, params), spec);
        const b = validateTable(await strategy.table(spec, ctx, params), spec);
        if (a.invFreq.some((v, i) => v !== b.invFreq[i]) || a.attentionScale !== b.attentionScale) {
          fail("deterministic", `${label} ×${ratio}: two calls gave different tables`);
        }
        if (ratio === 1 && opts.identityAtUnitRatio) {
          const base = validateTable(
            await strategy.table(spec, { targetLength: spec.originalContext }, params),
            spec,
          );
          const ref = Array.from(
            { length: spec.rotaryDim / 2 },
            (_, i) => Math.pow(spec.theta, (-2 * i) / spec.rotaryDim),
          );
          const worst = Math.max(...ref.map((r, i) => Math.abs(base.invFreq[i] - r) / r));
          if (worst > 1e-6 || Math.abs(base.attentionScale - 1) > 1e-12) {
            fail(
              "identity",
              `${label}: target = L0 changed RoPE (max rel ${worst}, scale ${base.attentionScale})`,
            );
          }
        }
      } catch (e) {
        fail("table", `${label} ×${ratio}: ${(e as Error).message}`);
      }
    }
  }
  return failures;
}
