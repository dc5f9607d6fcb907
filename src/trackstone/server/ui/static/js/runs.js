// The runs table of an experiment (or several): server-side sort and filter, page tokens,
// nested runs, column picker, selection for comparison and CSV download.
import { AJAX, apiPost } from "./api.js";
import { FIXED_COLUMNS, KINDS, dynamicColumn, loadChosen, runName, saveChosen, tagOf } from "./columns.js";
import { toCsv, downloadText } from "./csv.js";
import { el, replaceChildren } from "./dom.js";

const PAGE_SIZE = 100;
const DEFAULT_METRIC_COLUMNS = 4;
const PARENT_TAG = "mlflow.parentRunId";

const main = document.getElementById("main");
const experimentIds = main.dataset.experimentIds.split(",");
const experimentNames = JSON.parse(main.dataset.experimentNames); // id -> name
const several = experimentIds.length > 1;
// The chosen columns are remembered per set of experiments, whatever order the URL lists them in.
const columnsKey = [...experimentIds].sort().join(",");
const $ = (id) => document.getElementById(id);
const head = $("runs-head");
const body = $("runs-body");
const filterForm = $("filter-form");
const filterInput = $("run-filter");
const filterError = $("filter-error");
const showDeleted = $("show-deleted");
const groupChildren = $("group-children");
const loadMoreButton = $("load-more");
const count = $("count");
const empty = $("empty");
const compareLink = $("compare-link");
const selectionCount = $("selection-count");
const columnsButton = $("columns-button");
const columnsPanel = $("columns-panel");
const columnSearch = $("column-search");
const columnOptions = $("column-options");

const params = new URLSearchParams(location.search);
const state = {
  filter: params.get("filter") || "",
  order: parseOrder(params.get("order")), // {column, ascending} or null
  showDeleted: params.get("deleted") === "1",
  runs: [],
  nextToken: null,
  loading: false,
  generation: 0,
  selected: new Set(),
  collapsed: new Set(),
  chosen: loadChosen(columnsKey), // null until the user picks columns
  keys: { metrics: new Set(), params: new Set(), tags: new Set() },
};

function parseOrder(text) {
  if (!text) return null;
  const match = /^(.+?) (ASC|DESC)$/.exec(text);
  return match ? { column: match[1], ascending: match[2] === "ASC" } : null;
}

// -- columns -------------------------------------------------------------------------------

function chosenIds() {
  if (state.chosen !== null) return state.chosen;
  return [...state.keys.metrics].sort().slice(0, DEFAULT_METRIC_COLUMNS).map((key) => `metrics.${key}`);
}

// Shown only when the table holds runs of several experiments; the search language cannot order by it.
const EXPERIMENT_COLUMN = {
  id: "experiment",
  label: "Experiment",
  order: null,
  raw: (run) => experimentNames[run.info.experiment_id] ?? run.info.experiment_id,
};

function columns() {
  const fixed = several ? [FIXED_COLUMNS[0], EXPERIMENT_COLUMN, ...FIXED_COLUMNS.slice(1)] : FIXED_COLUMNS;
  return [...fixed, ...chosenIds().map(dynamicColumn)];
}

function renderHead() {
  const all = columns();
  const selectAll = el("input", { type: "checkbox", id: "select-all", "aria-label": "Select all loaded runs" });
  const visible = visibleRuns();
  selectAll.checked = visible.length > 0 && visible.every((item) => state.selected.has(item.run.info.run_id));
  selectAll.addEventListener("change", () => {
    for (const item of visibleRuns()) {
      if (selectAll.checked) state.selected.add(item.run.info.run_id);
      else state.selected.delete(item.run.info.run_id);
    }
    renderBody();
    updateSelection();
  });
  const cells = [el("th", { scope: "col", className: "select-col" }, selectAll)];
  for (const column of all) {
    const active = state.order && state.order.column === column.order;
    const sort = active ? (state.order.ascending ? "ascending" : "descending") : "none";
    const label = [
      column.short ? el("span", { className: `kind kind-${column.kind}` }, column.short) : null,
      el("span", { className: "label" }, column.label),
    ];
    let content;
    if (column.order) {
      content = el(
        "button",
        {
          type: "button",
          className: "sort",
          "data-column": column.id,
          title: `Sort by ${column.label}`,
          onClick: () => cycleSort(column),
        },
        label,
        el("span", { className: "arrow", "aria-hidden": "true" }, active ? (state.order.ascending ? "▲" : "▼") : ""),
      );
    } else {
      content = el("span", { className: "unsortable", title: `${column.label} cannot be sorted by the server` }, label);
    }
    cells.push(
      el(
        "th",
        { scope: "col", "aria-sort": sort, "data-column": column.id, className: column.numeric ? "num" : "" },
        content,
      ),
    );
  }
  replaceChildren(head, cells);
}

function cycleSort(column) {
  const current = state.order && state.order.column === column.order ? state.order : null;
  if (!current) state.order = { column: column.order, ascending: true };
  else if (current.ascending) state.order = { column: column.order, ascending: false };
  else state.order = null;
  reload();
}

