/**
 * The job store read by a real `cli/serve.ts` process after someone (a crash, a full disk, a person)
 * left records of the wrong shape and a corrupt report: the server starts, names every file it
 * skipped, lists the good jobs, and answers the corrupt report with a 500 that carries an id and
 * no stack trace (in the response or the log).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startServe } from "./_serve_process.ts";
import { readEvents } from "./_server.ts";

const REQUEST = {
  model: "facts837K",
  modelSource: "models/facts837K",
  text: "eval.txt",
  textSource: "models/facts837K/eval.txt",
  strategies: [{ label: "default", name: "default", params: {} }],
  metrics: ["ppl"],
  samples: 1,
  seed: 0,
};

Deno.test("bad job records are skipped and named, a corrupt report is a 500 with an id, and the server starts", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "ropekit_store_test_" });
  const jobs = join(dataDir, "jobs");
  await Deno.mkdir(jobs);
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  const good = { id: id(1), status: "done", request: REQUEST, created: "2026-01-01T00:00:00.000Z" };
  const bad: Record<string, unknown> = {
    [id(2)]: null,
    [id(3)]: {},
    [id(4)]: { ...good, id: id(4), created: 5 },
    [id(5)]: { id: id(5), status: "done", created: "2026-01-02T00:00:00.000Z" }, // no request
    [id(6)]: [1, 2],
  };
  await Deno.writeTextFile(join(jobs, `${id(1)}.json`), JSON.stringify(good));
  await Deno.writeTextFile(join(jobs, `${id(1)}.report.json`), '{"format": "ropekit-compare-rep');
  for (const [name, record] of Object.entries(bad)) {
    await Deno.writeTextFile(join(jobs, `${name}.json`), JSON.stringify(record));
  }
  const server = await startServe(dataDir);
  try {
    for (const name of Object.keys(bad)) {
      assert.match(server.stderr(), new RegExp(`skipping job file .*${name}\\.json: `), server.stderr());
    }
    const list = await fetch(`${server.base}/api/jobs`);
    const listed = await list.json();
    assert.equal(list.status, 200, JSON.stringify(listed));
    assert.deepEqual(listed.map((j: { id: string }) => j.id), [id(1)]);

    for (const path of [`/api/jobs/${id(1)}`, `/api/jobs/${id(1)}/report.json`]) {
      const res = await fetch(server.base + path);
      const body = await res.json();
      assert.equal(res.status, 500, `${path}: ${JSON.stringify(body)}`);
      assert.match(body.id, /^[0-9a-f]{8}$/);
      assert.doesNotMatch(JSON.stringify(body), /\bat .*\.ts:\d+/);
      assert.match(
        server.stderr(),
        new RegExp(`error ${body.id}: .*report of job ${id(1)} .* is not valid JSON`),
      );
    }
    // The event stream, already begun when the report is read, ends with a "fault" event carrying an id.
    const events = await readEvents(await fetch(`${server.base}/api/jobs/${id(1)}/events`));
    assert.deepEqual(events.map((e) => e.event), ["status", "fault"]);
    assert.match(JSON.parse(events[1].data).id, /^[0-9a-f]{8}$/);
    assert.doesNotMatch(server.stderr(), /\n\s+at .*\.ts:\d+/, "no stack trace in the log");
  } finally {
    await server.kill();
  }
});
