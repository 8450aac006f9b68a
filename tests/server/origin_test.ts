/**
 * Another web site cannot start, cancel or load anything: a real `cli/serve.ts` process on a free
 * loopback port, asked the way a page on evil.example (a "simple" text/plain POST, a JSON POST,
 * a DELETE), the server's own page, a plain client without an Origin, and an `--allow-origin` front
 * end (with its CORS preflight) would ask it.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startServe, waitForJob } from "./_serve_process.ts";

const FRONT = "http://front.example:5173";
const EVIL = "http://evil.example";

Deno.test({
  name: "state changes: cross-site refused (403) with no job created, non-JSON bodies 415, same-origin, " +
    "plain clients and --allow-origin accepted",
  async fn() {
    const server = await startServe(await Deno.makeTempDir(), ["--allow-origin", FRONT]);
    const { base } = server;
    try {
      const model = (await (await fetch(`${base}/api/models`)).json())[0].id;
      const job = JSON.stringify({
        model,
        strategies: ["default"],
        lengths: [512],
        samples: 1,
        metrics: ["ppl"],
      });
      const post = (headers: Record<string, string>, body = job, path = "/api/compare") =>
        fetch(base + path, { method: "POST", headers, body });
      const refused = async (res: Response, status: number, pattern: RegExp) => {
        const body = await res.json();
        assert.equal(res.status, status, JSON.stringify(body));
        assert.match(body.error, pattern);
        assert.equal(res.headers.get("access-control-allow-origin"), null);
      };

      // The reproduction of issue 19: a page on another site posting text/plain, no preflight needed.
      await refused(await post({ origin: EVIL, "content-type": "text/plain" }), 403, /another site/);
      await refused(await post({ origin: EVIL, "content-type": "application/json" }), 403, /--allow-origin/);
      await refused(await post({ origin: "null", "content-type": "application/json" }), 403, /another site/);
      await refused(
        await post({ "sec-fetch-site": "cross-site", "content-type": "application/json" }),
        403,
        /another site/,
      );
      await refused(
        await post(
          { origin: EVIL, "content-type": "application/json" },
          '{"url":"http://127.0.0.1:1/p.ts"}',
          "/api/plugins",
        ),
        403,
        /another site/,
      );
      // A preflight from a site that was not allowed gets no CORS answer.
      const evilPreflight = await fetch(`${base}/api/compare`, {
        method: "OPTIONS",
        headers: { origin: EVIL, "access-control-request-method": "POST" },
      });
      await refused(evilPreflight, 403, /not allowed/);
      assert.deepEqual(await (await fetch(`${base}/api/jobs`)).json(), [], "a refused request created a job");

      // The server's own page: JSON only, whatever the origin.
      const own = { origin: base, "sec-fetch-site": "same-origin" };
      await refused(await post({ ...own, "content-type": "text/plain" }), 415, /application\/json/);
      await refused(
        await post({ origin: base }, new Blob([job]) as unknown as string),
        415,
        /application\/json/,
      );
      assert.deepEqual(await (await fetch(`${base}/api/jobs`)).json(), []);
      const fromPage = await post({ ...own, "content-type": "application/json; charset=utf-8" });
      assert.equal(fromPage.status, 202, await fromPage.clone().text());
      const pageJob = (await fromPage.json()).id;
      // A plain client (curl, a script) sends no Origin.
      const plain = await post({ "content-type": "application/json" });
      assert.equal(plain.status, 202);
      const plainJob = (await plain.json()).id;

      // An allowed front end: preflight answered with CORS, then its POST is accepted and readable.
      const preflight = await fetch(`${base}/api/compare`, {
        method: "OPTIONS",
        headers: {
          origin: FRONT,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type,authorization",
        },
      });
      await preflight.body?.cancel();
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get("access-control-allow-origin"), FRONT);
      assert.match(preflight.headers.get("access-control-allow-methods")!, /POST/);
      assert.match(preflight.headers.get("access-control-allow-methods")!, /DELETE/);
      assert.match(preflight.headers.get("access-control-allow-headers")!, /Content-Type/i);
      assert.match(preflight.headers.get("vary")!, /Origin/);
      const fromFront = await post({
        origin: FRONT,
        "sec-fetch-site": "cross-site",
        "content-type": "application/json",
      });
      assert.equal(fromFront.status, 202);
      assert.equal(fromFront.headers.get("access-control-allow-origin"), FRONT);
      assert.match(fromFront.headers.get("access-control-expose-headers")!, /Location/);
      const frontJob = (await fromFront.json()).id;
      // Reading stays open, but only the allowed front end gets CORS headers (others cannot read).
      const evilRead = await fetch(`${base}/api/jobs`, { headers: { origin: EVIL } });
      assert.equal(evilRead.headers.get("access-control-allow-origin"), null);
      const ids = (await evilRead.json()).map((j: { id: string }) => j.id).sort();
      assert.deepEqual(ids, [pageJob, plainJob, frontJob].sort());

      // Cancelling is a state change too.
      const evilDelete = await fetch(`${base}/api/jobs/${pageJob}`, {
        method: "DELETE",
        headers: { origin: EVIL },
      });
      await refused(evilDelete, 403, /another site/);
      for (const id of ids) {
        assert.equal(
          (await waitForJob(base, id, (j) => j.status !== "queued" && j.status !== "running")).status,
          "done",
        );
      }
    } finally {
      await server.kill();
    }
  },
});

Deno.test("--allow-origin must be an origin: a one-line error and a non-zero exit", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      fileURLToPath(new URL("../../cli/serve.ts", import.meta.url)),
      "--allow-origin",
      "http://front.example/app",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.notEqual(out.code, 0);
  assert.match(err, /--allow-origin must be an origin/);
  assert.equal(err.split("\n").length, 1, err);
});
