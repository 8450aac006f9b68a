/**
 * Strategy entries as users write them on the command line and in API requests:
 *
 *   name                      yarn
 *   name:k=v[,k=v]...         yarn:beta_fast=16,beta_slow=2
 *   name@result.json          longrope2@runs/lr2.json   (a search result: its strategy and params)
 *   name@result.json:k=v      a result with some parameters overridden
 *   plugin                    https://example.org/my_rope.ts, http://127.0.0.1:8931/x.ts, ./my_rope.ts
 *   plugin#k=v[,k=v]...       https://example.org/my_rope.ts#factor=4,exponent=2
 *   plugin#sha256=hex,k=v     the same, pinned to the bytes whose sha256 is hex
 *   config[:k=v,...]          the model's own RoPE as its files declare it (strategies/config_rope.ts)
 *
 * A plugin's parameters follow `#` exactly as a built-in's follow `:`: a URL holds `:` (scheme,
 * port) and may hold `=` and `?` (query), but its fragment is never sent to the server, so
 * everything after the first `#` is ropekit's. In a comma list a comma always ends a URL (write a
 * comma inside one as `%2C`); a `k=v` piece continues the entry before it.
 *
 * Array values use JSON inside the entry: `longrope:long_factor=[1,1.5,2,2]`.
 *
 * This file is the syntax (no file or network access); `resolve_entry.ts` turns an entry into a
 * strategy and its parameters.
 *
 * @module
 */
import { isPluginSpecifier } from "../plugins/load_plugin.ts";
import { RopekitError } from "../util/errors.ts";

/** Thrown for an entry that cannot be used; the message quotes it. */
export class EntryError extends RopekitError {
  /** The class name, spelled out so that a bundler renaming classes cannot change what logs say. */
  override name = "EntryError";
}

const BUILTIN_ENTRY = /^([a-z][a-z0-9-]*)(?:@([^:]+))?(?::(.*))?$/;
const PARAM_PIECE = /^[A-Za-z_]\w*=/;
const PIN_PIECE = /^sha256=(.*)$/;

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
 * True when `entry` names a plugin: it has a URL scheme (`https://`, `http://`, `file:` — checked
 * first, since `host:port/x` would otherwise read as `name:k=v`), or it is not a built-in entry but
 * looks like a path (`./x.ts`, `dir/x.js`).
 */
export function isPluginEntry(entry: string): boolean {
  const s = entry.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^file:/i.test(s)) return true;
  return !BUILTIN_ENTRY.test(s) && isPluginSpecifier(s);
}

/**
 * Splits a `--strategies` list into entries: "yarn:beta_fast=16,beta_slow=2,pi" gives
 * ["yarn:beta_fast=16,beta_slow=2", "pi"] — a `k=v` piece continues the entry before it, which
 * must have a parameter part (`:` for a built-in, `#` for a plugin).
 *
 * @example A `--strategies` list with parameters and a plugin
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitEntries } from "./strategy_entry.ts";
 *
 * assert.deepEqual(
 *   splitEntries("pi,yarn:beta_fast=16,beta_slow=2,https://example.org/my_rope.ts#factor=4,exponent=2"),
 *   ["pi", "yarn:beta_fast=16,beta_slow=2", "https://example.org/my_rope.ts#factor=4,exponent=2"],
 * );
 * ```
 */
export function splitEntries(list: string): string[] {
  const entries: string[] = [];
  for (const piece of splitTopLevel(list)) {
    const prev = entries.at(-1);
    if (prev !== undefined && PARAM_PIECE.test(piece)) {
      if (isPluginEntry(prev)) {
        if (!prev.includes("#")) {
          throw new EntryError(
            `Cannot split strategy list: "${piece}" follows plugin "${prev}", which has no "#". ` +
              `Give a plugin's parameters after "#" (URL#k=v,k=v); write a comma inside a URL as %2C`,
          );
        }
        entries[entries.length - 1] = `${prev},${piece}`;
        continue;
      }
      if (prev.includes(":")) {
        entries[entries.length - 1] = `${prev},${piece}`;
        continue;
      }
    }
    entries.push(piece);
  }
  return entries;
}

/** The parts of an entry string. */
export interface EntryParts {
  /** The strategy's name; for a plugin entry, the plugin's specifier (its name is known on load). */
  name: string;
  /** For a plugin entry: its URL or path, with `#sha256=hex` when pinned, without its parameters. */
  plugin?: string;
  /** For `name@result.json`: the search result file whose params the entry starts from. */
  resultFile?: string;
  /** The `k=v` pieces as written, not yet parsed against the strategy's parameters. */
  paramArgs: string[];
}

function parsePluginEntry(entry: string): EntryParts {
  const hash = entry.indexOf("#");
  const base = hash < 0 ? entry : entry.slice(0, hash);
  const paramArgs: string[] = [];
  let pin: string | undefined;
  for (const piece of hash < 0 ? [] : splitTopLevel(entry.slice(hash + 1))) {
    const pinned = PIN_PIECE.exec(piece);
    if (pinned) {
      if (pin !== undefined) throw new EntryError(`Cannot parse strategy entry "${entry}": two sha256 pins`);
      pin = pinned[1];
    } else if (PARAM_PIECE.test(piece)) paramArgs.push(piece);
    else {
      throw new EntryError(
        `Cannot parse strategy entry "${entry}": after "#" a plugin takes sha256=hex and k=v pieces ` +
          `separated by commas, not "${piece}"`,
      );
    }
  }
  const plugin = pin === undefined ? base : `${base}#sha256=${pin}`;
  return { name: plugin, plugin, paramArgs };
}

/**
 * Parses one entry's syntax (no file or network access).
 *
 * @example A search result with an override, and a pinned plugin
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseEntry } from "./strategy_entry.ts";
 *
 * assert.deepEqual(parseEntry("longrope2@runs/lr2.json:factor=8"), {
 *   name: "longrope2",
 *   resultFile: "runs/lr2.json",
 *   paramArgs: ["factor=8"],
 * });
 * const plugin = parseEntry("https://example.org/my_rope.ts#sha256=ab12,factor=4");
 * assert.equal(plugin.plugin, "https://example.org/my_rope.ts#sha256=ab12");
 * assert.deepEqual(plugin.paramArgs, ["factor=4"]);
 * ```
 */
export function parseEntry(entry: string): EntryParts {
  const s = entry.trim();
  if (isPluginEntry(s)) return parsePluginEntry(s);
  const m = BUILTIN_ENTRY.exec(s);
  if (!m) {
    throw new EntryError(
      `Cannot parse strategy entry "${entry}": expected name, name:k=v,..., name@result.json, ` +
        `or a plugin URL or path (URL#k=v,...)`,
    );
  }
  return { name: m[1], resultFile: m[2], paramArgs: m[3] ? splitTopLevel(m[3]) : [] };
}

/**
 * The first label that appears twice, if any: two rows with one label cannot be told apart in a
 * report (nor named as its reference). The CLI and the server refuse such a list with this.
 */
export function duplicateLabel(labels: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) return label;
    seen.add(label);
  }
  return undefined;
}
