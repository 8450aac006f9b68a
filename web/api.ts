/** The server's API as the page uses it. @module */

/** A declared strategy parameter (strategies/types.ts ParamDef, as JSON). */
export interface ParamDef {
  type: "number" | "integer" | "boolean" | "enum" | "factors";
  description: string;
  optional?: boolean;
  default?: number | boolean | string | number[];
  min?: number;
  max?: number;
  values?: string[];
}

export interface StrategyInfo {
  name: string;
  description: string;
  params: Record<string, ParamDef>;
}

export interface CatalogEntry {
  id: string;
  format: string;
}

export interface Options {
  metrics: string[];
  templates: string[];
}

/** The parts of compare's report the page draws. */
export interface Report {
  settings: { lengths: number[]; target: number | "per-length"; metrics: string[] };
  model: { name: string; spec: { originalContext: number } };
  baseline?: Record<string, { ppl: number; curve: [number, number][] }>;
  strategies: {
    label: string;
    factors: number[];
    analysis: { theoreticalCriticalDim: number; tenPeriodCriticalDim: number };
    ppl?: Record<string, { ppl: number; curve: [number, number][] }>;
    needle?: {
      cells: { length: number; depth: number; nll: { mean: number } }[];
      byLength: Record<string, { ppl: number }>;
    };
    passkey?: { byLength: Record<string, { mean: number }> };
    short_context?: { retention: number };
  }[];
}

export interface Job {
  id: string;
  status: "queued" | "running" | "done" | "failed" | "cancelled" | "interrupted";
  error?: string;
  progress?: { task: string; done: number; total: number };
}

/** An API error: the server's message (it names the field). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.error ?? `${res.status} ${res.statusText}`);
  return data as T;
}

export const getJson = <T>(path: string) => call<T>("GET", path);
export const postJson = <T>(path: string, body: unknown, token?: string) =>
  call<T>("POST", path, body, token);
export const deleteJson = <T>(path: string, token?: string) => call<T>("DELETE", path, undefined, token);
