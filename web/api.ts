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

/** compare's report, as the server sends it: the one definition in compare/report_types.ts. */
export type { CompareReport as Report } from "../compare/report_types.ts";

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
