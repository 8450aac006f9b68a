/// <reference lib="dom" />
/**
 * A plugin by URL: the server checks the host against its allowlist, runs `plugin check`'s properties
 * in the sandbox and the page lists each pass/fail; a passing plugin goes into a new comparison as a
 * plugin-URL row (the server loads it on demand). @module
 */
import { type PluginCheck, postJson } from "./api.ts";
import { $, el, showError } from "./dom.ts";
import { newComparisonWith } from "./compare_form.ts";
import { PLUGIN_CHOICE } from "./strategy_form.ts";

function draw(c: PluginCheck) {
  const out = $("plugin-out");
  out.replaceChildren(
    el(
      "p",
      `${c.name ?? "(no name)"} — ${c.ok ? "every property passes" : "some properties fail"}` +
        (c.sha256 ? ` · sha256 ${c.sha256}` : ""),
      { class: c.ok ? "status done" : "status failed", id: "plugin-verdict" },
    ),
  );
  const t = el("table", "", { class: "plugin-check" });
  t.append(el("caption", "Conformance properties"));
  const head = t.createTHead().insertRow();
  head.append(...["property", "result", "detail"].map((h) => el("th", h, { scope: "col" })));
  const body = t.createTBody();
  for (const r of c.results) {
    const row = body.insertRow();
    row.append(
      el("th", r.property, { scope: "row" }),
      el("td", r.ok ? "pass" : "FAIL", { class: r.ok ? "pass" : "fail" }),
      el("td", r.detail),
    );
  }
  out.append(t);
}

/** Wires the form. */
export function initPlugins(): void {
  $<HTMLFormElement>("plugin-form").onsubmit = async (ev) => {
    ev.preventDefault();
    $("plugin-error").textContent = "";
    $("plugin-use").hidden = true;
    $("plugin-out").replaceChildren(el("p", "checking…", { role: "status" }));
    const url = $<HTMLInputElement>("plugin-url").value.trim();
    try {
      const check = await postJson<PluginCheck>("/api/plugins/check", { url });
      draw(check);
      $("plugin-use").hidden = !check.ok;
      $("plugin-use").onclick = () => newComparisonWith(PLUGIN_CHOICE, { url });
    } catch (e) {
      $("plugin-out").replaceChildren();
      showError("plugin-error", e);
    }
  };
}
