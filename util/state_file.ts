/**
 * The one writer of the state files ropekit keeps (job records and reports, the plugin lock file):
 * every write goes to a temporary file beside the target, is flushed to disk (fsync) and renamed
 * into place, so a crash or kill -9 leaves the old version or the new one, never half of either,
 * and a write that was acknowledged survives a kill. Writes to one path are serialised in this
 * process; {@linkcode updateStateFile} (read-modify-write) is also serialised across processes by
 * an exclusive lock on a `<path>.lock` file beside the target, so two loads never lose a pin.
 * Missing folders are created.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { RopekitError } from "./errors.ts";

/** A state file could not be read or written: the host's fault (disk, permissions), not a request's. */
export class StateFileError extends RopekitError {
  override name = "StateFileError";
}

/** The tail of the last operation on each path: the next one waits for it. */
const tails = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task on `path` in this process has settled. */
function serialised<T>(path: string, task: () => Promise<T>): Promise<T> {
  const previous = tails.get(path) ?? Promise.resolve();
  const result = previous.then(task, task);
  const tail = result.catch(() => {});
  tails.set(path, tail);
  tail.then(() => {
    if (tails.get(path) === tail) tails.delete(path);
  });
  return result;
}

/** Creates `path`'s folder when missing (an existing one needs no write permission on its parent). */
async function ensureFolder(path: string): Promise<void> {
  try {
    if ((await Deno.stat(dirname(path))).isDirectory) return;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.mkdir(dirname(path), { recursive: true });
}

/** Writes `text` to `tmp`, flushes it, renames it over `path`, and flushes the folder entry. */
async function replace(path: string, text: string, tmp: string): Promise<void> {
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    const bytes = new TextEncoder().encode(text);
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(tmp, path);
  // The rename is durable only once the folder is: not every platform lets a folder be opened.
  try {
    const folder = await Deno.open(dirname(path), { read: true });
    try {
      await folder.sync();
    } finally {
      folder.close();
    }
  } catch { /* best effort */ }
}

function failure(path: string, what: string, e: unknown): StateFileError {
  return e instanceof StateFileError
    ? e
    : new StateFileError(`cannot ${what} ${path}: ${(e as Error).message}`, { cause: e });
}

/** Replaces `path`'s content with `text`, atomically and durably (see the module's documentation). */
export function writeStateFile(path: string, text: string): Promise<void> {
  return serialised(path, async () => {
    try {
      await ensureFolder(path);
      await replace(path, text, join(dirname(path), `.${basename(path)}.${crypto.randomUUID()}.tmp`));
    } catch (e) {
      throw failure(path, "write", e);
    }
  });
}

/**
 * Reads `path` (undefined when it does not exist), lets `change` compute the new content, and
 * writes it, with no other update of `path` — in this process or another — in between. `change`
 * may throw to leave the file as it is. Resolves to what `change` returned.
 */
export function updateStateFile<T>(
  path: string,
  change: (old: string | undefined) => { text: string; result: T } | Promise<{ text: string; result: T }>,
): Promise<T> {
  return serialised(path, async () => {
    let lock: Deno.FsFile;
    try {
      await ensureFolder(path);
      lock = await Deno.open(`${path}.lock`, { write: true, create: true });
      await lock.lock(true);
    } catch (e) {
      throw failure(`${path}.lock`, "lock", e);
    }
    try {
      let old: string | undefined;
      try {
        old = await Deno.readTextFile(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw failure(path, "read", e);
      }
      const { text, result } = await change(old);
      try {
        // One fixed temporary name suffices under the lock (and is all a narrow --allow-write needs).
        await replace(path, text, `${path}.tmp`);
      } catch (e) {
        throw failure(path, "write", e);
      }
      return result;
    } finally {
      lock.close(); // releases the lock
    }
  });
}