function renderColumnOptions() {
  const query = columnSearch.value.trim().toLowerCase();
  const chosen = new Set(chosenIds());
  const groups = [];
  for (const { kind, label } of KINDS) {
    const keys = [...state.keys[kind]].filter((key) => key.toLowerCase().includes(query)).sort();
    if (!keys.length) continue;
    const items = keys.map((key) => {
      const id = `${kind}.${key}`;
      const box = el("input", { type: "checkbox", "data-column": id });
      box.checked = chosen.has(id);
      box.addEventListener("change", () => toggleColumn(id, box.checked));
      return el("label", { className: "check" }, box, " ", key);
    });
    groups.push(el("fieldset", {}, el("legend", {}, label), items));
  }
  replaceChildren(columnOptions, groups.length ? groups : el("p", { className: "muted" }, "No keys in the loaded runs."));
}

function toggleColumn(id, on) {
  const ids = chosenIds().filter((item) => item !== id);
  if (on) ids.push(id);
  state.chosen = ids;
  saveChosen(columnsKey, ids);
  render();
}

function setPanel(open) {
  columnsPanel.hidden = !open;
  columnsButton.setAttribute("aria-expanded", String(open));
  if (open) {
    renderColumnOptions();
    columnSearch.focus();
  }
}

// -- rows ----------------------------------------------------------------------------------

/** The loaded runs in display order, children under their parent when grouping is on. */
function visibleRuns() {
  const ids = new Set(state.runs.map((run) => run.info.run_id));
  const children = new Map();
  const roots = [];
  for (const run of state.runs) {
    const parent = groupChildren.checked ? tagOf(run, PARENT_TAG) : undefined;
    if (parent && parent !== run.info.run_id && ids.has(parent)) {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(run);
    } else {
      roots.push(run);
    }
  }
  const result = [];
  const seen = new Set();
  const visit = (run, depth) => {
    const id = run.info.run_id;
    if (seen.has(id)) return;
    seen.add(id);
    const kids = children.get(id) || [];
    result.push({ run, depth, childCount: kids.length });
    if (!state.collapsed.has(id)) for (const kid of kids) visit(kid, depth + 1);
  };
  for (const run of roots) visit(run, 0);
  return result;
}

function nameCell(item) {
  const { run, depth, childCount } = item;
  const id = run.info.run_id;
  const name = runName(run);
  const parts = [];
  if (childCount) {
    const open = !state.collapsed.has(id);
    parts.push(
      el(
        "button",
        {
          type: "button",
          className: "toggle",
          "aria-expanded": String(open),
          "aria-label": `${open ? "Collapse" : "Expand"} ${childCount} child run(s) of ${name}`,
          onClick: () => {
            if (open) state.collapsed.add(id);
            else state.collapsed.delete(id);
            render();
          },
        },
        open ? "▾" : "▸",
      ),
    );
  } else if (depth === 0 && groupChildren.checked && tagOf(run, PARENT_TAG)) {
    parts.push(el("span", { className: "orphan", title: `Child of run ${tagOf(run, PARENT_TAG)} (not on the loaded pages)` }, "↳"));
  } else {
    parts.push(el("span", { className: "toggle-space", "aria-hidden": "true" }));
  }
  parts.push(el("a", { href: `/runs/${encodeURIComponent(id)}`, className: "run-link" }, name));
  if (childCount) parts.push(el("span", { className: "child-count muted" }, ` (${childCount})`));
  if (run.info.lifecycle_stage === "deleted") parts.push(el("span", { className: "badge badge-deleted" }, "deleted"));
  return el("td", { className: `name-cell depth-${Math.min(depth, 6)}` }, parts);
}

function runRow(item, all) {
  const { run } = item;
  const id = run.info.run_id;
  const box = el("input", { type: "checkbox", "aria-label": `Select ${runName(run)}` });
  box.checked = state.selected.has(id);
  box.addEventListener("change", () => {
    if (box.checked) state.selected.add(id);
    else state.selected.delete(id);
    updateSelection();
  });
  const cells = [el("td", { className: "select-col" }, box)];
  for (const column of all) {
    if (column.id === "name") {
      cells.push(nameCell(item));
    } else if (column.id === "experiment") {
      const href = `/experiments/${encodeURIComponent(run.info.experiment_id)}`;
      cells.push(el("td", { className: "experiment-cell" }, el("a", { href }, column.raw(run))));
    } else if (column.id === "status") {
      const status = run.info.status || "";
      cells.push(el("td", {}, el("span", { className: `status status-${status.toLowerCase()}` }, status)));
    } else {
      const text = (column.text || column.raw)(run);
      const title = column.id === "source" ? column.raw(run) : text.length > 40 ? text : undefined;
      cells.push(el("td", { className: column.numeric ? "num" : "", title }, text));
    }
  }
  return el(
    "tr",
    { "data-run-id": id, className: [item.depth ? "child" : "", run.info.lifecycle_stage === "deleted" ? "deleted" : ""].join(" ").trim() },
    cells,
  );
}

