/// <reference lib="dom" />
/**
 * The workbench page: runs (history), one run's report, a new comparison, reports side by side,
 * search with live progress, the doctor, plugins and export — one view per location hash. The page
 * keeps no state the server does not: after a reload or a server restart it shows the same runs,
 * and it polls /api/health while the server is away, then refreshes.
 *
 * @module
 */
import "./style.css";
import { type CatalogEntry, getJson, type Options, serverUp, type StrategyInfo } from "./api.ts";
import { $, showError } from "./dom.ts";
import { currentRoute, showView } from "./router.ts";
import { initCompareForm } from "./compare_form.ts";
import { leaveRun, openRun } from "./run_view.ts";
import { finishedComparisons, initRuns, refreshRuns } from "./runs_view.ts";
import { fillReportPicker, showSideBySide } from "./side_by_side.ts";
import { initSearch, leaveSearch, openSearch } from "./search_view.ts";
import { initDoctor } from "./doctor_view.ts";
import { initPlugins } from "./plugins_view.ts";
import { initExport } from "./export_view.ts";

/** Shows the view the location names (and loads what it needs). */
async function route(focus: boolean) {
  const { view, arg } = currentRoute();
  showView(view, focus);
  if (view !== "run") leaveRun();
  if (view !== "search") leaveSearch();
  try {
    if (view === "runs") await refreshRuns();
    if (view === "run" && arg) await openRun(arg);
    if (view === "search") openSearch(arg);
    if (view === "reports") {
      await refreshRuns();
      const ids = arg ? arg.split(",") : [];
      fillReportPicker(finishedComparisons(), ids);
      await showSideBySide(ids);
    }
  } catch (e) {
    showError("runs-error", e);
  }
}

/** While the server is away: a banner, then a refresh of the current view once it answers again. */
function watchConnection() {
  let down = false;
  setInterval(async () => {
    const up = await serverUp();
    $("connection").hidden = up;
    if (up && down) await route(false);
    down = !up;
    // The runs list moves on its own (statuses, durations): refresh it while it is shown.
    if (up && currentRoute().view === "runs") await refreshRuns().catch(() => {});
  }, 2000);
}

async function init() {
  const [models, texts, options, strategies] = await Promise.all([
    getJson<CatalogEntry[]>("/api/models"),
    getJson<CatalogEntry[]>("/api/texts"),
    getJson<Options>("/api/options"),
    getJson<StrategyInfo[]>("/api/strategies"),
  ]);
  const health = await getJson<{ auth: boolean }>("/api/health");
  $("token-row").hidden = !health.auth;
  const tokenInput = $<HTMLInputElement>("token");
  tokenInput.value = sessionStorage.getItem("ropekit-token") ?? "";
  tokenInput.oninput = () => sessionStorage.setItem("ropekit-token", tokenInput.value);
  initCompareForm(strategies, models, texts, options);
  initRuns();
  initSearch(strategies, models, texts);
  initDoctor(models);
  initPlugins();
  initExport(strategies, models);
  addEventListener("hashchange", () => void route(true));
  await route(false);
  watchConnection();
  document.body.dataset.ready = "true";
}

init().catch((e) => showError("runs-error", e));
