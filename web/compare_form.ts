/// <reference lib="dom" />
/**
 * The "New comparison" form: model, text, strategy rows (GET /api/strategies), lengths, metrics; a
 * submitted comparison opens its run view. Other views put a strategy into a fresh form with
 * {@linkcode newComparisonWith} (a search's result, a checked plugin).
 *
 * @module
 */
import { type CatalogEntry, type Job, type Options, postJson, type StrategyInfo } from "./api.ts";
import { $, fillSelect, showError } from "./dom.ts";
import { go } from "./router.ts";
import { addStrategyRow, PLUGIN_CHOICE, readStrategyRows, type RowPreset } from "./strategy_form.ts";

/** Where the form's draft is kept for this tab, so a reload or a server restart loses nothing typed. */
const DRAFT_KEY = "ropekit-compare-draft";
const FIELDS = ["model", "text", "lengths", "samples", "seed"] as const;

function saveDraft() {
  try {
    const draft = {
      ...Object.fromEntries(FIELDS.map((id) => [id, $<HTMLInputElement>(id).value])),
      metrics: [...document.querySelectorAll<HTMLInputElement>("#metrics input:checked")].map((i) => i.value),
      strategies: readStrategyRows($("strategies")),
    };
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
  } catch { /* a half-typed factors list does not parse yet: keep the last draft */ }
}

/** Restores the draft; false when there is none. */
function restoreDraft(): boolean {
  const raw = sessionStorage.getItem(DRAFT_KEY);
  if (!raw) return false;
  const draft = JSON.parse(raw);
  for (const id of FIELDS) if (typeof draft[id] === "string") $<HTMLInputElement>(id).value = draft[id];
  for (const box of document.querySelectorAll<HTMLInputElement>("#metrics input")) {
    box.checked = draft.metrics.includes(box.value);
  }
  $("strategies").replaceChildren();
  for (const s of draft.strategies) {
    if (typeof s === "string") addStrategyRow($("strategies"), strategies, PLUGIN_CHOICE, { url: s });
    else addStrategyRow($("strategies"), strategies, s.name, { params: s.params, label: s.label });
  }
  return true;
}

let strategies: StrategyInfo[] = [];

async function submit(ev: SubmitEvent) {
  ev.preventDefault();
  $("form-error").textContent = "";
  try {
    const lengths = $<HTMLInputElement>("lengths").value.split(",").map((s) => Number(s.trim()));
    const metrics = [...document.querySelectorAll<HTMLInputElement>("#metrics input:checked")].map((i) =>
      i.value
    );
    const body = {
      model: $<HTMLSelectElement>("model").value,
      text: $<HTMLSelectElement>("text").value,
      strategies: readStrategyRows($("strategies")),
      lengths,
      metrics,
      samples: Number($<HTMLInputElement>("samples").value),
      seed: Number($<HTMLInputElement>("seed").value),
    };
    const job = await postJson<Job>("/api/compare", body);
    go("run", job.id);
  } catch (e) {
    showError("form-error", e);
  }
}

/** Fills the form from the server's catalog and declared spaces. */
export function initCompareForm(
  all: StrategyInfo[],
  models: CatalogEntry[],
  texts: CatalogEntry[],
  options: Options,
): void {
  strategies = all;
  fillSelect($("model"), models);
  fillSelect($("text"), texts);
  $("metrics").replaceChildren(...options.metrics.map((m) => {
    const label = document.createElement("label");
    const box = Object.assign(document.createElement("input"), {
      type: "checkbox",
      value: m,
      checked: m === "ppl",
    });
    label.append(box, ` ${m}`);
    return label;
  }));
  let restored = false;
  try {
    restored = restoreDraft();
  } catch {
    sessionStorage.removeItem(DRAFT_KEY); // a draft of an older page
  }
  if (!restored) {
    for (const name of ["default", "yarn"]) {
      addStrategyRow($("strategies"), strategies, name);
    }
  }
  $("add-strategy").onclick = () => {
    addStrategyRow($("strategies"), strategies, "pi");
    saveDraft();
  };
  const form = $<HTMLFormElement>("compare-form");
  form.onsubmit = submit;
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  form.addEventListener("click", () => setTimeout(saveDraft)); // a row's × removes it
}

/** Opens the form with the baseline and one more row: `name` with `preset` (and the model picked). */
export function newComparisonWith(name: string, preset: RowPreset, model?: string, length?: number): void {
  $("strategies").replaceChildren();
  addStrategyRow($("strategies"), strategies, "default");
  addStrategyRow($("strategies"), strategies, name, preset);
  if (model) $<HTMLSelectElement>("model").value = model;
  if (length) $<HTMLInputElement>("lengths").value = String(length);
  saveDraft();
  go("new");
}
