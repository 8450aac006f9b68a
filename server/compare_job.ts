/**
 * Turning a validated `POST /api/compare` body into a job spec: model and text ids looked up in the
 * catalog, strategy entries parsed and their parameters checked against the declared spaces — all
 * before the job is queued, so a bad request is a 400 now rather than a failed job later.
 *
 * @module
 */
import { CONFIG_ENTRY } from "../strategies/config_rope.ts";
import type { MetricId } from "../compare/compare.ts";
import { duplicateLabel, EntryError, parseEntry } from "../compare/strategy_entry.ts";
import { COMPARE_DEFAULTS } from "../compare/defaults.ts";
import {
  BUILTIN_STRATEGIES,
  type Params,
  type ParamSpace,
  type Strategy,
  StrategyError,
  type StrategyRegistry,
} from "../strategies/mod.ts";
import { ParamError, parseParamArgs, resolveParams } from "../strategies/params.ts";
import type { CatalogEntry } from "./catalog.ts";
import { ValidationError } from "./schema.ts";

/** A strategy of a job, resolved: what compare's ResolvedEntry needs, as plain data. */
export interface JobStrategy {
  label: string;
  name: string;
  params: Params;
  /** A plugin's declared parameters (the worker rebuilds a proxy from them); absent for built-ins. */
  paramSpace?: ParamSpace;
  /** A plugin's URL (with its pin), so a job resumed after a restart can load it again. */
  plugin?: string;
}

/** Everything a comparison job needs, as plain data (it crosses to the worker and to disk). */
export interface CompareJobSpec {
  model: string;
  modelSource: string;
  text: string;
  textSource: string;
  strategies: JobStrategy[];
  lengths?: number[];
  target?: number;
  metrics: MetricId[];
  samples: number;
  seed: number;
  /** A needle template's name; absent: the needle metric's own choice. */
  template?: string;
  digits?: number;
  depths?: number[];
  reference?: string;
}

/** A validated request body (see api_schemas.ts compareRequest). */
export interface CompareBody {
  model: string;
  text?: string;
  strategies: (string | { name: string; params?: Params; label?: string })[];
  lengths?: number[];
  target?: number;
  metrics?: MetricId[];
  samples?: number;
  seed?: number;
  template?: string;
  digits?: number;
  depths?: number[];
  reference?: string;
}

/**
 * Re-throws an entry, strategy or param error as a ValidationError naming the request field; any
 * other exception is a bug and passes through (the server answers it with a 500, never a 400).
 */
export function named<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof EntryError || e instanceof StrategyError || e instanceof ParamError) {
      throw new ValidationError(field, e.message);
    }
    throw e;
  }
}

/**
 * What a job keeps of a strategy. A plugin carries its URL pinned to the bytes that were loaded,
 * however the request named it, so a job resumed after a restart loads the same code again (or is
 * refused if it changed) instead of meeting an unknown name.
 */
function described(strategy: Strategy): Pick<JobStrategy, "name" | "paramSpace" | "plugin"> {
  if (BUILTIN_STRATEGIES.includes(strategy)) return { name: strategy.name };
  const { url, sha256 } = strategy as { url?: unknown; sha256?: unknown };
  const plugin = typeof url === "string" && typeof sha256 === "string"
    ? `${url}#sha256=${sha256}`
    : undefined;
  return { name: strategy.name, paramSpace: strategy.params, ...(plugin ? { plugin } : {}) };
}

