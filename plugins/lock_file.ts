/**
 * The plugin lock file: what was loaded (URL, sha256, name, version, date). Like deno.lock it is
 * trust on first use: an unpinned URL whose bytes no longer match its entry is refused.
 *
 * @module
 */
import { PluginError } from "./errors.ts";

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
    throw new PluginError(
      "PLUGIN_INTEGRITY",
      plugin,
      `cannot read lock file ${path}: ${(e as Error).message}`,
    );
  }
  try {
    const lock = JSON.parse(text) as LockFile;
    if (lock?.version !== 1 || typeof lock.plugins !== "object" || lock.plugins === null) throw new Error();
    return lock;
  } catch {
    throw new PluginError("PLUGIN_INTEGRITY", plugin, `lock file ${path} is not a ropekit plugin lock file`);
  }
}

/** Adds or replaces `url`'s entry. */
export async function recordInLockFile(path: string, url: string, entry: LockEntry): Promise<void> {
  const lock = await readLockFile(path, url);
  lock.plugins[url] = entry;
  await Deno.writeTextFile(path, JSON.stringify(lock, null, 2) + "\n");
}
