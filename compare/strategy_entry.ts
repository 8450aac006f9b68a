/**
 * Strategy entries as users write them on the command line and in API requests:
 *
 *   name                      yarn
 *   name:k=v[,k=v]...         yarn:beta_fast=16,beta_slow=2
 *   name@result.json          longrope2@runs/lr2.json   (a search result: its strategy and params)
 *   name@result.json:k=v      a result with some parameters overridden
 *
 * Array values use JSON inside the entry: `longrope:long_factor=[1,1.5,2,2]`.
 *
 * @module
 */
import type { Params, Strategy } from "../strategies/types.ts";
import { parseParamArgs, resolveParams } from "../strategies/params.ts";
import type { StrategyRegistry } from "../strategies/registry.ts";
import { RopekitError } from "../util/errors.ts";

/** A strategy ready to compare: what to call it, the strategy and its resolved parameters. */
export interface ResolvedEntry {
  /** The entry as written (used as the row label). */
  label: string;
  strategy: Strategy;
  params: Params;
  /** The result file it came from, if any. */
  resultFile?: string;
}

/** Thrown for an entry that cannot be used; the message quotes it. */
export class EntryError extends RopekitError {
  override name = "EntryError";
}

/** Splits at commas outside [...] brackets. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "[") depth++;
    if (ch === "]") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  out.push(cur.trim());
  return out.filter(Boolean);
}

/**
 * Splits a `--strategies` list into entries: "yarn:beta_fast=16,beta_slow=2,pi" gives
 * ["yarn:beta_fast=16,beta_slow=2", "pi"] — a `k=v` piece continues the entry before it.
 */
export function splitEntries(list: string): string[] {
  const entries: string[] = [];
  for (const piece of splitTopLevel(list)) {
    const prev = entries.at(-1);
    if (prev !== undefined && prev.includes(":") && /^[A-Za-z_]\w*=/.test(piece)) {
      entries[entries.length - 1] = `${prev},${piece}`;
    } else entries.push(piece);
  }
  return entries;
}

/** The parts of an entry string. */
export interface EntryParts {
  name: string;
  resultFile?: string;
  paramArgs: string[];
}

/** Parses one entry's syntax (no file access). */
export function parseEntry(entry: string): EntryParts {
  const m = /^([a-z][a-z0-9-]*)(?:@([^:]+))?(?::(.*))?$/.exec(entry.trim());
  if (!m) {
    throw new EntryError(
      `Cannot parse strategy entry "${entry}": expected name, name:k=v,..., or name@result.json`,
    );
  }
  return { name: m[1], resultFile: m[2], paramArgs: m[3] ? splitTopLevel(m[3]) : [] };
}

/** Reads a search result file: `{ strategy, params }` (as `deno task search` writes it). */
export async function readResultFile(path: string, expected: string): Promise<Params> {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new EntryError(`Cannot read result file ${path}: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== "object" || typeof doc.params !== "object" || doc.params === null) {
    throw new EntryError(`Result file ${path} has no "params" object`);
  }
  if (typeof doc.strategy === "string" && doc.strategy !== expected) {
    throw new EntryError(`Result file ${path} is for strategy "${doc.strategy}", not "${expected}"`);
  }
  return doc.params as Params;
}

/** Resolves an entry against a registry: the strategy, the result file's params, inline overrides. */
export async function resolveEntry(entry: string, registry: StrategyRegistry): Promise<ResolvedEntry> {
  const parts = parseEntry(entry);
  const strategy = registry.get(parts.name);
  const fromFile = parts.resultFile ? await readResultFile(parts.resultFile, strategy.name) : {};
  const inline = parseParamArgs(strategy.name, strategy.params, parts.paramArgs);
  const params = resolveParams(strategy.name, strategy.params, { ...fromFile, ...inline });
  return { label: entry.trim(), strategy, params, resultFile: parts.resultFile };
}
