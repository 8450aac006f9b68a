/**
 * `POST /api/rope`: the same fields `deno task rope --json --analysis --export` prints, for one
 * config (both use `ropeJson`).
 *
 * @module
 */
import {
  ConfigError,
  type HfConfig,
  type Params,
  readHfConfig,
  resolveParams,
  ropeFromHfConfig,
  ropeJson,
  type StrategyRegistry,
} from "../strategies/mod.ts";
import { LIMITS } from "./api_schemas.ts";
import { ropeDoctor } from "../strategies/doctor.ts";
import { named } from "./compare_job.ts";
import { isPluginEntry, parseEntry, type PluginResolver } from "../compare/strategy_entry.ts";
import { parseParamArgs } from "../strategies/params.ts";
import { ValidationError } from "./schema.ts";

/** A validated `/api/rope` body. */
export interface RopeRequest {
  config: HfConfig;
  strategy?: string;
  params?: Params;
  seq_len?: number;
  target?: number;
  /** Also return the doctor's report (what each engine computes, and the pitfalls). */
  doctor?: boolean;
}

/** Builds the table and its critical-dimension analysis; bad configs throw ConfigError. */
export async function ropeResponse(
  req: RopeRequest,
  registry: StrategyRegistry,
  plugins?: PluginResolver,
): Promise<Record<string, unknown>> {
  if (req.params && req.strategy === undefined) throw new ValidationError("params", "needs strategy");
  const parts = req.strategy !== undefined && isPluginEntry(req.strategy)
    ? named("strategy", () => parseEntry(req.strategy!))
    : undefined;
  if (parts?.plugin !== undefined) {
    // A plugin URL (URL#k=v): its "#" parameters, then `params`, as the CLI's --strategy and --param.
    if (!plugins) throw new ValidationError("strategy", "this server loads no plugins");
    const plugin = await plugins(parts.plugin);
    const inline = named("strategy", () => parseParamArgs(plugin.name, plugin.params, parts.paramArgs));
    req = { ...req, strategy: plugin.name, params: { ...inline, ...req.params } };
  }
  if (req.strategy !== undefined) {
    const strategy = named("strategy", () => registry.get(req.strategy!));
    named("params", () => resolveParams(strategy.name, strategy.params, req.params ?? {}));
  }
  // Tables and analyses are O(rotary_dim): refuse an absurd head_dim before building anything.
  const { spec } = readHfConfig(req.config, registry);
  if (spec.rotaryDim > LIMITS.rotaryDim) {
    throw new ConfigError(
      `config: rotary dimension ${spec.rotaryDim} exceeds the server's ${LIMITS.rotaryDim}`,
    );
  }
  const result = await ropeFromHfConfig(req.config, {
    seqLen: req.seq_len,
    strategy: req.strategy,
    params: req.params,
    targetLength: req.target,
    registry,
  });
  const body = ropeJson(result, { seqLen: req.seq_len, analysis: true, exports: true });
  if (req.doctor) body.doctor = await ropeDoctor(req.config);
  return body;
}
