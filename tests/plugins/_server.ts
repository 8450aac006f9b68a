/** A throwaway HTTP server on 127.0.0.1 that serves plugin sources from memory. */

/** A response spelled out: status, headers and body (e.g. a redirect or another content type). */
export interface RawRoute {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Path → module source (served as TypeScript), an HTTP status with no body, or a raw response. */
export type Routes = Record<string, string | number | RawRoute>;

/** Base URL of a running server; `set` changes what a path serves; `requests` lists paths asked for. */
export interface PluginServer {
  url(path: string): string;
  set(path: string, body: string | number | RawRoute): void;
  /** Every path requested so far, in order. */
  readonly requests: string[];
  readonly port: number;
}

/** Serves `routes` for the duration of `fn`. */
export async function withServer(routes: Routes, fn: (server: PluginServer) => Promise<void>): Promise<void> {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    requests.push(path);
    const route = routes[path];
    if (route === undefined) return new Response("not found", { status: 404 });
    if (typeof route === "number") return new Response(null, { status: route });
    if (typeof route === "object") {
      return new Response(route.body ?? null, { status: route.status ?? 200, headers: route.headers });
    }
    return new Response(route, { headers: { "content-type": "application/typescript" } });
  });
  try {
    await fn({
      url: (path) => `http://127.0.0.1:${server.addr.port}${path}`,
      set: (path, body) => void (routes[path] = body),
      requests,
      port: server.addr.port,
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

/** Runs a ropekit CLI entry point (`cli/NAME.ts`) as a subprocess in `cwd`. */
export async function runCli(
  name: string,
  args: string[],
  { cwd, permissions }: { cwd: string; permissions?: string[] },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const entry = new URL(`../../cli/${name}.ts`, import.meta.url).pathname;
  const build = new URL("../../.build", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...(permissions ??
        [
          `--allow-ffi=${build}`,
          "--allow-read",
          "--allow-write",
          "--allow-env",
          "--allow-net=127.0.0.1,localhost",
          "--allow-run",
          "--allow-sys",
        ]),
      entry,
      ...args,
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Pids of running plugin sandbox processes started from this checkout's plugins/sandbox_main.ts (via ps). */
export async function sandboxPids(): Promise<number[]> {
  const main = new URL("../../plugins/sandbox_main.ts", import.meta.url).pathname;
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,args="], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((line) => line.trim().split(/\s+/).includes(main))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}
