// The run page: loads the run, fills the overview, switches tabs and polls while it runs.
import { AJAX, apiGet } from "./api.js";
// Static (and preloaded), so a page opened on #charts asks for points before runs/get.
import { createCharts } from "./charts.js";
import { replaceChildren, showMessage } from "./dom.js";
import { renderOverview, wireOverview } from "./run_overview.js";
import { renderTables, wireTables } from "./run_tables.js";

const POLL_INTERVAL_MS = 3000;
const main = document.getElementById("main");
const runId = main.dataset.runId;
const TABS = ["overview", "charts", "artifacts"];
const state = { run: null, charts: null, artifacts: null, pollTimer: null };

async function fetchRun() {
  const body = await apiGet(`${AJAX}/runs/get`, { run_id: runId });
  return body.run;
}

/** Re-read the run and redraw what depends on it; `afterEdit` skips the charts. */
async function refresh({ afterEdit = false } = {}) {
  const run = await fetchRun();
  state.run = run;
  renderOverview(run);
  renderTables(run);
  if (state.charts && !afterEdit) await state.charts.update(run);
  updateLive();
  return run;
}

function isRunning() {
  return state.run && state.run.info.status === "RUNNING";
}

function updateLive() {
  const live = isRunning() && state.run.info.lifecycle_stage !== "deleted";
  document.getElementById("live-indicator").hidden = !live;
  if (live && state.pollTimer === null) {
    state.pollTimer = setInterval(poll, POLL_INTERVAL_MS);
  } else if (!live && state.pollTimer !== null) {
    clearInterval(state.pollTimer);
    state.pollTimer = null;
  }
}

let polling = false;
async function poll() {
  if (polling || document.hidden) return;
  polling = true;
  try {
    await refresh();
  } catch (error) {
    showMessage(`Could not refresh the run: ${error.message}`, { isError: true });
  } finally {
    polling = false;
  }
}

// -- tabs ------------------------------------------------------------------------------------

/** Create the charts; with `metricKeys` (the page shell's) start fetching at once. */
async function loadCharts(metricKeys = null) {
  const charts = createCharts({
    runId,
    experimentId: main.dataset.experimentId,
    vendorReady: main.dataset.vendorReady === "true",
  });
  if (metricKeys) charts.prefetch(metricKeys);
  return charts;
}

function shellMetricKeys() {
  try {
    const keys = JSON.parse(main.dataset.metricKeys || "[]");
    return Array.isArray(keys) ? keys : [];
  } catch {
    return [];
  }
}

async function openPanel(name) {
  if (name === "charts" && !state.charts) {
    state.chartsLoading ??= loadCharts();
    const charts = await state.chartsLoading;
    if (!state.charts) {
      state.charts = charts;
      await charts.update(state.run);
    }
  }
  if (name === "artifacts" && !state.artifacts) {
    const { createArtifactBrowser } = await import("./artifacts.js");
    state.artifacts = createArtifactBrowser(state.run);
    await state.artifacts.open();
  }
}

function showTab(name, { focus = false } = {}) {
  for (const tab of TABS) {
    const button = document.getElementById(`tab-${tab}`);
    const selected = tab === name;
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    document.getElementById(`panel-${tab}`).hidden = !selected;
    if (selected && focus) button.focus();
  }
}

function selectTab(name, { focus = false, updateHash = true } = {}) {
  showTab(name, { focus });
  if (updateHash) history.replaceState(null, "", name === "overview" ? location.pathname + location.search : `#${name}`);
  openPanel(name).catch((error) => showMessage(error.message, { isError: true }));
}

function wireTabs() {
  for (const tab of TABS) {
    const button = document.getElementById(`tab-${tab}`);
    button.addEventListener("click", () => selectTab(tab));
    button.addEventListener("keydown", (event) => {
      const index = TABS.indexOf(tab);
      const moves = { ArrowRight: 1, ArrowLeft: -1 };
      if (event.key in moves) {
        event.preventDefault();
        selectTab(TABS[(index + moves[event.key] + TABS.length) % TABS.length], { focus: true });
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        selectTab(event.key === "Home" ? TABS[0] : TABS[TABS.length - 1], { focus: true });
      }
    });
  }
}

/** Open the charts tab with `key` chosen (the metrics table's chart buttons). */
async function showMetricChart(key) {
  selectTab("charts");
  await openPanel("charts");
  state.charts.choose(key);
}

async function start() {
  main.setAttribute("aria-busy", "true");
  wireTabs();
  const context = { runId, refresh, showMetricChart, getRun: () => state.run };
  wireOverview(context);
  wireTables(context);
  const hashTab = location.hash.slice(1).split("&")[0];
  const initial = TABS.includes(hashTab) ? hashTab : "overview";
  if (initial === "charts") {
    // Shown first so the charts know their width; their points load alongside runs/get.
    showTab("charts");
    state.chartsLoading = loadCharts(shellMetricKeys());
    state.chartsLoading.catch(() => {}); // reported by openPanel once the run is read
  }
  try {
    await refresh();
    selectTab(initial, { updateHash: false });
  } catch (error) {
    replaceChildren(document.getElementById("run-facts"));
    showMessage(`Could not load the run: ${error.message}`, { isError: true });
  } finally {
    main.removeAttribute("aria-busy");
  }
}

start();
