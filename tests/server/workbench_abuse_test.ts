/**
 * The workbench routes probed as an attacker and an unlucky operator would, on a real `cli/serve.ts`
 * process with a token over loopback HTTP: every mutating route needs the token and refuses another
 * site and a rebinding Host; search bodies are refused with a 400 naming the field; a flood of search
 * POSTs never runs more than the limit of child processes (the rest wait, then 429); a cancelled
 * search leaves no process behind; a deleted comparison is gone from every route; run ids and export
 * names cannot climb out of the data directory; exports with a bad strategy fail cleanly and
 * downloads carry their length; the new routes are in the OpenAPI document.
 */
import assert from "node:assert/strict";
import { MAX_RUNNING_SEARCHES, MAX_WAITING_SEARCHES } from "../../server/search_jobs.ts";
import { MAX_KEPT_EXPORTS } from "../../server/workbench_routes.ts";
import { startServe, waitForJob } from "./_serve_process.ts";

const TOKEN = "workbench-abuse-token";
const AUTH = { authorization: `Bearer ${TOKEN}` };

function post(base: string, path: string, body: unknown, headers: Record<string, string> = AUTH) {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** Status of one raw HTTP/1.1 request, so the Host header is exactly what a rebinding page sends. */
async function rawStatus(base: string, head: string): Promise<number> {
  const port = Number(new URL(base).port);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(head));
    const buf = new Uint8Array(256);
    const n = await conn.read(buf);
    return Number(/^HTTP\/1\.1 (\d+)/.exec(new TextDecoder().decode(buf.subarray(0, n ?? 0)))?.[1]);
  } finally {
    conn.close();
  }
}

