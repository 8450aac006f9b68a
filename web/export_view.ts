/// <reference lib="dom" />
/**
 * Export: a served model with a strategy applied (one strategy row, as in a comparison) as a GGUF or
 * an HF folder zipped; the server writes it with `exportModel` and the page offers the download and
 * the RoPE fields written. @module
 */
import { type CatalogEntry, postJson, type StrategyInfo } from "./api.ts";
import { $, el, fillSelect, showError } from "./dom.ts";
import { addStrategyRow, readStrategyRows } from "./strategy_form.ts";

interface Exported {
  download: string;
  strategy: string;
  targetLength: number;
  files: string[];
  rope: Record<string, unknown>;
  notes: string[];
}

/** Wires the form. */
export function initExport(strategies: StrategyInfo[], models: CatalogEntry[]): void {
  fillSelect($("export-model"), models);
  // Plugins export only once loaded by name; the row offers the registered strategies.
  addStrategyRow($("export-strategy"), strategies.filter((s) => s.name !== "default"), "yarn");
  $("export-strategy").querySelector(".strategy-row button")?.remove();
  $<HTMLFormElement>("export-form").onsubmit = async (ev) => {
    ev.preventDefault();
    $("export-error").textContent = "";
    $("export-out").replaceChildren(el("p", "exporting…"));
    try {
      const choice = readStrategyRows($("export-strategy"))[0];
      if (typeof choice === "string") throw new Error("pick a strategy");
      const target = $<HTMLInputElement>("export-target").value.trim();
      const to = document.querySelector<HTMLInputElement>('input[name="export-to"]:checked')!.value;
      const r = await postJson<Exported>("/api/exports", {
        model: $<HTMLSelectElement>("export-model").value,
        strategy: choice.name,
        params: choice.params,
        ...(target ? { target: Number(target) } : {}),
        to,
      });
      const file = r.download.split("/").pop()!;
      const link = el("a", `Download ${file}`, { href: r.download, download: file, id: "export-download" });
      $("export-out").replaceChildren(
        el("p", `${r.strategy} at target ${r.targetLength}: ${r.files.join(", ")}`),
        link,
        el("pre", JSON.stringify(r.rope, null, 2)),
        ...r.notes.map((n) => el("p", `note: ${n}`)),
      );
    } catch (e) {
      $("export-out").replaceChildren();
      showError("export-error", e);
    }
  };
}
