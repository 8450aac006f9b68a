/** A throwaway HTTP server on 127.0.0.1 that serves plugin sources from memory. */

/** Path → module source; a number is served as that HTTP status with no body. */
export type Routes = Record<string, string | number>;

/** Base URL of a running server; `set` changes what a path serves. */
export interface PluginServer {
  url(path: string): string;
  set(path: string, body: string | number): void;
}

/** Serves `routes` for the duration of `fn`. */
export async function withServer(routes: Routes, fn: (server: PluginServer) => Promise<void>): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const body = routes[new URL(request.url).pathname];
    if (body === undefined) return new Response("not found", { status: 404 });
    if (typeof body === "number") return new Response(null, { status: body });
    return new Response(body, { headers: { "content-type": "application/typescript" } });
  });
  try {
    await fn({
      url: (path) => `http://127.0.0.1:${server.addr.port}${path}`,
      set: (path, body) => void (routes[path] = body),
    });
  } finally {
    await server.shutdown();
  }
}

/** Source of a plugin whose `table` body (and optional module-level code) is given. */
export function pluginSource(
  tableBody: string,
  { name = "test-plugin", moduleCode = "", fields = "" } = {},
): string {
  return `${moduleCode}
export const strategy = {
  apiVersion: 1, name: ${JSON.stringify(name)}, version: "1.0.0", description: "test", params: {}, ${fields}
  table(spec, ctx, params) { ${tableBody} },
};`;
}

/** A `table` body returning the model's own RoPE. */
export const VALID_TABLE = `return {
  rotaryDim: spec.rotaryDim,
  invFreq: Array.from({ length: spec.rotaryDim / 2 }, (_, i) => Math.pow(spec.theta, (-2 * i) / spec.rotaryDim)),
  attentionScale: 1,
};`;
