/**
 * The server's front door: an accept loop that holds the connections within a budget, so idle or
 * slow clients cannot use up the process's file descriptors (`Deno.serve` accepts until the limit
 * and then dies of an uncaught "Too many open files").
 *
 * Every TCP connection is accepted here and counted. Until its request head has arrived it is
 * *waiting*: it is closed when the head takes longer than `headerTimeoutMs`, and it is the first to
 * be closed when the budget is full and another client arrives, so a flood of idle connections only
 * ever displaces itself. Once the head has arrived the connection is relayed, byte for byte, to the
 * HTTP server proper (`Deno.serve` on a loopback port of its own). A relayed connection whose last
 * request was answered is closed after `idleTimeoutMs` of silence, and may be displaced after a
 * second of it; one whose request waits for its answer is closed after `requestTimeoutMs`, and may be
 * displaced once its client has been silent for the header timeout (it may be withholding a body).
 * With every connection busy, a newcomer is answered 503 and closed. A failing
 * accept (EMFILE included) is never fatal: the connection waits in the kernel's backlog while idle
 * ones are shed, and the loop tries again.
 *
 * @module
 */
/** The budget's settings. */
export interface ConnectionLimits {
  /** Connections held at once (each relayed one costs three descriptors, a waiting one one). */
  maxConnections: number;
  /** Time a new connection has to send its request head, in ms. */
  headerTimeoutMs: number;
  /** Time a relayed connection may stay silent once its last request was answered, in ms (SSE streams send a comment every 15 s). */
  idleTimeoutMs: number;
  /** Time a request may wait for its answer (the client spoke last), in ms. */
  requestTimeoutMs: number;
  /** Largest request head, in bytes. */
  maxHeaderBytes: number;
}

/** Descriptors kept back for everything else the server opens (models, sandboxes, the worker). */
const RESERVED_DESCRIPTORS = 64;
/** A relayed connection silent this long may be displaced by a newcomer when the budget is full. */
const DISPLACEABLE_AFTER_MS = 1_000;
const SWEEP_MS = 250;

