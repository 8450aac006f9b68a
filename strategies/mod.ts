/**
 * RoPE scaling strategies: one contract, eight built-ins, a registry, HF config import/export and
 * critical-dimension analysis. Pure data in, pure data out: nothing here touches a model or a GPU.
 *
 * @example Build YaRN's table for a model trained at 512 tokens, extended to 2048
 * ```ts
 * import { buildTable, builtinRegistry, makeSpec } from "./mod.ts";
 *
 * const spec = makeSpec({ theta: 10000, headDim: 64, originalContext: 512 });
 * const yarn = builtinRegistry().get("yarn");
 * const table = await buildTable(yarn, spec, { targetLength: 2048 });
 * console.log(table.invFreq.length, table.attentionScale); // 32 1.1386294361119891
 * ```
 *
 * @example Read an HF config.json and see what transformers would compute
 * ```ts
 * import { ropeFromHfConfig } from "./mod.ts";
 *
 * const config = JSON.parse(await Deno.readTextFile("config.json"));
 * const { chosen } = await ropeFromHfConfig(config, { seqLen: 8192 });
 * console.log(chosen.invFreq, chosen.attentionScale);
 * ```
 *
 * @module
 */
export * from "./types.ts";
export { type ResolvedRope, resolveFrequencies, RopeTableError, validateTable } from "./table.ts";
export { checkSpec, makeSpec, type RopeSpecInit } from "./spec.ts";
export { ParamError, parseParamArgs, resolveParams } from "./params.ts";
export {
  buildTable,
  BUILTIN_STRATEGIES,
  builtinRegistry,
  contractViolation,
  HF_ALIASES,
  StrategyError,
  StrategyRegistry,
} from "./registry.ts";
export {
  ConfigError,
  type HfConfig,
  hfLayerTypes,
  type HfRope,
  type HfRopeTable,
  readHfConfig,
  type RopeFromConfigOptions,
  ropeFromHfConfig,
} from "./hf_config.ts";
export {
  ExportError,
  type ExportInput,
  factorsOf,
  type GgufExport,
  hfConfigFields,
  type HfExport,
  type HfFormat,
  hfLayeredConfigFields,
  toGguf,
  toHfRopeScaling,
} from "./export.ts";
export { analyzeTable, type CriticalAnalysis, type PairAnalysis } from "./analysis.ts";
export {
  CRITICAL_RANGE_ABOVE,
  criticalIndexRange,
  criticalPosition,
  defaultCriticalIndex,
  tenPeriodCriticalDim,
  theoreticalCriticalDim,
  theoreticalCriticalIndex,
} from "./critical.ts";
export { baseInvFreq } from "./float32.ts";
export { longrope2Factors } from "./longrope2.ts";
export { yarnCorrectionDim, yarnMscale } from "./yarn.ts";
export {
  checkConformance,
  type ConformanceFailure,
  type ConformanceOptions,
  conformanceSpecs,
} from "./conformance.ts";
export { ropeJson, type RopeJsonOptions } from "./rope_report.ts";
export { type DoctorReport, type DoctorSet, type EngineColumn, type Pitfall, ropeDoctor } from "./doctor.ts";
export { getTorchCpu, setTorchCpu, type TorchCpu } from "./float32.ts";
export {
  CONFIG_ENTRY,
  type ConfiguredRope,
  configuredRopeFromGguf,
  configuredRopeFromHf,
  type GgufRopeFactors,
} from "./config_rope.ts";
