/**
 * Turning a validated `POST /api/compare` body into a job spec: model and text ids looked up in the
 * catalog, strategy entries parsed and their parameters checked against the declared spaces — all
 * before the job is queued, so a bad request is a 400 now rather than a failed job later.
 *
 * @module
 */
import { CONFIG_ENTRY } from "../strategies/config_rope.ts";
import type { MetricId } from "../compare/compare.ts";
import {
  duplicateLabel,
  EntryError,
  type EntryObject,
  parseEntry,
  type PluginResolver,
  resolveEntry,
} from "../entries/mod.ts";
import { COMPARE_DEFAULTS } from "../compare/defaults.ts";
import {
  BUILTIN_STRATEGIES,
  type Params,
  type ParamSpace,
  type Strategy,
  StrategyError,
  type StrategyRegistry,
} from "../strategies/mod.ts";
import { ParamError } from "../strategies/params.ts";
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
  strategies: (string | EntryObject)[];
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

/** An entry, strategy or param error as a ValidationError naming `field`; anything else unchanged. */
function asValidation(field: string | ((e: Error) => string), e: unknown): unknown {
  if (e instanceof EntryError || e instanceof StrategyError || e instanceof ParamError) {
    return new ValidationError(typeof field === "string" ? field : field(e), e.message);
  }
  return e;
}

/**
 * Runs `f`, re-throwing an entry, strategy or param error (thrown, or a rejection of the promise `f`
 * returns) as a ValidationError naming the request field (or the field `field(error)` picks); any other
 * exception is a bug and passes through (the server answers it with a 500, never a 400).
 */
export function named<T>(field: string | ((e: Error) => string), f: () => T): T {
  let out: T;
  try {
    out = f();
  } catch (e) {
    throw asValidation(field, e);
  }
  if (out instanceof Promise) {
    return out.catch((e) => {
      throw asValidation(field, e);
    }) as T;
  }
  return out;
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

async function resolveStrategy(
  entry: CompareBody["strategies"][number],
  field: string,
  registry: StrategyRegistry,
  plugins: ReadonlyMap<string, Strategy>,
): Promise<JobStrategy> {
  let plugin: string | undefined;
  if (typeof entry === "string") {
    const parts = named(field, () => parseEntry(entry));
    // Which strategy `config` is depends on the model, which the worker loads (it resolves it then).
    if (parts.plugin === undefined && parts.name === CONFIG_ENTRY) {
      return configStrategy(entry.trim(), parts, field);
    }
    plugin = parts.plugin;
  } else if (entry.name === CONFIG_ENTRY) {
    return { label: entry.label ?? CONFIG_ENTRY, name: CONFIG_ENTRY, params: entry.params ?? {} };
  }
  // Plugins named by entries were loaded before (server/plugins.ts entryPlugins); none is loaded here.
  const loaded: PluginResolver = (specifier) => {
    const strategy = plugins.get(specifier);
    return strategy ? Promise.resolve(strategy) : Promise.reject(new EntryError("the plugin was not loaded"));
  };
  // The object form's errors name its field: an unknown strategy `.name`, bad parameters `.params`.
  const fieldOf = typeof entry === "string"
    ? field
    : (e: Error) => e instanceof ParamError ? `${field}.params` : `${field}.name`;
  const resolved = await named(
    fieldOf,
    () => resolveEntry(entry, { registry, plugins: loaded, resultFiles: false }),
  );
  return {
    label: resolved.label,
    ...(plugin ? { plugin } : {}),
    ...described(resolved.strategy),
    params: resolved.params,
  };
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
export async function resolveCompareBody(
  body: CompareBody,
  models: CatalogEntry[],
  texts: CatalogEntry[],
  registry: StrategyRegistry,
  plugins: ReadonlyMap<string, Strategy> = new Map(),
): Promise<CompareJobSpec> {
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
  const strategies: JobStrategy[] = [];
  for (const [i, e] of body.strategies.entries()) {
    // One at a time, so the first bad entry is the one reported.
    strategies.push(await resolveStrategy(e, `strategies[${i}]`, registry, plugins));
  }
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
