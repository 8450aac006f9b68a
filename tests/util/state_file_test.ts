/**
 * util/state_file.ts, the one writer of state files: read-modify-write updates from two processes
 * and from many concurrent calls in one never lose an entry, a missing folder is created, and no
 * temporary file is left behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { updateStateFile, writeStateFile } from "../../util/state_file.ts";

const MODULE = new URL("../../util/state_file.ts", import.meta.url).href;

/** Adds `count` keys `<prefix><i>` to the JSON object in `path`, one update each, all at once. */
function addKeys(path: string, prefix: string, count: number): Promise<unknown[]> {
  return Promise.all(Array.from({ length: count }, (_, i) =>
    updateStateFile(path, (old) => {
      const data = old === undefined ? {} : JSON.parse(old);
      data[`${prefix}${i}`] = i;
      return { text: JSON.stringify(data), result: undefined };
    })));
}

Deno.test("state files: concurrent updates in this process and in two others lose nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ropekit_state_file_" });
  // A folder that does not exist yet: created by the writer.
  const path = join(dir, "fresh", "state.json");
  const script = (prefix: string) =>
    `import { updateStateFile } from ${JSON.stringify(MODULE)};
     await Promise.all(Array.from({ length: 25 }, (_, i) => updateStateFile(${
      JSON.stringify(path)
    }, (old) => {
       const data = old === undefined ? {} : JSON.parse(old);
       data["${prefix}" + i] = i;
       return { text: JSON.stringify(data), result: undefined };
     })));`;
  const other = (prefix: string) =>
    new Deno.Command(Deno.execPath(), {
      args: ["eval", `--allow-read=${dir}`, `--allow-write=${dir}`, script(prefix)],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const [a, b] = await Promise.all([other("a"), other("b"), addKeys(path, "here", 25)]);
  for (const out of [a, b]) assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const data = JSON.parse(await Deno.readTextFile(path));
  assert.equal(Object.keys(data).length, 75);
  const left = [];
  for await (const e of Deno.readDir(join(dir, "fresh"))) left.push(e.name);
  assert.deepEqual(left.sort(), ["state.json", "state.json.lock"]);

  // Whole-file writes in a burst: the last one wins, whole, and no temporary file stays.
  const whole = join(dir, "fresh", "whole.json");
  await Promise.all(Array.from({ length: 20 }, (_, i) => writeStateFile(whole, JSON.stringify({ i }))));
  assert.deepEqual(JSON.parse(await Deno.readTextFile(whole)), { i: 19 });
  const after = [];
  for await (const e of Deno.readDir(join(dir, "fresh"))) after.push(e.name);
  assert.deepEqual(after.sort(), ["state.json", "state.json.lock", "whole.json"]);
});
