/**
 * The plugin's worker inside the sandbox process. It runs with no permissions at all, imports the
 * exact bytes the host verified (a `data:` URL, so nothing is fetched or read again) and answers
 * `load` and `table` requests. It imports nothing itself: its static imports would need a read
 * permission it does not have.
 *
 * The plugin shares this realm and can tamper with anything here, so nothing this file sends is
 * trusted: the sandbox process bounds it and the host validates it.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

interface LoadRequest {
  id: number;
  op: "load";
  url: string;
  mediaType: string;
  sourceBase64: string;
}
interface TableRequest {
  id: number;
  op: "table";
  spec: unknown;
  ctx: unknown;
  params: unknown;
}

/** Why a request failed: `kind` tells the host which error code applies. */
class Fault extends Error {
  constructor(readonly kind: "import" | "export" | "threw" | "clone", cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = cause instanceof Error ? cause.name : "Error";
  }
}

// stdout carries the protocol; a plugin's logging goes to stderr.
console.log = console.info = console.debug = console.error;

let strategy: Record<string, unknown> | undefined;
let dataUrl = "";
let pluginUrl = "";

async function load(req: LoadRequest): Promise<unknown> {
  pluginUrl = req.url;
  // The host only sends application/javascript and application/typescript (plugins/source.ts).
  const subtype = /^application\/(javascript|typescript)$/.exec(req.mediaType)?.[1];
  if (subtype === undefined) throw new Fault("import", `unexpected media type ${req.mediaType}`);
  dataUrl = `data:application/${subtype};base64,${req.sourceBase64}`; // error messages quote it
  let mod: Record<string, unknown>;
  try {
    // Written as a template whose fixed head names the data: scheme, so that `deno publish` can see
    // this import has nothing to rewrite (an opaque `import(url)` is reported as unanalyzable).
    mod = await import(`data:application/${subtype};base64,${req.sourceBase64}`);
  } catch (e) {
    throw new Fault("import", e);
  }
  const exported = mod.strategy ?? mod.default;
  if (exported === null || typeof exported !== "object") {
    throw new Fault("export", 'missing export "strategy" (or a default export): it must be an object');
  }
  strategy = exported as Record<string, unknown>;
  const { apiVersion, name, version, description, params, table } = strategy;
  return { apiVersion, name, version, description, params, hasTable: typeof table === "function" };
}

async function table(req: TableRequest): Promise<unknown> {
  try {
    return await (strategy!.table as (...a: unknown[]) => unknown)(req.spec, req.ctx, req.params);
  } catch (e) {
    throw new Fault("threw", e);
  }
}

self.onmessage = async (event: MessageEvent<LoadRequest | TableRequest>) => {
  const req = event.data;
  let reply: Record<string, unknown>;
  try {
    reply = { id: req.id, ok: true, value: req.op === "load" ? await load(req) : await table(req) };
  } catch (e) {
    const fault = e instanceof Fault ? e : new Fault("threw", e);
    // Data URLs are long and meaningless to a reader: name the plugin's URL instead.
    const message = dataUrl ? fault.message.replaceAll(dataUrl, pluginUrl) : fault.message;
    reply = { id: req.id, ok: false, error: { kind: fault.kind, name: fault.name, message } };
  }
  try {
    self.postMessage(reply);
  } catch (e) {
    // Functions, symbols or class instances with private state cannot cross a thread.
    const error = { kind: "clone", name: "DataCloneError", message: (e as Error).message };
    self.postMessage({ id: req.id, ok: false, error });
  }
};
