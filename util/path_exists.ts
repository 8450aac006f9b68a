/** Whether a path exists (any kind of entry); false for anything `stat` cannot see. @module */

/** True when `Deno.stat(path)` succeeds. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
