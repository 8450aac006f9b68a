/**
 * Strategy rows of the form: a strategy picker and one input per declared parameter, so the page
 * offers exactly what the server will accept (GET /api/strategies). "config (the model's own)" is the
 * scaling the model's files declare. The picker's last choice, "plugin URL…", takes a plugin's URL instead (`https://host/x.ts#k=v,…`), which the server loads on demand
 * from its allowlisted hosts.
 *
 * @module
 */
import type { ParamDef, StrategyInfo } from "./api.ts";

/** A strategy as POST /api/compare takes it: a name with params, or a plugin entry string. */
export type StrategyChoice =
  | { name: string; params: Record<string, number | boolean | string | number[]>; label?: string }
  | string;

/** The picker's value for a plugin URL row. */
const PLUGIN_URL = "(plugin URL)"; // not kebab-case: no strategy can be called this
/** The picker's value for the model's own RoPE (the `config` strategy entry). */
const CONFIG = "config";

function urlInput(): HTMLElement {
  const label = document.createElement("label");
  label.title = "A plugin on a host the server allows (--allow-plugin-host); parameters after #: URL#k=v,k=v";
  label.append("URL ");
  const input = document.createElement("input");
  input.className = "plugin-url";
  input.type = "url";
  input.required = true;
  input.size = 48;
  input.placeholder = "https://host/plugin.ts#k=v";
  label.append(input);
  return label;
}

function paramInput(key: string, def: ParamDef): HTMLElement {
  const label = document.createElement("label");
  label.title = def.description;
  label.append(key + " ");
  let input: HTMLInputElement | HTMLSelectElement;
  if (def.type === "boolean" && def.default === undefined) {
    // No declared default: a checkbox would send false and the run would be labelled with it
    // (`yarn:softmax_mscale=false`); "auto" sends nothing and lets the strategy decide.
    input = document.createElement("select");
    for (const v of ["auto", "true", "false"]) input.append(new Option(v, v === "auto" ? "" : v));
    input.dataset.param = key;
    input.dataset.type = "optional-boolean";
    label.append(input);
    return label;
  }
  if (def.type === "enum") {
    input = document.createElement("select");
    for (const v of def.values ?? []) input.append(new Option(v, v, v === def.default, v === def.default));
  } else {
    input = document.createElement("input");
    if (def.type === "boolean") {
      input.type = "checkbox";
      input.checked = def.default === true;
    } else if (def.type === "factors") {
      input.placeholder = "[1, 1.5, …]";
      if (def.default) input.value = JSON.stringify(def.default);
    } else {
      input.type = "number";
      input.step = def.type === "integer" ? "1" : "any";
      if (def.min !== undefined) input.min = String(def.min);
      if (def.max !== undefined) input.max = String(def.max);
      input.placeholder = def.optional ? "auto" : "";
      if (typeof def.default === "number") input.value = String(def.default);
    }
  }
  input.dataset.param = key;
  input.dataset.type = def.type;
  if (def.default !== undefined) input.dataset.default = JSON.stringify(def.default);
  label.append(input);
  return label;
}

/** What a row can start with besides its strategy: parameter values, a plugin URL, a label. */
export interface RowPreset {
  params?: Record<string, unknown>;
  url?: string;
  label?: string;
}

/** The picker's value that stands for "a plugin URL". */
export const PLUGIN_CHOICE = PLUGIN_URL;

/** Adds a row; `initial` picks its strategy (PLUGIN_CHOICE with `preset.url` for a plugin). */
export function addStrategyRow(
  container: HTMLElement,
  strategies: StrategyInfo[],
  initial: string,
  preset: RowPreset = {},
): void {
  const row = document.createElement("div");
  row.className = "strategy-row";
  const select = document.createElement("select");
  select.className = "strategy-name";
  // The model's own declared scaling: which strategy that is, the server knows once it has loaded the model.
  // Offered where the model's original RoPE is (a comparison), not where it is not (the export view).
  if (strategies.some((s) => s.name === "default")) {
    select.append(new Option("config (the model's own)", CONFIG, initial === CONFIG, initial === CONFIG));
  }
  for (const s of strategies) {
    select.append(new Option(s.name, s.name, s.name === initial, s.name === initial));
  }
  select.append(new Option("plugin URL…", PLUGIN_URL, initial === PLUGIN_URL, initial === PLUGIN_URL));
  select.setAttribute("aria-label", "Strategy");
  if (preset.label) row.dataset.label = preset.label;
  const params = document.createElement("span");
  params.className = "params";
  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = "×";
  remove.title = "remove";
  remove.setAttribute("aria-label", "Remove this strategy");
  remove.onclick = () => row.remove();
  const fill = () => {
    if (select.value === PLUGIN_URL) {
      select.title = "a third-party strategy, loaded sandboxed by the server";
      params.replaceChildren(urlInput());
      return;
    }
    if (select.value === CONFIG) {
      select.title = "the RoPE scaling the model's files declare (plain RoPE if none); the default reference";
      params.replaceChildren();
      return;
    }
    const s = strategies.find((x) => x.name === select.value)!;
    select.title = s.description;
    params.replaceChildren(...Object.entries(s.params).map(([k, d]) => paramInput(k, d)));
  };
  select.onchange = () => {
    delete row.dataset.label; // a preset's label named the preset
    fill();
  };
  fill();
  if (preset.url !== undefined) params.querySelector<HTMLInputElement>(".plugin-url")!.value = preset.url;
  for (const [k, v] of Object.entries(preset.params ?? {})) {
    const input = params.querySelector<HTMLInputElement>(`[data-param="${k}"]`);
    if (!input) continue;
    if (input.type === "checkbox") input.checked = v === true;
    else input.value = typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  row.append(select, params, remove);
  container.append(row);
}

/**
 * Reads the rows. Values equal to the declared default and empty optional inputs are left out, so
 * labels stay short and the strategy derives what it derives.
 */
export function readStrategyRows(container: HTMLElement): StrategyChoice[] {
  return [...container.querySelectorAll<HTMLElement>(".strategy-row")].map((row) => {
    const name = row.querySelector<HTMLSelectElement>(".strategy-name")!.value;
    if (name === PLUGIN_URL) return row.querySelector<HTMLInputElement>(".plugin-url")!.value.trim();
    const params: Record<string, number | boolean | string | number[]> = {};
    for (const input of row.querySelectorAll<HTMLInputElement>("[data-param]")) {
      const key = input.dataset.param!;
      const type = input.dataset.type;
      if (type === "boolean") params[key] = input.checked;
      else if (input.value.trim() === "") continue;
      else if (type === "optional-boolean") params[key] = input.value === "true";
      else if (type === "enum") params[key] = input.value;
      else if (type === "factors") params[key] = JSON.parse(input.value);
      else params[key] = Number(input.value);
      if (input.dataset.default === JSON.stringify(params[key])) delete params[key];
    }
    return row.dataset.label ? { name, params, label: row.dataset.label } : { name, params };
  });
}
