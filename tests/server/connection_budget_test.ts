/**
 * server/connection_budget.ts with small limits, on a real loopback port: idle connections are
 * displaced by a real request, a connection without a request head is closed at the header timeout,
 * an oversized head is a 431, and when every connection is busy a newcomer gets a 503.
 */
import assert from "node:assert/strict";
import { serveWithBudget } from "../../server/connection_budget.ts";

const LIMITS = {
  maxConnections: 4,
  headerTimeoutMs: 400,
  idleTimeoutMs: 60_000,
  requestTimeoutMs: 60_000,
  maxHeaderBytes: 1024,
};

/** Reads what the server sends until it closes the connection (or `ms` pass). */
async function readAll(conn: Deno.Conn, ms = 5_000): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), ms);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
  } catch {
    /* closed by the timer */
  } finally {
    clearTimeout(timer);
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

Deno.test("connection budget: idle ones make room, slow heads time out, big heads are 431, busy means 503", async () => {
  const held: (() => void)[] = [];
  const server = serveWithBudget({ hostname: "127.0.0.1", port: 0, limits: LIMITS }, async (req) => {
    if (new URL(req.url).pathname === "/slow") await new Promise<void>((r) => held.push(r));
    return new Response("ok");
  });
  const port = server.addr.port;
  const connect = () => Deno.connect({ hostname: "127.0.0.1", port });
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return [res.status, await res.text()] as const;
  };
  try {
    // Twice the budget of idle connections; a request still gets through.
    const idle = await Promise.all(Array.from({ length: 8 }, connect));
    assert.deepEqual(await get("/"), [200, "ok"]);
    assert.ok(server.connections <= LIMITS.maxConnections);
    // The idle ones are closed at the header timeout: their reads end.
    const t0 = performance.now();
    const last = idle.at(-1)!;
    assert.equal(await readAll(last), "");
    assert.ok(performance.now() - t0 < 3_000);
    for (const c of idle) {
      try {
        c.close();
      } catch { /* closed by the server */ }
    }

    const big = await connect();
    await big.write(new TextEncoder().encode(`GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ${"a".repeat(2048)}`));
    assert.match(await readAll(big), /^HTTP\/1\.1 431 /);
    big.close();

    // Every connection busy with a request awaiting its answer (and not silent long): a newcomer is refused.
    const slow = await Promise.all(Array.from({ length: LIMITS.maxConnections }, async () => {
      const c = await connect();
      await c.write(new TextEncoder().encode("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      return c;
    }));
    await new Promise((r) => setTimeout(r, 100));
    const refused = await connect();
    const answer = await readAll(refused);
    assert.match(answer, /^HTTP\/1\.1 503 /);
    assert.match(answer, /too many connections/);
    refused.close();
    for (const c of slow) c.close();
  } finally {
    for (const release of held) release();
    await server.shutdown();
  }
});
