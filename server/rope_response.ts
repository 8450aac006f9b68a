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
import { type PluginResolver, resolveEntry } from "../entries/mod.ts";
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
  if (req.strategy !== undefined) {
    // A name, name:k=v or plugin URL#k=v, then `params` over its parameters (as the CLI's --param);
    // "config" is refused: left out, `strategy` already means the config's own scaling.
    const entry = await named(
      "strategy",
      () => resolveEntry(req.strategy!, { registry, plugins, resultFiles: false, configEntry: false }),
    );
    const { name, params } = entry.strategy;
    req = {
      ...req,
      strategy: name,
      params: named("params", () => resolveParams(name, params, { ...entry.params, ...req.params })),
    };
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
