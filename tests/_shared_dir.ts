/**
 * Where the tests find the read-only shared folder (stories260K, TinyStories, the PyTorch peer):
 * `$ROPEKIT_SHARED_DIR` when set, else `../shared` beside the repo. Setting it to a missing folder
 * runs the suite as a fresh clone does.
 */
import { join } from "node:path";

/** The shared folder, with a trailing slash. */
export const SHARED_DIR: string = (() => {
  const dir = Deno.env.get("ROPEKIT_SHARED_DIR") ?? new URL("../../shared/", import.meta.url).pathname;
  return dir.endsWith("/") ? dir : `${dir}/`;
})();

/** `rel` inside the shared folder. */
export function sharedPath(rel: string): string {
  return join(SHARED_DIR, rel);
}

/** True when every `rels` exists in the shared folder; otherwise logs which is missing. */
export function hasSharedFiles(...rels: string[]): boolean {
  for (const rel of rels) {
    try {
      Deno.statSync(sharedPath(rel));
    } catch {
      console.log(
        `SKIP: ${sharedPath(rel)} is absent (the shared folder beside the repo, or $ROPEKIT_SHARED_DIR)`,
      );
      return false;
    }
  }
  return true;
}

/** The in-repo default model and its evaluation text: what every clone has. */
export const DEFAULT_MODEL = new URL("../models/facts837K/model.bin", import.meta.url).pathname;
export const DEFAULT_TEXT = new URL("../models/facts837K/eval.txt", import.meta.url).pathname;