/** The soft open-file limit of this process (Linux /proc), or undefined where it cannot be read. */
export async function openFileLimit(): Promise<number | undefined> {
  try {
    const limits = await Deno.readTextFile("/proc/self/limits");
    const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1];
    return soft === undefined || soft === "unlimited" ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * The default budget: a third of the descriptors left after a reserve (a relayed connection holds
 * three), between 8 and 1024; 256 where the limit is unknown.
 */
export async function defaultLimits(): Promise<ConnectionLimits> {
  const files = await openFileLimit();
  const max = files === undefined ? 256 : Math.floor((files - RESERVED_DESCRIPTORS) / 3);
  return {
    maxConnections: Math.min(1024, Math.max(8, max)),
    headerTimeoutMs: 10_000,
    idleTimeoutMs: 60_000,
    requestTimeoutMs: 300_000,
    maxHeaderBytes: 64 * 1024,
  };
}

interface Tracked {
  conn: Deno.Conn;
  upstream?: Deno.Conn;
  opened: number;
  /** When the client last sent bytes, and when the server last did. */
  lastClient: number;
  lastServer: number;
  closed: boolean;
}

/** A server started by {@linkcode serveWithBudget}. */
export interface BudgetedServer {
  addr: Deno.NetAddr;
  /** Connections held now. */
  readonly connections: number;
  shutdown(): Promise<void>;
}

const encoder = new TextEncoder();
const HEAD_END = encoder.encode("\r\n\r\n");

function refusal(status: string, message: string): Uint8Array {
  const body = JSON.stringify({ error: message }) + "\n";
  return encoder.encode(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${
      encoder.encode(body).length
    }\r\n` +
      `Connection: close\r\nRetry-After: 1\r\n\r\n${body}`,
  );
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = Math.max(0, from); i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
}

/** Serves `handler` on `hostname:port` behind the connection budget. */
export function serveWithBudget(
  options: { hostname: string; port: number; limits: ConnectionLimits },
  handler: Deno.ServeHandler,
): BudgetedServer {
  const { limits } = options;
  // The HTTP server proper, on a loopback port of its own that only this relay connects to (a Unix
  // socket would need a wider --allow-net than 127.0.0.1).
  const inner = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const connectInner = () => Deno.connect({ hostname: "127.0.0.1", port: inner.addr.port });

  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const live = new Set<Tracked>();
  let stopping = false;
  let lastAcceptError = 0;

  const close = (t: Tracked) => {
    if (t.closed) return;
    t.closed = true;
    live.delete(t);
    for (const c of [t.conn, t.upstream]) {
      try {
        c?.close();
      } catch { /* already closed */ }
    }
  };

  /** The client spoke last: a request is being sent or waits for its answer. */
  const pending = (t: Tracked) => t.lastClient > t.lastServer;
  const lastActive = (t: Tracked) => Math.max(t.lastClient, t.lastServer);

  /**
   * Closes, to make room, the first of: the oldest connection still without a request head; the
   * answered connection silent longest (≥ 1 s); the request whose client has been silent longest
   * (≥ the header timeout: it may be withholding its body).
   */
  const displaceOne = (now: number): boolean => {
    const oldest = (ok: (t: Tracked) => boolean, age: (t: Tracked) => number) => {
      let victim: Tracked | undefined;
      for (const t of live) if (ok(t) && (!victim || age(t) < age(victim))) victim = t;
      return victim;
    };
    const victim = oldest((t) => !t.upstream, (t) => t.opened) ??
      oldest(
        (t) => !!t.upstream && !pending(t) && now - lastActive(t) >= DISPLACEABLE_AFTER_MS,
        lastActive,
      ) ??
      oldest(
        (t) => !!t.upstream && pending(t) && now - t.lastClient >= limits.headerTimeoutMs,
        (t) => t.lastClient,
      );
    if (victim) close(victim);
    return victim !== undefined;
  };

  const sweep = setInterval(() => {
    const now = performance.now();
    for (const t of live) {
      if (!t.upstream) {
        if (now - t.opened > limits.headerTimeoutMs) close(t);
      } else if (
        pending(t) ? now - t.lastClient > limits.requestTimeoutMs : now - lastActive(t) > limits.idleTimeoutMs
      ) {
        close(t);
      }
    }
  }, SWEEP_MS);

  const pump = async (t: Tracked, from: Deno.Conn, to: Deno.Conn, side: "lastClient" | "lastServer") => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (!t.closed) {
        const n = await from.read(buffer);
        if (n === null) break;
        t[side] = performance.now();
        await writeAll(to, buffer.subarray(0, n));
      }
    } catch { /* either side went away */ }
    // One side is done: so is the exchange (a client that leaves must end its request upstream too).
    close(t);
  };

  const relay = async (t: Tracked) => {
    // Read the request head, bounded in size; the sweep closes it when it takes too long.
    let head = new Uint8Array(0);
    try {
      const buffer = new Uint8Array(16 * 1024);
      let complete = false;
      while (!complete) {
        const n = await t.conn.read(buffer);
        if (n === null) return close(t);
        const next = new Uint8Array(head.length + n);
        next.set(head);
        next.set(buffer.subarray(0, n), head.length);
        complete = indexOf(next, HEAD_END, head.length - 3) >= 0;
        head = next;
        if (!complete && head.length > limits.maxHeaderBytes) {
          await writeAll(t.conn, refusal("431 Request Header Fields Too Large", "request head too large"));
          return close(t);
        }
      }
    } catch {
      return close(t);
    }
    if (t.closed) return;
    try {
      t.upstream = await connectInner();
    } catch (e) {
      console.error(`warning: cannot relay a connection: ${(e as Error).message}`);
      await writeAll(t.conn, refusal("503 Service Unavailable", "the server is out of connections")).catch(
        () => {},
      );
      return close(t);
    }
    if (t.closed) {
      // Displaced while connecting: close() ran before there was an upstream to close.
      try {
        t.upstream.close();
      } catch { /* already closed */ }
      return;
    }
    t.lastClient = performance.now();
    try {
      await writeAll(t.upstream, head);
    } catch {
      return close(t);
    }
    pump(t, t.conn, t.upstream, "lastClient");
    pump(t, t.upstream, t.conn, "lastServer");
  };

  const admit = (conn: Deno.Conn) => {
    const now = performance.now();
    if (live.size >= limits.maxConnections && !displaceOne(now)) {
      writeAll(conn, refusal("503 Service Unavailable", "too many connections; retry shortly"))
        .catch(() => {})
        .finally(() => {
          try {
            conn.close();
          } catch { /* gone */ }
        });
      return;
    }
    const t: Tracked = { conn, opened: now, lastClient: now, lastServer: now, closed: false };
    live.add(t);
    relay(t);
  };

  const loop = (async () => {
    while (!stopping) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (stopping || e instanceof Deno.errors.BadResource) break;
        // Out of descriptors (EMFILE) or another transient fault: shed a connection, wait, retry.
        const now = performance.now();
        if (now - lastAcceptError > 5_000) {
          console.error(`warning: accepting a connection failed (${(e as Error).message}); retrying`);
        }
        lastAcceptError = now;
        displaceOne(now);
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      admit(conn);
    }
  })();

  return {
    addr: listener.addr as Deno.NetAddr,
    get connections() {
      return live.size;
    },
    async shutdown() {
      stopping = true;
      clearInterval(sweep);
      listener.close();
      await loop;
      for (const t of [...live]) close(t);
      await inner.shutdown();
    },
  };
}
