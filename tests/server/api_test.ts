/** The API through app.request(): validation, rope, catalogs, auth, the queue's 429 and cancel. */
import assert from "node:assert/strict";
import { createApp } from "../../server/app.ts";
import type { ServerSettings } from "../../server/context.ts";
import { LIMITS } from "../../server/api_schemas.ts";
import { HeldRunner, testContext, TINY_JOB } from "./_server.ts";

const MODEL_ID = TINY_JOB.model;

const CONFIG = {
  rope_theta: 10000,
  head_dim: 64,
  max_position_embeddings: 4096,
  original_max_position_embeddings: 512,
};

async function app(overrides: Partial<ServerSettings> = {}) {
  const runner = new HeldRunner();
  const ctx = await testContext({ runner, ...overrides });
  const a = createApp(ctx);
  const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    a.request(path, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return { ctx, runner, send };
}

/** Polls a job until it has `status` (the queue records state changes on disk before announcing them). */
async function waitForStatus(
  send: (m: string, p: string) => Response | Promise<Response>,
  id: string,
  status: string,
) {
  // A time bound, not a count: on a loaded machine 200 polls can pass before a save lands.
  for (const end = Date.now() + 10_000; Date.now() < end;) {
    if ((await (await send("GET", `/api/jobs/${id}`)).json()).status === status) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`job ${id} never became ${status}`);
}

async function expect400(res: Response, field: string, pattern?: RegExp) {
  const body = await res.json();
  assert.equal(res.status, 400, JSON.stringify(body));
  assert.equal(body.field ?? body.error.split(":")[0], field, body.error);
  if (pattern) assert.match(body.error, pattern);
}

Deno.test("health, options, openapi, strategies and models answer", async () => {
  const { send } = await app();
  assert.equal((await (await send("GET", "/api/health")).json()).status, "ok");
  const openapi = await (await send("GET", "/api/openapi.json")).json();
  assert.equal(openapi.openapi, "3.1.0");
  assert.ok(openapi.paths["/api/jobs/{id}/events"]);
  assert.deepEqual(openapi.components.schemas.CompareRequest.required, ["model", "strategies"]);
  assert.ok(
    openapi.paths["/api/compare"].post.responses[403] && openapi.paths["/api/compare"].post.responses[415],
  );
  const strategies = await (await send("GET", "/api/strategies")).json();
  const yarn = strategies.find((s: { name: string }) => s.name === "yarn");
  assert.equal(yarn.params.beta_fast.type, "number");
  assert.equal(yarn.builtin, true);
  const models = await (await send("GET", "/api/models")).json();
  assert.deepEqual(models, [{ id: MODEL_ID, format: "bin", origin: "flag" }]); // ids, never paths
  assert.deepEqual((await (await send("GET", "/api/options")).json()).metrics, [
    "ppl",
    "needle",
    "passkey",
    "pet-choice",
    "short",
    "switch",
  ]);
});

Deno.test("--model-dir lists models by their path inside the directory, tokenizers left out", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/family`);
  for (const f of ["family/small.bin", "family/tok512.bin", "family/tokenizer.bin", "other.gguf"]) {
    await Deno.writeTextFile(`${dir}/${f}`, "");
  }
  const { send } = await app({ models: [], modelDir: dir });
  const ids = (await (await send("GET", "/api/models")).json()).map((m: { id: string }) => m.id);
  assert.deepEqual(ids, ["family/small.bin", "other.gguf"]);
});

Deno.test("POST /api/rope: table and analysis at once, as `rope --json --analysis --export`", async () => {
  const { send } = await app();
  const res = await send("POST", "/api/rope", {
    config: CONFIG,
    strategy: "yarn",
    params: { beta_fast: 16 },
    target: 16384,
  });
  assert.equal(res.status, 200);
  const r = await res.json();
  assert.equal(r.rope_type, "yarn");
  assert.equal(r.inv_freq.length, 32);
  assert.ok(r.attention_factor > 1);
  assert.equal(r.params.beta_fast, 16);
  assert.equal(r.analysis.pairs.length, 32);
  assert.ok(Number.isInteger(r.analysis.theoreticalCriticalDim));
  assert.equal(r.export.hf.rope_scaling.rope_type, "yarn");
  const plain = await (await send("POST", "/api/rope", { config: CONFIG })).json();
  assert.equal(plain.rope_type, "default");
  assert.equal(plain.attention_factor, 1);
});

Deno.test("POST /api/rope: bad input is a 400 naming the field", async () => {
  const { send } = await app();
  await expect400(await send("POST", "/api/rope", { config: CONFIG, extra: 1 }), "extra", /unknown field/);
  await expect400(await send("POST", "/api/rope", { config: [] }), "config", /object/);
  await expect400(await send("POST", "/api/rope", { config: CONFIG, seq_len: -5 }), "seq_len");
  await expect400(
    await send("POST", "/api/rope", { config: CONFIG, strategy: "nope" }),
    "strategy",
    /Unknown strategy "nope"/,
  );
  await expect400(
    await send("POST", "/api/rope", { config: CONFIG, strategy: " config" }),
    "strategy",
    /leave the strategy out to use the config's own rope_scaling/,
  );
  await expect400(
    await send("POST", "/api/rope", { config: CONFIG, strategy: "yarn", params: { beta_fast: "x" } }),
    "params",
    /beta_fast/,
  );
  await expect400(
    await send("POST", "/api/rope", { config: { ...CONFIG, head_dim: 1e7 } }),
    "config",
    /rotary dimension/,
  );
  await expect400(
    await send("POST", "/api/rope", { config: { head_dim: 64 } }),
    "config",
    /max_position_embeddings/,
  );
});

Deno.test("POST /api/compare: every malformed request is a 400 naming the field; the server keeps serving", async () => {
  const { send, runner } = await app();
  const ok = { model: MODEL_ID, strategies: ["yarn"], lengths: [600] };
  const cases: [unknown, string, RegExp?][] = [
    ["{not json", "body", /malformed JSON/],
    ["", "body", /empty/],
    ["[1,2]", "body", /object/],
    [{ ...ok, bogus: true }, "bogus", /unknown field/],
    [{ ...ok, samples: "8" }, "samples", /finite number/],
    [`{"model":"${MODEL_ID}","strategies":["yarn"],"lengths":[1e999]}`, "lengths[0]", /finite/],
    [{ ...ok, seed: 1.5 }, "seed", /integer/],
    [{ ...ok, lengths: [-600] }, "lengths[0]", /≥ 2/],
    [{ ...ok, lengths: [LIMITS.length + 1] }, "lengths[0]", /≤/],
    [{ ...ok, lengths: [] }, "lengths", /at least 1/],
    [{ ...ok, samples: LIMITS.samples + 1 }, "samples"],
    [{ ...ok, strategies: Array(LIMITS.strategies + 1).fill("pi") }, "strategies", /at most/],
    [{ ...ok, metrics: ["ppl", "bleu"] }, "metrics[1]", /one of/],
    [{ ...ok, depths: [1.5] }, "depths[0]"],
    [{ ...ok, model: "../../etc/passwd" }, "model", /unknown model id/],
    [{ ...ok, text: "/etc/passwd" }, "text", /unknown text id/],
    [
      { ...ok, strategies: ["yarn@/etc/passwd"] },
      "strategies[0]",
      /not accepted here \(it would read a file\)/,
    ],
    [{ ...ok, strategies: ["yarn:beta_fast=abc"] }, "strategies[0]", /beta_fast/],
    [
      { ...ok, strategies: [{ name: "yarn", params: { beta_fast: -1e9, nope: 1 } }] },
      "strategies[0].params",
      /nope/,
    ],
    [{ ...ok, strategies: [{ name: "warp" }] }, "strategies[0].name", /Unknown strategy/],
    [{ ...ok, strategies: ["yarn", "yarn"] }, "strategies", /same label/],
    [{ ...ok, template: "nope" }, "template"],
    [{ ...ok, digits: 16 }, "digits", /≤/],
    [{ ...ok, reference: "pi" }, "reference", /no strategy is labelled "pi"/],
  ];
  for (const [body, field, pattern] of cases) {
    await expect400(await send("POST", "/api/compare", body), field, pattern);
  }
  const huge = JSON.stringify({ ...ok, pad: "x".repeat(LIMITS.bodyBytes) });
  await expect400(await send("POST", "/api/compare", huge), "body", /larger than/);
  assert.equal(runner.started.length, 0);
  assert.equal((await send("GET", "/api/health")).status, 200);
});

Deno.test("POST /api/compare: 202 with a job; 429 with Retry-After when the wait list is full; cancel", async () => {
  const { send, runner, ctx } = await app({ maxWaiting: 2 });
  const ok = {
    model: MODEL_ID,
    strategies: ["default", { name: "yarn", params: { beta_fast: 16 } }],
    lengths: [600],
  };
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await send("POST", "/api/compare", ok);
    assert.equal(res.status, 202);
    assert.match(res.headers.get("location")!, /^\/api\/jobs\//);
    const job = await res.json();
    assert.equal(job.request.modelSource, undefined); // paths stay on the server
    ids.push(job.id);
    // The queue starts the first job asynchronously (it records the state change on disk first); only then
    // has it left the wait list, so that two more fit in it (posting on at once raced the start under load).
    if (i === 0) await runner.waitStarted(1);
  }
  assert.deepEqual(runner.started[0].strategies.map((s) => s.label), ["default", "yarn:beta_fast=16"]);
  const full = await send("POST", "/api/compare", ok);
  assert.equal(full.status, 429);
  assert.ok(Number(full.headers.get("retry-after")) >= 1);
  // Cancelling a waiting job frees its place at once.
  assert.equal((await (await send("DELETE", `/api/jobs/${ids[2]}`)).json()).status, "cancelled");
  assert.equal((await send("POST", "/api/compare", ok)).status, 202);
  // Cancelling the running one aborts its signal; the next job starts.
  await send("DELETE", `/api/jobs/${ids[0]}`);
  await waitForStatus(send, ids[0], "cancelled");
  await waitForStatus(send, ids[1], "running");
  runner.releaseOne();
  await waitForStatus(send, ids[1], "done");
  assert.equal((await send("GET", "/api/jobs/not-a-uuid")).status, 404);
  assert.equal((await send("GET", `/api/jobs/${crypto.randomUUID()}`)).status, 404);
  runner.releaseOne();
  await ctx.queue.idle();
});

Deno.test("a bearer token, when set, guards job creation and cancellation but not reading", async () => {
  const { send } = await app({ token: "s3cret-token" });
  const ok = { model: MODEL_ID, strategies: ["pi"], lengths: [600] };
  const denied = await send("POST", "/api/compare", ok);
  assert.equal(denied.status, 401);
  assert.match(denied.headers.get("www-authenticate")!, /Bearer/);
  assert.equal((await send("POST", "/api/compare", ok, { authorization: "Bearer wrong" })).status, 401);
  const res = await send("POST", "/api/compare", ok, { authorization: "Bearer s3cret-token" });
  assert.equal(res.status, 202);
  const { id } = await res.json();
  assert.equal((await send("DELETE", `/api/jobs/${id}`)).status, 401);
  assert.equal((await send("GET", `/api/jobs/${id}`)).status, 200);
  assert.equal(
    (await send("DELETE", `/api/jobs/${id}`, undefined, { authorization: "Bearer s3cret-token" })).status,
    200,
  );
});

Deno.test("loopback servers refuse foreign Host names (DNS rebinding); no CORS headers", async () => {
  const { send } = await app();
  const res = await send("GET", "/api/health", undefined, { origin: "http://evil.example" });
  assert.equal(res.headers.get("access-control-allow-origin"), null);
  const { ctx } = await app();
  const foreign = await createApp(ctx).request("http://evil.example/api/health");
  assert.equal(foreign.status, 421);
});

Deno.test("plugins: only allowlisted hosts reach the loader; its strategy is then listed and usable", async () => {
  const loaded: string[] = [];
  const { send } = await app({
    pluginHosts: ["plugins.example.org"],
    loadPlugin: (url) => {
      loaded.push(url);
      return Promise.resolve({
        apiVersion: 1,
        name: "halve",
        version: "1.0.0",
        description: "halves every frequency",
        params: {},
        table: (spec) => ({
          invFreq: Float64Array.from(
            { length: spec.rotaryDim / 2 },
            (_, i) => 0.5 * spec.theta ** (-2 * i / spec.rotaryDim),
          ),
          attentionScale: 1,
          rotaryDim: spec.rotaryDim,
        }),
      });
    },
  });
  await expect400(
    await send("POST", "/api/plugins", { url: "https://evil.example/p.ts" }),
    "url",
    /allowlist/,
  );
  await expect400(
    await send("POST", "/api/plugins", { url: "http://plugins.example.org/p.ts" }),
    "url",
    /https/,
  );
  await expect400(await send("POST", "/api/plugins", { url: "file:///etc/passwd" }), "url");
  assert.deepEqual(loaded, []);
  const res = await send("POST", "/api/plugins", { url: "https://plugins.example.org/p.ts" });
  assert.equal(res.status, 201);
  assert.deepEqual(loaded, ["https://plugins.example.org/p.ts"]);
  const listed = (await (await send("GET", "/api/strategies")).json()).find((s: { name: string }) =>
    s.name === "halve"
  );
  assert.equal(listed.builtin, false);
  const r = await (await send("POST", "/api/rope", { config: CONFIG, strategy: "halve" })).json();
  assert.equal(r.inv_freq[0], 0.5);
});

Deno.test("plugins: without an allowlist every URL is refused; without a loader the server says 501", async () => {
  const { send } = await app();
  await expect400(await send("POST", "/api/plugins", { url: "https://x.example/p.ts" }), "url", /disabled/);
  const { send: send2 } = await app({ pluginHosts: ["x.example"] });
  assert.equal((await send2("POST", "/api/plugins", { url: "https://x.example/p.ts" })).status, 501);
});
