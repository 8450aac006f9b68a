/// <reference lib="dom" />
/** Small DOM helpers the views share. @module */
import { ApiError } from "./api.ts";

/** The element with this id. */
export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** An element with text and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text = "",
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

/** A button that runs `onClick`. */
export function button(
  text: string,
  onClick: () => void,
  attrs: Record<string, string> = {},
): HTMLButtonElement {
  const b = el("button", text, { type: "button", ...attrs });
  b.onclick = onClick;
  return b;
}

/** Shows an error in the alert paragraph `id`; a 401 reveals the token field. */
export function showError(id: string, e: unknown): void {
  $(id).textContent = e instanceof Error ? e.message : String(e);
  if (e instanceof ApiError && e.status === 401) $("token-row").hidden = false;
}

/** 95 → "1m35s". */
export function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/** Fills a select with catalog entries. */
export function fillSelect(select: HTMLSelectElement, entries: { id: string; format: string }[]): void {
  select.replaceChildren(...entries.map((e) => new Option(`${e.id} (${e.format})`, e.id)));
}