function resolveStrategy(
  entry: CompareBody["strategies"][number],
  field: string,
  registry: StrategyRegistry,
  plugins: ReadonlyMap<string, Strategy>,
): JobStrategy {
  if (typeof entry === "string") {
    const parts = named(field, () => parseEntry(entry));
    if (parts.plugin === undefined && parts.name === CONFIG_ENTRY) {
      return configStrategy(entry.trim(), parts, field);
    }
    if (parts.resultFile !== undefined) {
      throw new ValidationError(field, "name@result.json is not accepted over HTTP; send the params instead");
    }
    const plugin = parts.plugin === undefined ? undefined : plugins.get(parts.plugin);
    if (parts.plugin !== undefined && !plugin) throw new ValidationError(field, "the plugin was not loaded");
    const strategy = plugin ?? named(field, () => registry.get(parts.name));
    const inline = named(field, () => parseParamArgs(strategy.name, strategy.params, parts.paramArgs));
    const params = named(field, () => resolveParams(strategy.name, strategy.params, inline));
    return {
      label: entry.trim(),
      ...(parts.plugin ? { plugin: parts.plugin } : {}),
      ...described(strategy),
      params,
    };
  }
  if (entry.name === CONFIG_ENTRY) {
    return { label: entry.label ?? CONFIG_ENTRY, name: CONFIG_ENTRY, params: entry.params ?? {} };
  }
  const strategy = named(`${field}.name`, () => registry.get(entry.name));
  const params = named(
    `${field}.params`,
    () => resolveParams(strategy.name, strategy.params, entry.params ?? {}),
  );
  const given = Object.entries(entry.params ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  const label = entry.label ?? (given.length ? `${entry.name}:${given.join(",")}` : entry.name);
  return { label, ...described(strategy), params };
}

/**
 * The model's own RoPE (`config`): which strategy it is is known once the worker has loaded the model
 * (strategies/config_rope.ts), so here only its syntax is checked; parameters come as the object form.
 */
function configStrategy(label: string, parts: ReturnType<typeof parseEntry>, field: string): JobStrategy {
  if (parts.resultFile !== undefined || parts.paramArgs.length > 0) {
    throw new ValidationError(
      field,
      'config takes no parameters in a string entry; send {"name": "config", "params": {...}}',
    );
  }
  return { label, name: CONFIG_ENTRY, params: {} };
}

/**
 * Resolves a body against the catalogs and registry; throws ValidationError naming the field.
 * `plugins` holds the plugins string entries name by URL (server/plugins.ts `entryPlugins`).
 */
export function resolveCompareBody(
  body: CompareBody,
  models: CatalogEntry[],
  texts: CatalogEntry[],
  registry: StrategyRegistry,
  plugins: ReadonlyMap<string, Strategy> = new Map(),
): CompareJobSpec {
  const model = models.find((m) => m.id === body.model);
  if (!model) {
    throw new ValidationError(
      "model",
      `unknown model id ${JSON.stringify(body.model)} (see GET /api/models)`,
    );
  }
  const text = body.text === undefined ? texts[0] : texts.find((t) => t.id === body.text);
  if (!text) {
    throw new ValidationError("text", `unknown text id ${JSON.stringify(body.text)} (see GET /api/texts)`);
  }
  const strategies = body.strategies.map((e, i) => resolveStrategy(e, `strategies[${i}]`, registry, plugins));
  const labels = new Set(strategies.map((s) => s.label));
  const twice = duplicateLabel(strategies.map((s) => s.label));
  if (twice !== undefined) {
    throw new ValidationError("strategies", `two entries have the same label (${JSON.stringify(twice)})`);
  }
  if (body.reference !== undefined && !labels.has(body.reference)) {
    throw new ValidationError("reference", `no strategy is labelled ${JSON.stringify(body.reference)}`);
  }
  return {
    model: model.id,
    modelSource: model.source,
    text: text.id,
    textSource: text.source,
    strategies,
    lengths: body.lengths,
    target: body.target,
    metrics: body.metrics ?? [...COMPARE_DEFAULTS.metrics],
    samples: body.samples ?? COMPARE_DEFAULTS.samples,
    seed: body.seed ?? COMPARE_DEFAULTS.seed,
    template: body.template,
    digits: body.digits,
    depths: body.depths,
    // The model's own RoPE is the natural reference when it is one of the rows.
    reference: body.reference ?? (labels.has(CONFIG_ENTRY) ? CONFIG_ENTRY : undefined),
  };
}