function renderBody() {
  const all = columns();
  const rows = visibleRuns().map((item) => runRow(item, all));
  body.replaceChildren(...rows);
  empty.hidden = state.runs.length > 0;
  empty.textContent = filterError.hidden ? "No runs match." : "Correct the filter to see runs.";
  const n = state.runs.length;
  count.textContent = `${n}${state.nextToken ? "+" : ""} run${n === 1 ? "" : "s"} loaded`;
  loadMoreButton.hidden = !state.nextToken;
}

function render() {
  renderHead();
  renderBody();
  if (!columnsPanel.hidden) renderColumnOptions();
  updateSelection();
}

function updateSelection() {
  const ids = [...state.selected];
  selectionCount.textContent = ids.length ? `${ids.length} selected` : "";
  const enabled = ids.length >= 2;
  compareLink.setAttribute("aria-disabled", String(!enabled));
  compareLink.href = enabled ? `/compare?runs=${ids.map(encodeURIComponent).join(",")}` : "/compare";
}

// -- loading -------------------------------------------------------------------------------

function searchRequest() {
  const request = {
    experiment_ids: experimentIds,
    max_results: PAGE_SIZE,
    run_view_type: state.showDeleted ? "ALL" : "ACTIVE_ONLY",
  };
  if (state.filter) request.filter = state.filter;
  if (state.order) request.order_by = [`${state.order.column} ${state.order.ascending ? "ASC" : "DESC"}`];
  if (state.nextToken) request.page_token = state.nextToken;
  return request;
}

function rememberKeys(runs) {
  for (const run of runs) {
    for (const { kind } of KINDS) for (const entry of run.data?.[kind] || []) state.keys[kind].add(entry.key);
  }
}

function showFilterError(message) {
  filterError.hidden = !message;
  filterError.textContent = message || "";
  if (message) filterInput.setAttribute("aria-invalid", "true");
  else filterInput.removeAttribute("aria-invalid");
}

async function loadPage() {
  if (state.loading && state.nextToken) return;
  const mine = state.generation;
  state.loading = true;
  main.setAttribute("aria-busy", "true");
  try {
    const answer = await apiPost(`${AJAX}/runs/search`, searchRequest());
    if (mine !== state.generation) return;
    const runs = answer.runs || [];
    state.runs.push(...runs);
    state.nextToken = answer.next_page_token || null;
    rememberKeys(runs);
    showFilterError("");
    render();
  } catch (error) {
    if (mine !== state.generation) return;
    showFilterError(error.status === 400 ? `Filter or sort not understood: ${error.message}` : error.message);
    state.nextToken = null;
    renderBody();
  } finally {
    if (mine === state.generation) {
      state.loading = false;
      main.removeAttribute("aria-busy");
    }
  }
}

function reload() {
  state.generation += 1;
  state.runs = [];
  state.nextToken = null;
  state.loading = false;
  const query = new URLSearchParams();
  if (state.filter) query.set("filter", state.filter);
  if (state.order) query.set("order", `${state.order.column} ${state.order.ascending ? "ASC" : "DESC"}`);
  if (state.showDeleted) query.set("deleted", "1");
  history.replaceState(null, "", query.toString() ? `?${query}` : location.pathname);
  renderHead();
  return loadPage();
}

function downloadCsv() {
  const all = columns();
  const header = ["Run ID", ...all.map((column) => (column.kind ? `${column.kind}.${column.key}` : column.label))];
  const rows = visibleRuns().map(({ run }) => [run.info.run_id, ...all.map((column) => column.raw(run))]);
  const baseName = experimentIds.map((id) => experimentNames[id] ?? id).join("+");
  const safeName = baseName.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80) || "runs";
  downloadText(toCsv(header, rows), `${safeName}-runs.csv`);
}

// -- wiring --------------------------------------------------------------------------------

filterInput.value = state.filter;
showDeleted.checked = state.showDeleted;
filterForm.addEventListener("submit", (event) => {
  event.preventDefault();
  state.filter = filterInput.value.trim();
  reload();
});
$("filter-clear").addEventListener("click", () => {
  filterInput.value = "";
  state.filter = "";
  reload();
});
showDeleted.addEventListener("change", () => {
  state.showDeleted = showDeleted.checked;
  reload();
});
groupChildren.addEventListener("change", render);
loadMoreButton.addEventListener("click", () => loadPage());
compareLink.addEventListener("click", (event) => {
  if (compareLink.getAttribute("aria-disabled") === "true") event.preventDefault();
});
$("download-csv").addEventListener("click", downloadCsv);
columnsButton.addEventListener("click", () => setPanel(columnsPanel.hidden));
columnSearch.addEventListener("input", renderColumnOptions);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !columnsPanel.hidden) {
    setPanel(false);
    columnsButton.focus();
  } else if (event.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName || "")) {
    event.preventDefault();
    filterInput.focus();
  }
});
document.addEventListener("click", (event) => {
  const picker = columnsPanel.parentElement;
  if (!columnsPanel.hidden && !event.composedPath().includes(picker)) setPanel(false);
});
new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting) && state.nextToken && !state.loading) loadPage();
}).observe($("sentinel"));

reload();
