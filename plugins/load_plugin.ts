/**
 * Loading a plugin: read and verify its bytes, start its sandbox, check its contract and name, run
 * the fast conformance suite through the proxy, record it in the lock file.
 *
 * @module
 */
import type { Params, RopeContext, RopeSpec, RopeTable, Strategy } from "../strategies/types.ts";
import { contractViolation, HF_ALIASES, type StrategyRegistry } from "../strategies/registry.ts";
import { BUILTIN_STRATEGIES } from "../strategies/registry.ts";
import { validateTable } from "../strategies/table.ts";
import { checkConformance } from "../strategies/conformance.ts";
import { PluginError } from "./errors.ts";
import { PluginSandbox, type SandboxLimits } from "./sandbox.ts";
import type { SandboxPool } from "./sandbox_pool.ts";
import { parsePluginSpecifier, readPluginModule, sha256Hex } from "./source.ts";
import { DEFAULT_LOCK_FILE, readLockFile, recordInLockFile } from "./lock_file.ts";

/** Options of {@linkcode loadPlugin}. Every limit has a default. */
export interface PluginOptions extends Partial<SandboxLimits> {
  /** Largest module accepted, in bytes (default 1 MiB). */
  maxSourceBytes?: number;
  /** Lock file path (default `ropekit.plugins.lock.json` in the working directory); false: none. */
  lockFile?: string | false;
  /** Names that are taken besides the built-ins (e.g. a registry's). */
  isNameTaken?: (name: string) => boolean;
  /** The pool that bounds sandbox processes (default: one shared by the whole process). */
  pool?: SandboxPool;
}

/** A strategy whose `table` runs in a sandbox. `close()` stops the sandbox process. */
export interface PluginStrategy extends Strategy {
  /** The module's URL (without a pin). */
  readonly url: string;
  /** sha256 of the bytes that run. */
  readonly sha256: string;
  /**
   * Always asynchronous: the table is computed in the sandbox and validated here. Aborting `signal`
   * (the client went away) drops a waiting call and stops a running one.
   */
  table(spec: RopeSpec, ctx: RopeContext, params: Params, signal?: AbortSignal): Promise<RopeTable>;
  close(): Promise<void>;
}

/** Limits used when {@linkcode PluginOptions} leaves them out. */
export const DEFAULT_LIMITS: SandboxLimits = { timeoutMs: 5000, memoryMb: 512, maxMessageLength: 256 * 1024 };
const DEFAULT_MAX_SOURCE_BYTES = 1024 * 1024;
const TABLE_FIELDS = [
  "rotaryDim",
  "invFreq",
  "attentionScale",
  "short",
  "switchLength",
  "startTokens",
  "original",
];

/** Keeps only a table's declared fields, so nothing else a plugin sends reaches a kernel. */
function tableFields(raw: unknown): RopeTable {
  if (raw === null || typeof raw !== "object") return raw as RopeTable;
  const picked: Record<string, unknown> = {};
  for (const key of [...TABLE_FIELDS, "lengthDependent"]) {
    if (key in raw) picked[key] = (raw as Record<string, unknown>)[key];
  }
  if (picked.lengthDependent !== undefined) picked.lengthDependent = picked.lengthDependent === true;
  return picked as unknown as RopeTable;
}

/** The sandbox behind each proxy, for the loader's own use (keeping it busy through the suite). */
const sandboxes = new WeakMap<PluginStrategy, PluginSandbox>();

function proxyStrategy(description: unknown, sandbox: PluginSandbox, sha256: string): PluginStrategy {
  const url = sandbox.module.url;
  const d = (description ?? {}) as Record<string, unknown>;
  const table = async (spec: RopeSpec, ctx: unknown, params: unknown, signal?: AbortSignal) => {
    const raw = await sandbox.table(spec, ctx, params, signal);
    try {
      return validateTable(tableFields(raw), spec);
    } catch (e) {
      throw new PluginError("PLUGIN_BAD_TABLE", url, (e as Error).message);
    }
  };
  const candidate = { ...d, hasTable: undefined, table: d.hasTable === true ? table : undefined };
  const why = contractViolation(candidate);
  if (why) throw new PluginError("PLUGIN_CONTRACT", url, why);
  const strategy = {
    ...(candidate as unknown as Strategy),
    table,
    url,
    sha256,
    close: () => sandbox.close(),
  };
  sandboxes.set(strategy, sandbox);
  return strategy;
}

/** Throws PLUGIN_NAME_TAKEN when the plugin's name is a built-in's, an HF alias or `isNameTaken`'s. */
export function checkName(strategy: PluginStrategy, isNameTaken?: (name: string) => boolean): void {
  const name = strategy.name;
  if (BUILTIN_STRATEGIES.some((s) => s.name === name) || name in HF_ALIASES) {
    throw new PluginError("PLUGIN_NAME_TAKEN", strategy.url, `name "${name}" is a built-in strategy's`);
  }
  if (isNameTaken?.(name)) {
    throw new PluginError("PLUGIN_NAME_TAKEN", strategy.url, `name "${name}" is already registered`);
  }
}

/**
 * Runs the fast conformance suite through the proxy. The suite turns exceptions into failures; a
 * sandbox fault (timeout, permission, bad table…) is rethrown instead so its code survives, and
 * ends the run so a looping plugin costs one deadline, not one per check.
 */
