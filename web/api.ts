/** The server's API as the page uses it. @module */

/** A strategy and its declared parameters, as GET /api/strategies sends them. */
export type { StrategyInfo } from "../strategies/registry.ts";
export type { ParamDef } from "../strategies/types.ts";

export interface CatalogEntry {
  id: string;
  format: string;
}

export interface Options {
  metrics: string[];
  templates: string[];
  /** The comparison form's fields (bounds, first values, labels), declared in compare/options.ts. */
  compare: FormField[];
}

export type { FormField } from "../compare/options.ts";
import type { FormField } from "../compare/options.ts";

/** compare's report, as the server sends it: the one definition in compare/report_types.ts. */
export type { CompareReport as Report } from "../compare/report_types.ts";

/** The server's records of runs (a compare job, the runs list, search jobs): compare/api_records.ts. */
export type { GenerationPoint, JobState as Job, RunSummary, SearchRecord } from "../compare/api_records.ts";

/** An API error: the server's message (it names the field). */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  token ??= storedToken();
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

/** Says whether the server answers (the page shows a banner and retries while it does not). */
export async function serverUp(): Promise<boolean> {
  try {
    return (await fetch("/api/health", { cache: "no-store" })).ok;
  } catch {
    return false;
  }
}

/** The doctor's answer (POST /api/rope with doctor) and what `plugin check` reports. */
export type { DoctorReport } from "../strategies/doctor.ts";
export type { PluginCheck } from "../plugins/check_plugin.ts";

/** The token the user typed (kept for this tab's session only), for the calls that change state. */
export function storedToken(): string | undefined {
  return sessionStorage.getItem("ropekit-token") || undefined;
}
