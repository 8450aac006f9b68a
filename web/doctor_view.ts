/// <reference lib="dom" />
/**
 * The RoPE doctor on the page: a pasted config.json (or a served HF model's) → what transformers,
 * vLLM, llama.cpp and ropekit compute, side by side, the pitfalls flagged for it, and each engine's
 * per-pair factor θ_i/θ'_i drawn. The same report `deno task rope --doctor --json` prints.
 *
 * @module
 */
import { type CatalogEntry, type DoctorReport, postJson } from "./api.ts";
import { lineChart } from "./charts.ts";
import { $, el, showError } from "./dom.ts";

const short = (a: number[]) =>
  a.length <= 4
    ? a.map((v) => v.toPrecision(4)).join(", ")
    : `${a[0].toPrecision(4)}, ${a[1].toPrecision(4)}, …, ${a.at(-1)!.toPrecision(4)}`;

function columnsTable(r: DoctorReport): HTMLTableElement {
  const t = el("table", "", { class: "doctor" });
  t.append(el("caption", "What each engine computes for this config"));
  const head = t.createTHead().insertRow();
  head.append(
    ...[
      "engine",
      "frequency sets (use: cos/sin scale, inv_freq)",
      "softmax scale",
      "switching",
      "reads",
      "ignores",
    ]
      .map((h) => el("th", h, { scope: "col" })),
  );
  const body = t.createTBody();
  for (const c of r.columns) {
    const row = body.insertRow();
    row.append(
      el("th", c.engine + (c.supported ? "" : " (NOT SUPPORTED)"), { scope: "row", title: c.source }),
      el(
        "td",
        c.sets.map((s) => `${s.use}: ×${s.cosSinScale.toPrecision(6)} [${short(s.invFreq)}]`).join("; ") ||
          "–",
      ),
      el("td", c.softmaxScale === 1 ? "1" : `×${c.softmaxScale.toPrecision(6)}`),
      el("td", c.switching),
      el("td", c.reads.join(", ") || "–"),
      el("td", c.ignores.join(", ") || "–"),
    );
  }
  return t;
}

function draw(r: DoctorReport) {
  const out = $("doctor-out");
  out.replaceChildren();
  out.append(el(
    "p",
    `${r.ropeType}${
      r.layerType ? ` (layer type ${r.layerType})` : ""
    }: θ ${r.theta}, head_dim ${r.headDim}, ` +
      `rotary_dim ${r.rotaryDim}, L0 ${r.originalContext}, max_position_embeddings ${r.maxPositions}` +
      (r.layerTypes.length ? `; per layer type: ${r.layerTypes.join(", ")}` : ""),
  ));
  out.append(columnsTable(r));
  out.append(el("h3", r.pitfalls.length ? "Pitfalls" : "No known pitfall for this config"));
  const list = el("ul", "", { class: "pitfalls" });
  for (const p of r.pitfalls) {
    const li = el("li");
    li.dataset.pitfall = p.id;
    li.append(el("code", p.id), ` (${p.engines.join(", ")}) ${p.message}`);
    if (p.refs.length) li.append(` See ${p.refs.join(", ")}.`);
    list.append(li);
  }
  out.append(list);
  // Per-pair factor of each engine's sets against the unscaled frequencies θ^(−2i/d).
  const lines = r.columns.flatMap((c) =>
    c.sets.map((s) => ({
      name: `${c.engine} ${s.use}`,
      points: s.invFreq.map((f, i) => [i, Math.pow(r.theta, -2 * i / r.rotaryDim) / f] as [number, number]),
    }))
  );
  if (lines.length) {
    lineChart(out, "Per-pair factor θ_i / θ'_i by engine", {
      x: "frequency pair i",
      y: "factor",
      logY: true,
      integerX: true,
    }, lines);
  }
}

/** Wires the form; `models` offers the served HF folders. */
export function initDoctor(models: CatalogEntry[]): void {
  const select = $<HTMLSelectElement>("doctor-model");
  select.append(...models.filter((m) => m.format === "hf-folder").map((m) => new Option(m.id, m.id)));
  $<HTMLFormElement>("doctor-form").onsubmit = async (ev) => {
    ev.preventDefault();
    $("doctor-error").textContent = "";
    try {
      const layer = $<HTMLInputElement>("doctor-layer").value.trim();
      let body: Record<string, unknown>;
      if (select.value) body = { model: select.value };
      else {
        const text = $<HTMLTextAreaElement>("doctor-config").value;
        try {
          body = { config: JSON.parse(text) };
        } catch (e) {
          throw new Error(`config.json: not JSON (${(e as Error).message})`);
        }
      }
      if (layer) body.layer_type = layer;
      draw(await postJson<DoctorReport>("/api/doctor", body));
    } catch (e) {
      showError("doctor-error", e);
    }
  };
}