async function checkPluginConformance(strategy: PluginStrategy): Promise<void> {
  let fault: PluginError | undefined;
  const probe: Strategy = {
    ...strategy,
    table: async (spec, ctx, params) => {
      if (fault) throw fault;
      try {
        return await strategy.table(spec, ctx, params);
      } catch (e) {
        if (e instanceof PluginError) fault ??= e;
        throw e;
      }
    },
  };
  const failures = await checkConformance(probe, { fast: true });
  if (fault) throw fault;
  if (failures.length > 0) {
    const first = failures[0];
    throw new PluginError(
      "PLUGIN_NONCONFORMANT",
      strategy.url,
      `fails the conformance suite (${failures.length} failure${failures.length > 1 ? "s" : ""}; ` +
        `first: ${first.check}: ${first.message})`,
    );
  }
}

async function verifyIntegrity(
  url: string,
  sha256: string,
  pin: string | undefined,
  lockFile: string | false,
) {
  if (pin !== undefined) {
    if (pin !== sha256) {
      throw new PluginError("PLUGIN_INTEGRITY", url, `sha256 is ${sha256}, the URL pins ${pin}`);
    }
    return;
  }
  if (lockFile === false) return;
  const locked = (await readLockFile(lockFile, url)).plugins[url];
  if (locked && locked.sha256 !== sha256) {
    throw new PluginError(
      "PLUGIN_INTEGRITY",
      url,
      `sha256 is ${sha256}, but ${lockFile} locked ${locked.sha256}: the module changed. ` +
        `Pin the new hash (#sha256=…) or remove its entry to accept it`,
    );
  }
}

/** The sandbox limits `opts` asks for, defaults filled in. */
export function limitsOf(opts: PluginOptions): SandboxLimits {
  return {
    timeoutMs: opts.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
    memoryMb: opts.memoryMb ?? DEFAULT_LIMITS.memoryMb,
    maxMessageLength: opts.maxMessageLength ?? DEFAULT_LIMITS.maxMessageLength,
  };
}

/**
 * Reads and verifies the plugin at `specifier`, starts its sandbox and checks its contract, but
 * neither runs the conformance suite nor records it: `plugin check` runs the full suite on this.
 * Every failure is a {@linkcode PluginError} worded as a refusal to load.
 */
export async function openPlugin(specifier: string, opts: PluginOptions = {}): Promise<PluginStrategy> {
  const limits = limitsOf(opts);
  const lockFile = opts.lockFile ?? DEFAULT_LOCK_FILE;
  let sandbox: PluginSandbox | undefined;
  try {
    const { url, pin } = parsePluginSpecifier(specifier);
    const module = await readPluginModule(
      url,
      opts.maxSourceBytes ?? DEFAULT_MAX_SOURCE_BYTES,
      limits.timeoutMs,
    );
    const sha256 = await sha256Hex(module.source);
    await verifyIntegrity(url, sha256, pin, lockFile);
    sandbox = new PluginSandbox(module, limits, opts.pool);
    return proxyStrategy(await sandbox.load(), sandbox, sha256);
  } catch (e) {
    await sandbox?.close();
    // Anything else failed on the host's side (a bug, the disk): not the plugin's doing.
    if (e instanceof PluginError) throw e.whileLoading();
    throw e;
  }
}

/**
 * Loads the plugin at `specifier` (https://, http://, file: URL or path; `#sha256=<hex>` pins its
 * bytes) into a sandbox and returns a proxy strategy that has passed the fast conformance suite.
 * Only then is it recorded in the lock file. Every failure is a {@linkcode PluginError} with a
 * stable code.
 */
export async function loadPlugin(specifier: string, opts: PluginOptions = {}): Promise<PluginStrategy> {
  const lockFile = opts.lockFile ?? DEFAULT_LOCK_FILE;
  const strategy = await openPlugin(specifier, opts);
  try {
    checkName(strategy, opts.isNameTaken);
    const sandbox = sandboxes.get(strategy);
    await (sandbox
      ? sandbox.busyWhile(() => checkPluginConformance(strategy))
      : checkPluginConformance(strategy));
    if (lockFile !== false) {
      const entry = {
        sha256: strategy.sha256,
        name: strategy.name,
        version: strategy.version,
        loadedAt: new Date().toISOString(),
      };
      await recordInLockFile(lockFile, strategy.url, entry);
    }
    return strategy;
  } catch (e) {
    await strategy.close();
    if (e instanceof PluginError) throw e.whileLoading();
    throw e;
  }
}

/** Loads a plugin and adds it to `registry`; its name must be free there and not a built-in's. */
export async function registerPlugin(
  registry: StrategyRegistry,
  specifier: string,
  opts: PluginOptions = {},
): Promise<PluginStrategy> {
  const strategy = await loadPlugin(specifier, { ...opts, isNameTaken: (name) => registry.has(name) });
  registry.register(strategy);
  return strategy;
}

/** True when a `--strategy` value names a plugin (a URL or a path) rather than a registered name. */
export function isPluginSpecifier(value: string): boolean {
  return /^(https?:\/\/|file:)/i.test(value) || /[/\\]/.test(value) || /\.(m?[jt]s)(#|$)/.test(value);
}