/** Pids of the live `cli/search.ts` children of `pid` (through `ps`: Deno reads /proc only with -A). */
async function searchChildren(pid: number): Promise<number[]> {
  const out = await new Deno.Command("ps", {
    args: ["--ppid", String(pid), "-o", "pid=,stat=,args="],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([p, stat, ...args]) => p && !stat.startsWith("Z") && args.join(" ").includes("cli/search.ts"))
    .map(([p]) => Number(p));
}

/** `ss` lines of the TCP sockets whose local port is `port` (the server's side), in every state. */
async function serverSockets(port: number): Promise<string[]> {
  const out = await new Deno.Command("ss", { args: ["-Htan", `( sport = :${port} )`], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim() && !l.startsWith("LISTEN"));
}

/** Whether a process with this pid is alive (not a zombie). */
async function alive(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", { args: ["-o", "stat=", "-p", String(pid)], stdout: "piped" })
    .output();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return out.success && stat !== "" && !stat.startsWith("Z");
}

function runs(tool: string, args: string[]): boolean {
  try {
    return new Deno.Command(tool, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}
const NO_PS = !runs("ps", ["--version"]) &&
  (console.log("ignored: needs procps `ps` to count the server's child processes"), true);
const NO_SS = !runs("ss", ["-V"]) &&
  (console.log("ignored: needs iproute2 `ss` to see the server's sockets"), true);

Deno.test({
  name: "workbench routes under abuse: token, origin, validation, a bounded search flood, deletion, paths",
  ignore: NO_PS || NO_SS,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "ropekit_workbench_abuse_" });
    const server = await startServe(dataDir, ["--token", TOKEN]);
    const base = server.base;
    try {
      const model = (await (await fetch(`${base}/api/models`)).json())[0].id;
      const small = { model, strategy: "yarn", target: 512, population: 3, generations: 1, samples: 1 };

      // ---- every mutating route: token, origin, host ----------------------------------------------------
      const id0 = crypto.randomUUID();
      const mutating: [string, string, unknown][] = [
        ["POST", "/api/searches", small],
        ["DELETE", `/api/searches/${id0}`, undefined],
        ["DELETE", `/api/runs/${id0}`, undefined],
        ["POST", "/api/exports", { model, strategy: "yarn", to: "hf" }],
        ["POST", "/api/plugins/check", { url: "http://127.0.0.1:1/x.ts" }],
      ];
      for (const [method, path, body] of mutating) {
        const init = (headers: Record<string, string>) => ({
          method,
          headers: { ...(body ? { "content-type": "application/json" } : {}), ...headers },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const anon = await fetch(`${base}${path}`, init({}));
        assert.equal(anon.status, 401, `${method} ${path} without a token: ${await anon.text()}`);
        const foreign = await fetch(`${base}${path}`, init({ ...AUTH, origin: "http://evil.example" }));
        assert.equal(foreign.status, 403, `${method} ${path} from another site: ${await foreign.text()}`);
        const payload = body ? JSON.stringify(body) : "";
        const rebound = await rawStatus(
          base,
          `${method} ${path} HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer ${TOKEN}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n` +
            payload,
        );
        assert.equal(rebound, 421, `${method} ${path} with a rebinding Host`);
      }

      // ---- search bodies: a 400 naming the field, before any process starts -----------------------------
      const refusals: [Record<string, unknown>, string][] = [
        [{ budget: "0" }, "budget"],
        [{ budget: "9999h" }, "budget"],
        [{ budget: "12x" }, "budget"],
        [{ population: 100_000 }, "population"],
        [{ generations: -1 }, "generations"],
        [{ seed: -3 }, "seed"],
        [{ seeds: 0 }, "seeds"],
        [{ strategy: "nope" }, "strategy"],
        [{ strategy: "../x" }, "strategy"],
        [{ strategy: "default" }, "strategy"],
        [{ text_range: [0.5, 0.5] }, "text_range"],
        [{ text_range: [0.2, 1.5] }, "text_range"],
        [{ target: 1 << 30 }, "target"],
        [{ model: "../../etc/passwd" }, "model"],
        // 256 × 201 generations × 8 seeds is days of work on any model: refused unless a budget bounds it.
        [{ population: 256, generations: 200, seeds: 8 }, "generations"],
      ];
      for (const [change, field] of refusals) {
        const res = await post(base, "/api/searches", { ...small, ...change });
        const body = await res.json();
        assert.equal(res.status, 400, `${JSON.stringify(change)}: ${JSON.stringify(body)}`);
        assert.equal(body.field?.replace(/^\./, "").split(/[.[]/)[0], field, JSON.stringify(body));
      }
      assert.equal((await searchChildren(server.child.pid)).length, 0, "a refused search started a process");
      // A budget makes the big loop acceptable (it ends at the budget); cancelled straight away.
      let res = await post(base, "/api/searches", {
        ...small,
        population: 256,
        generations: 200,
        budget: "3",
      });
      assert.equal(res.status, 202, await res.clone().text());
      const bounded = (await res.json()).id;
      assert.equal(
        (await fetch(`${base}/api/searches/${bounded}`, { method: "DELETE", headers: AUTH })).status,
        200,
      );

      // ---- a flood of search POSTs: at most MAX_RUNNING children, the rest wait, then 429 -----------------
      const flood = MAX_RUNNING_SEARCHES + MAX_WAITING_SEARCHES + 4;
      const long = { ...small, generations: 200, population: 8 };
      const answers = await Promise.all(
        Array.from({ length: flood }, () => post(base, "/api/searches", long)),
      );
      const accepted: string[] = [];
      let refused = 0;
      for (const a of answers) {
        const body = await a.json();
        if (a.status === 202) accepted.push(body.id);
        else {
          assert.equal(a.status, 429, JSON.stringify(body));
          assert.ok(Number(a.headers.get("retry-after")) > 0);
          assert.match(body.error, /searches/);
          refused++;
        }
      }
      assert.equal(accepted.length, MAX_RUNNING_SEARCHES + MAX_WAITING_SEARCHES);
      assert.equal(refused, 4);
      let most = 0;
      for (let i = 0; i < 20; i++) {
        most = Math.max(most, (await searchChildren(server.child.pid)).length);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(most <= MAX_RUNNING_SEARCHES, `${most} search processes ran at once`);
      const statuses = await Promise.all(
        accepted.map(async (id) => (await (await fetch(`${base}/api/searches/${id}`)).json()).status),
      );
      assert.equal(statuses.filter((s) => s === "queued").length, MAX_WAITING_SEARCHES, statuses.join());

      // ---- SSE clients that go away: the server closes its side of every one ----------------------------
      const clientPorts = new Set<number>();
      const port = Number(new URL(base).port);
      for (let i = 0; i < 20; i++) {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        clientPorts.add((conn.localAddr as Deno.NetAddr).port);
        await conn.write(
          new TextEncoder().encode(
            `GET /api/searches/${accepted[0]}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
          ),
        );
        const first = new Uint8Array(4096);
        assert.match(
          new TextDecoder().decode(first.subarray(0, (await conn.read(first)) ?? 0)),
          /event: status/,
        );
        if (i === 0) {
          // While a client listens, its socket is seen from the server's side (the check below is not empty).
          const peer = (l: string) => Number(l.split(/\s+/)[4]?.split(":").pop());
          const mine = (await serverSockets(port)).filter((l) => clientPorts.has(peer(l)));
          assert.equal(mine.length, 1, mine.join("\n"));
        }
        conn.close();
      }
      let open: string[] = [];
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 50));
        open = (await serverSockets(port)).filter((l) =>
          clientPorts.has(Number(l.split(/\s+/)[4]?.split(":").pop()))
        );
        if (open.length === 0) break;
      }
      assert.deepEqual(open, [], "server-side sockets of closed SSE clients are still open");

      // ---- cancel everything: no process left, and a deleted search is gone -----------------------------
      for (const id of accepted) {
        const r = await fetch(`${base}/api/searches/${id}`, { method: "DELETE", headers: AUTH });
        assert.equal((await r.json()).status, "cancelled");
      }
      // A cancel answers once its process is gone, so nothing is left to count.
      assert.deepEqual(await searchChildren(server.child.pid), []);
      res = await fetch(`${base}/api/runs/${accepted[0]}`, { method: "DELETE", headers: AUTH });
      assert.equal(res.status, 200, await res.text());
      assert.equal((await fetch(`${base}/api/searches/${accepted[0]}`)).status, 404);
      await assert.rejects(Deno.stat(`${dataDir}/searches/${accepted[0]}`), Deno.errors.NotFound);

      // ---- a deleted comparison is gone from every route ------------------------------------------------
      res = await post(base, "/api/compare", {
        model,
        strategies: ["default"],
        lengths: [256],
        samples: 1,
        metrics: ["ppl"],
      });
      assert.equal(res.status, 202, await res.clone().text());
      const job = (await res.json()).id;
      await waitForJob(base, job, (j) => j.status === "done");
      res = await fetch(`${base}/api/runs/${job}`, { method: "DELETE", headers: AUTH });
      assert.equal(res.status, 200, await res.text());
      assert.equal((await fetch(`${base}/api/jobs/${job}`)).status, 404);
      assert.equal((await fetch(`${base}/api/jobs/${job}/report.json`)).status, 404);
      const jobs: { id: string }[] = await (await fetch(`${base}/api/jobs`)).json();
      assert.ok(!jobs.some((j) => j.id === job), "the deleted job is still listed by GET /api/jobs");
      const runs: { id: string }[] = await (await fetch(`${base}/api/runs`)).json();
      assert.ok(!runs.some((r) => r.id === job));

      // ---- paths that try to climb out ------------------------------------------------------------------
      for (const path of ["..%2F..%2Fjobs", "..%2Fsearches", "%2e%2e", "..\\..\\x"]) {
        res = await fetch(`${base}/api/runs/${path}`, { method: "DELETE", headers: AUTH });
        assert.equal(res.status, 404, `DELETE /api/runs/${path}: ${await res.text()}`);
        res = await fetch(`${base}/api/exports/${path}/model.zip`);
        assert.equal(res.status, 404, `GET /api/exports/${path}/model.zip: ${await res.text()}`);
      }
      assert.ok((await Deno.stat(`${dataDir}/jobs`)).isDirectory);

      // ---- exports: bad strategies and values fail cleanly; a download says its length -------------------
      const badExports: [Record<string, unknown>, number][] = [
        [{ strategy: "nope" }, 400],
        [{ strategy: "yarn", params: { factor: "1,x=2" } }, 400],
        [{ strategy: "yarn", params: { factor: [1, 2] } }, 400],
        [{ strategy: "yarn", params: { factor: -4 } }, 400],
        [{ strategy: "yarn", target: 1 << 21 }, 400],
        [{ strategy: "yarn", to: "onnx" }, 400],
      ];
      const exportAnswers: string[] = [];
      for (const [change, status] of badExports) {
        res = await post(base, "/api/exports", { model, to: "hf", ...change });
        const body = await res.json();
        if (res.status !== status || typeof body.field !== "string") {
          exportAnswers.push(`${JSON.stringify(change)}: ${res.status} ${JSON.stringify(body)}`);
        }
      }
      assert.deepEqual(exportAnswers, [], "exports that did not fail cleanly with a 400 naming the field");
      res = await post(base, "/api/exports", { model, strategy: "yarn", target: 1 << 20, to: "hf" });
      assert.equal(res.status, 201, await res.clone().text());
      const exported = await res.json();
      const download = await fetch(`${base}${exported.download}`);
      assert.equal(download.status, 200);
      const bytes = new Uint8Array(await download.arrayBuffer());
      assert.equal(Number(download.headers.get("content-length")), bytes.length);
      assert.deepEqual([...bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]); // a ZIP local header

      // Exports at once: one runs, the others are told to retry; on disk only the newest are kept.
      const burst = await Promise.all(
        Array.from({ length: 4 }, () => post(base, "/api/exports", { model, strategy: "pi", to: "hf" })),
      );
      const codes = burst.map((r) => r.status).sort();
      await Promise.all(burst.map((r) => r.body?.cancel()));
      assert.ok(codes.every((c) => c === 201 || c === 429), codes.join());
      assert.ok(codes.includes(201) && codes.includes(429), `4 exports at once: ${codes.join()}`);
      for (let i = 0; i < MAX_KEPT_EXPORTS; i++) {
        res = await post(base, "/api/exports", { model, strategy: "yarn", to: "hf" });
        assert.equal(res.status, 201, await res.clone().text());
        await res.body?.cancel();
      }
      let kept = 0;
      for await (const e of Deno.readDir(`${dataDir}/exports`)) if (e.isDirectory) kept++;
      assert.equal(kept, MAX_KEPT_EXPORTS);
      assert.equal(
        (await fetch(`${base}${exported.download}`)).status,
        404,
        "the oldest export is still kept",
      );

      // ---- the doctor: a config whose tables would be huge is refused like POST /api/rope refuses it ------
      res = await post(base, "/api/doctor", {
        config: {
          max_position_embeddings: 4096,
          rope_theta: 10000,
          hidden_size: 1 << 15,
          num_attention_heads: 1,
        },
      });
      const doctor = await res.json();
      assert.equal(res.status, 400, JSON.stringify(doctor).slice(0, 200));
      assert.equal(doctor.field, "config");
      assert.match(doctor.error, /rotary dimension 32768/);

      // ---- the new routes are documented ----------------------------------------------------------------
      const doc = await (await fetch(`${base}/api/openapi.json`)).json();
      for (
        const path of [
          "/api/runs",
          "/api/runs/{id}",
          "/api/searches",
          "/api/searches/{id}",
          "/api/searches/{id}/events",
          "/api/doctor",
          "/api/plugins/check",
          "/api/exports",
          "/api/exports/{id}/{file}",
        ]
      ) assert.ok(doc.paths[path], `openapi.json has no ${path}`);
      assert.equal(doc.paths["/api/searches"].post.responses[429] !== undefined, true);
    } finally {
      await server.kill();
      // The server was killed; a search child it left would be reparented, so look by data dir.
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "kill -9 of the server mid-search: the next start stops the search process it left and resumes once",
  ignore: NO_PS,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "ropekit_workbench_orphan_" });
    let server = await startServe(dataDir, ["--token", TOKEN]);
    const seen: number[] = [];
    try {
      const model = (await (await fetch(`${server.base}/api/models`)).json())[0].id;
      const res = await post(server.base, "/api/searches", {
        model,
        strategy: "yarn",
        target: 512,
        population: 8,
        generations: 200,
        samples: 1,
      });
      assert.equal(res.status, 202, await res.clone().text());
      const { id } = await res.json();
      let orphan: number | undefined;
      for (let i = 0; i < 100 && orphan === undefined; i++) {
        orphan = (await searchChildren(server.child.pid))[0];
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(orphan !== undefined, "the search process never started");
      seen.push(orphan);
      await server.kill();
      assert.ok(await alive(orphan), "the search process died with the server; nothing to test");

      server = await startServe(dataDir, ["--token", TOKEN]);
      // Opening the searches (at start) stops the leftover before the resumed process starts.
      let resumed: number[] = [];
      for (let i = 0; i < 100 && resumed.length === 0; i++) {
        resumed = await searchChildren(server.child.pid);
        await new Promise((r) => setTimeout(r, 50));
      }
      seen.push(...resumed);
      assert.equal(resumed.length, 1);
      assert.equal(
        await alive(orphan),
        false,
        "the process the killed server left still runs beside the resume",
      );
      const rec = await (await fetch(`${server.base}/api/searches/${id}`)).json();
      assert.equal(rec.status, "running");
      assert.equal(rec.restarts, 1);
      const cancelled = await fetch(`${server.base}/api/searches/${id}`, { method: "DELETE", headers: AUTH });
      assert.equal((await cancelled.json()).status, "cancelled");
      assert.deepEqual(await searchChildren(server.child.pid), []);
    } finally {
      await server.kill();
      // Processes this test caused: stopped by pid if a failure left them.
      for (const pid of seen) {
        try {
          if (await alive(pid)) Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
