// The compare page: loads the chosen runs, lists them with their colours, and builds the diff
// table, metric overlay, scatter and parallel coordinates from them.
import { buildColumns, loadRuns, parseRunIds } from "./compare_model.js";
import { createOverlay } from "./compare_overlay.js";
import { createDiffTable } from "./compare_table.js";
import { el, formatDuration, replaceChildren, showMessage } from "./dom.js";
import { createParallel } from "./parallel.js";
import { createScatter } from "./scatter.js";

const main = document.getElementById("main");
const UPLOT_URL = "/static/vendor/uplot/uPlot.esm.js";
const FOLDED_CARDS = 10;

function duration(run) {
  const { start_time: start, end_time: end } = run.info;
  return start && end ? formatDuration(Number(end) - Number(start)) : "";
}

function runCard(item) {
  const swatch = el("span", { className: "swatch swatch-large", "aria-hidden": "true" });
  swatch.style.background = item.color;
  swatch.style.borderColor = item.color;
  const status = item.run.info.status || "";
  const deleted = item.run.info.lifecycle_stage === "deleted";
  return el(
    "li",
    { className: "run-card", "data-run-id": item.id },
    swatch,
    el(
      "div",
      { className: "run-card-body" },
      el(
        "div",
        { className: "run-card-title" },
        el("strong", { className: "run-card-name", title: item.name }, item.name),
        el("span", { className: `status status-${status.toLowerCase()}` }, status),
        deleted ? el("span", { className: "badge badge-deleted" }, "deleted") : null,
      ),
      el(
        "div",
        { className: "run-card-meta muted" },
        el("span", { className: "run-card-experiment", title: `Experiment ${item.experimentName}` }, item.experimentName),
        duration(item.run) ? el("span", {}, duration(item.run)) : null,
        el("a", { className: "run-id", href: `/runs/${encodeURIComponent(item.id)}`, title: `Open run ${item.name}` }, item.id),
      ),
    ),
  );
}

/** List the runs as cards; past a couple of rows the list folds behind a "Show all" button. */
function showCards(runs) {
  const list = document.getElementById("compared-runs");
  replaceChildren(list, runs.map(runCard));
  if (runs.length <= FOLDED_CARDS) return;
  const toggle = el("button", { type: "button", className: "small cards-toggle", "aria-controls": "compared-runs" });
  let folded = true;
  const update = () => {
    [...list.children].forEach((card, index) => {
      card.hidden = folded && index >= FOLDED_CARDS;
    });
    toggle.setAttribute("aria-expanded", String(!folded));
    toggle.textContent = folded ? `Show all ${runs.length} runs` : "Show fewer";
  };
  toggle.addEventListener("click", () => {
    folded = !folded;
    update();
  });
  update();
  list.after(toggle);
}

async function importChartLibrary() {
  if (main.dataset.vendorReady !== "true") return null;
  try {
    return (await import(UPLOT_URL)).default;
  } catch {
    return null;
  }
}

function explainProblems(missing, found) {
  const parts = [];
  if (missing.length) parts.push(`No run with id ${missing.map((id) => `"${id}"`).join(", ")}.`);
  if (found < 2) {
    parts.push(
      found === 1
        ? "Comparing needs at least two runs; only one was found."
        : "Comparing needs at least two runs; none was found.",
    );
    parts.push("Pick runs in an experiment's table and press Compare.");
  }
  return parts.join(" ");
}

async function start() {
  const runIds = parseRunIds(main.dataset.runIds);
  const { runs, missing } = await loadRuns(runIds);
  const problems = explainProblems(missing, runs.length);
  if (problems) showMessage(problems, { isError: runs.length < 2 });
  document.getElementById("compare-count").textContent = `${runs.length} run${runs.length === 1 ? "" : "s"}`;
  showCards(runs);
  if (runs.length < 2) return;
  const experiments = new Set(runs.map((item) => item.experimentId));
  document.getElementById("compare-count").textContent +=
    experiments.size > 1 ? ` from ${experiments.size} experiments` : "";
  document.getElementById("compare-views").hidden = false;
  const columns = buildColumns(runs);
  createDiffTable(runs, columns);
  createScatter(runs, columns);
  createParallel(runs, columns);
  await createOverlay(runs, columns.metrics.map((column) => column.key), await importChartLibrary());
}

start()
  .catch((error) => showMessage(`Could not load the runs: ${error.message}`, { isError: true }))
  .finally(() => main.removeAttribute("aria-busy"));
