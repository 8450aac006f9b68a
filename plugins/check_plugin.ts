/**
 * `plugin check`'s engine: the full conformance suite (the one every built-in passes, with the
 * larger spec grid) run on a plugin inside its sandbox, reported as one verdict per property so a
 * plugin author sees everything that ropekit will demand at once, not only the first failure.
 *
 * @module
 */
import type { ParamDef, Params, ParamValue, RopeSpec } from "../strategies/types.ts";
import { checkConformance, conformanceSpecs } from "../strategies/conformance.ts";
import { resolveParams } from "../strategies/params.ts";
import { PluginError, type PluginErrorCode } from "./errors.ts";
import { checkName, limitsOf, openPlugin, type PluginOptions, type PluginStrategy } from "./load_plugin.ts";

/** One property's verdict. */
export interface PropertyResult {
  /** Stable key: load, name, contract, param-defaults, unknown-param, tables, deterministic, params-honoured, deadline, result-size, memory, sandbox. */
  property: string;
  ok: boolean;
  /** What was checked, or why it failed. */
  detail: string;
}

/** What `plugin check` reports. */
export interface PluginCheck {
  /** The plugin as given. */
  specifier: string;
  name?: string;
  sha256?: string;
  ok: boolean;
  results: PropertyResult[];
}

const RATIOS = 4; // conformance.ts runs ×1, ×2, ×4 and ×8.5 per spec

/** Where a sandbox fault is reported: each is its own property; the rest are table failures. */
const FAULT_PROPERTY: Partial<Record<PluginErrorCode, string>> = {
  PLUGIN_TIMEOUT: "deadline",
  PLUGIN_MESSAGE_TOO_LARGE: "result-size",
  PLUGIN_MEMORY: "memory",
  PLUGIN_PERMISSION: "sandbox",
};

/** A valid value other than the default, to see that the parameter changes the table. */
function otherValue(def: ParamDef): ParamValue | undefined {
  switch (def.type) {
    case "boolean":
      return !(def.default ?? false);
    case "enum":
      return def.values.find((v) => v !== def.default);
    case "number":
    case "integer": {
      const lo = def.min ?? 0;
      const from = def.default ?? Math.max(lo, 1);
      let v = def.type === "integer" ? from + 1 : from * 2 || 1;
      if (def.max !== undefined && v > def.max) v = def.type === "integer" ? from - 1 : (from + lo) / 2;
      return v === from ? undefined : v;
    }
    default:
      return undefined; // factor arrays: one per pair, nothing generic to vary
  }
}

async function paramsHonoured(strategy: PluginStrategy, fault: () => PluginError | undefined) {
  if (fault()) return { ok: false, detail: "not run: the sandbox failed (see below)" };
  const failures: string[] = [];
  let tried = 0;
  for (const [key, def] of Object.entries(strategy.params)) {
    const other = otherValue(def);
    if (other === undefined) continue;
    tried++;
    let changed = false;
    for (const spec of conformanceSpecs()) {
      const ctx = { targetLength: spec.originalContext * 4, seqLen: spec.originalContext * 4 };
      try {
        const base = resolveParams(strategy.name, strategy.params, {}, spec);
        const varied = resolveParams(strategy.name, strategy.params, { [key]: other }, spec);
        const a = await strategy.table(spec, ctx, base);
        const b = await strategy.table(spec, ctx, varied);
        if (a.attentionScale !== b.attentionScale || a.invFreq.some((v, i) => v !== b.invFreq[i])) {
          changed = true;
          break;
        }
      } catch {
        if (fault()) return { ok: false, detail: "not run: the sandbox failed (see below)" };
        changed = true; // a refusal is a reaction to the value: the table checks report it
        break;
      }
    }
    if (!changed) failures.push(`${key}=${JSON.stringify(other)} gives the same tables as the default`);
  }
  if (failures.length) return { ok: false, detail: failures.join("; ") };
  return {
    ok: true,
    detail: tried ? `${tried} declared parameter(s) each change the table` : "no parameter to vary",
  };
}

/**
 * Checks the plugin at `specifier` in its sandbox (no lock file is read or written). Never throws
 * for a bad plugin: a plugin that does not load gets a failed `load` property.
 */
export async function checkPlugin(specifier: string, opts: PluginOptions = {}): Promise<PluginCheck> {
  let plugin: PluginStrategy;
  try {
    plugin = await openPlugin(specifier, { ...opts, lockFile: false });
  } catch (e) {
    if (!(e instanceof PluginError)) throw e;
    const property = e.code === "PLUGIN_CONTRACT" || e.code === "PLUGIN_EXPORT"
      ? "contract"
      : FAULT_PROPERTY[e.code] ?? "load";
    return { specifier, ok: false, results: [{ property, ok: false, detail: e.message }] };
  }
  const results: PropertyResult[] = [
    { property: "load", ok: true, detail: `imported in the sandbox, sha256 ${plugin.sha256}` },
    { property: "contract", ok: true, detail: "apiVersion, name, version, params and table are well-formed" },
  ];
  try {
    try {
      checkName(plugin);
      results.push({
        property: "name",
        ok: true,
        detail: `"${plugin.name}" is not a built-in's name or alias`,
      });
    } catch (e) {
      results.push({ property: "name", ok: false, detail: (e as Error).message });
    }
    // Faults end the run, as on load: a plugin that loops costs one deadline, not one per call.
    let fault: PluginError | undefined;
    const probe = {
      ...plugin,
      table: async (spec: RopeSpec, ctx: object, params: Params) => {
        if (fault) throw fault;
        try {
          return await plugin.table(spec, ctx, params);
        } catch (e) {
          if (e instanceof PluginError && FAULT_PROPERTY[e.code]) fault ??= e;
          throw e;
        }
      },
    };
    const failures = await checkConformance(probe);
    const specs = conformanceSpecs().length;
    const byCheck = (...checks: string[]) => failures.filter((f) => checks.includes(f.check));
    const verdict = (property: string, detail: string, ...checks: string[]) => {
      const failed = byCheck(...checks);
      const first = failed[0];
      results.push(
        failed.length
          ? {
            property,
            ok: false,
            detail: `${failed.length} failure(s); first: ${first.message}`,
          }
          : { property, ok: true, detail },
      );
    };
    verdict("param-defaults", "every declared default satisfies its declaration", "param-defaults");
    verdict("unknown-param", "an undeclared parameter is refused", "unknown-param");
    verdict("tables", `valid tables for ${specs} model shapes × ${RATIOS} lengths`, "params", "table");
    verdict("deterministic", "the same inputs give the same table", "deterministic");
    results.push({ property: "params-honoured", ...(await paramsHonoured(probe, () => fault)) });
    const limits = limitsOf(opts);
    for (const property of new Set(Object.values(FAULT_PROPERTY))) {
      const hit = fault && FAULT_PROPERTY[fault.code] === property;
      const passed: Record<string, string> = {
        deadline: `every call within the ${limits.timeoutMs} ms deadline`,
        "result-size": `every result within ${limits.maxMessageLength} characters`,
        memory: `within ${limits.memoryMb} MiB`,
        sandbox: "used no capability the sandbox denies",
      };
      results.push(
        hit
          ? { property, ok: false, detail: fault!.message }
          : { property, ok: true, detail: passed[property] },
      );
    }
  } finally {
    await plugin.close();
  }
  return {
    specifier,
    name: plugin.name,
    sha256: plugin.sha256,
    ok: results.every((r) => r.ok),
    results,
  };
}
