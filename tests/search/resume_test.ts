/**
 * Resume: a search killed mid-run (kill -9 of a subprocess, or a journal cut mid-line) continues from
 * its journal without re-evaluating anything and ends with the uninterrupted run's result.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Journal, JournalError, parseJournal } from "../../search/journal.ts";
import { runSynthetic } from "./_synthetic.ts";

const script = new URL("./_synthetic.ts", import.meta.url).pathname;

async function lines(path: string): Promise<number> {
  try {
    return (await Deno.readTextFile(path)).split("\n").length - 1;
  } catch {
    return 0;
  }
}

Deno.test("kill -9 mid-search, then --resume: identical result, nothing evaluated twice", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "j.jsonl");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", script, path, "--delay", "15"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const deadline = Date.now() + 30_000;
  while ((await lines(path)) < 26 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  child.kill("SIGKILL");
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", "the search finished before it could be killed");
  // Simulate the kill landing mid-write as well.
  await Deno.writeTextFile(path, '{"type":"eval","key":"30|1600,16', { append: true });
  const before = parseJournal(await Deno.readTextFile(path), path);
  assert.ok(before.tornTail);
  const recorded = before.entries.length;
  assert.ok(recorded >= 25 && recorded < 64, `${recorded} entries recorded before the kill`);

  const resumed = await runSynthetic(path, true);
  const clean = await runSynthetic();
  assert.deepEqual(resumed.best, clean.best);
  assert.deepEqual(resumed.history, clean.history);
  assert.equal(resumed.replayed, recorded);
  assert.equal(resumed.fresh, clean.evaluated - recorded);
  // The journal now holds every candidate exactly once, and no torn line.
  const after = parseJournal(await Deno.readTextFile(path), path);
  assert.equal(after.tornTail, false);
  assert.equal(new Set(after.entries.map((e) => e.key)).size, clean.evaluated);
  assert.equal(after.entries.length, clean.evaluated);
});

Deno.test("a journal cut mid-line resumes to the same result; a complete journal replays with no evaluation", async () => {
  const dir = await Deno.makeTempDir();
  const full = join(dir, "full.jsonl");
  const clean = await runSynthetic(full);
  const text = await Deno.readTextFile(full);
  const cutAt = text.split("\n").slice(0, 30).join("\n").length + 40; // 40 characters into line 31
  const cut = join(dir, "cut.jsonl");
  await Deno.writeTextFile(cut, text.slice(0, cutAt));
  const resumed = await runSynthetic(cut, true);
  assert.deepEqual(resumed.best, clean.best);
  assert.deepEqual(resumed.history, clean.history);
  assert.equal(resumed.replayed, 29);
  const replay = await runSynthetic(full, true);
  assert.equal(replay.fresh, 0);
  assert.equal(replay.replayed, clean.evaluated);
  assert.deepEqual(replay.best, clean.best);
});

Deno.test("journals: no silent overwrite, no resume of a different search, corrupt middle lines rejected", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "j.jsonl");
  await runSynthetic(path);
  await assert.rejects(runSynthetic(path), /exists: pass --resume/);
  await assert.rejects(
    Journal.open(path, { other: true }, true),
    /belongs to a different search \(differs in: /,
  );
  await assert.rejects(Journal.open(join(dir, "none.jsonl"), {}, true), /--resume: cannot read journal/);
  const lines = (await Deno.readTextFile(path)).split("\n");
  lines[3] = "{broken";
  assert.throws(
    () => parseJournal(lines.join("\n"), path),
    (e) => e instanceof JournalError && /line 4/.test(e.message),
  );
  assert.throws(() => parseJournal('{"type":"eval"}\n', path), /not a ropekit-search-journal v1 file/);
});
