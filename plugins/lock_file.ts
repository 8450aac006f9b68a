/**
 * The plugin lock file: what was loaded (URL, sha256, name, version, date). Like deno.lock it is
 * trust on first use: an unpinned URL whose bytes no longer match its entry is refused.
 *
 * @module
 */
import { PluginError } from "./errors.ts";
import { StateFileError, updateStateFile } from "../util/state_file.ts";

/** Default lock file, relative to the working directory. */
export const DEFAULT_LOCK_FILE = "ropekit.plugins.lock.json";

/** One loaded plugin. */
export interface LockEntry {
  sha256: string;
  name: string;
  version: string;
  /** ISO 8601 time of the load that wrote the entry. */
  loadedAt: string;
}

/** The file's content: entries by plugin URL. */
export interface LockFile {
  version: 1;
  plugins: Record<string, LockEntry>;
}

/** Reads the lock file; a missing file is an empty lock. */
export async function readLockFile(path: string, plugin: string): Promise<LockFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { version: 1, plugins: {} };
    // The disk's or the operator's doing, not the plugin's: not a refusal of the plugin.
    throw new StateFileError(`cannot read lock file ${path}: ${(e as Error).message}`, { cause: e });
  }
  return parseLockFile(text, path, plugin);
}

function parseLockFile(text: string, path: string, plugin: string): LockFile {
  try {
    const lock = JSON.parse(text) as LockFile;
    if (lock?.version !== 1 || typeof lock.plugins !== "object" || lock.plugins === null) throw new Error();
    return lock;
  } catch {
    throw new PluginError("PLUGIN_INTEGRITY", plugin, `lock file ${path} is not a ropekit plugin lock file`);
  }
}

/**
 * Adds or replaces `url`'s entry: one serialised, atomic read-modify-write (util/state_file.ts), so
 * concurrent loads — in this process or another — never drop each other's pins. A failure to write
 * is a StateFileError (the host's fault); an unreadable lock file a PLUGIN_INTEGRITY refusal.
 */
export async function recordInLockFile(path: string, url: string, entry: LockEntry): Promise<void> {
  await updateStateFile(path, (old) => {
    const lock = old === undefined ? { version: 1 as const, plugins: {} } : parseLockFile(old, path, url);
    lock.plugins[url] = entry;
    return { text: JSON.stringify(lock, null, 2) + "\n", result: undefined };
  });
}
