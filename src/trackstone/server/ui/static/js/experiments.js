// The experiments list: search by name, run counts, last activity, create, rename, delete/restore,
// and a selection whose runs open together in one table.
import { AJAX, UI_API, apiGet, apiPost } from "./api.js";
import { debounce, el, formatAge, formatTime, replaceChildren, showMessage } from "./dom.js";
import { quoteString } from "./filters.js";

const PAGE_SIZE = 100;
const body = document.getElementById("experiments-body");
const searchBox = document.getElementById("experiment-search");
const showDeleted = document.getElementById("show-deleted");
const loadMore = document.getElementById("load-more");
const count = document.getElementById("count");
const empty = document.getElementById("empty");
const createForm = document.getElementById("create-form");
const nameInput = document.getElementById("new-experiment-name");
const openSelected = document.getElementById("open-selected");
const selectedCount = document.getElementById("selected-count");
// Ids in the order they were checked; a new search keeps them so a selection can span searches.
const selected = new Set();

let nextToken = null;
let loaded = 0;
let generation = 0; // a newer search makes the answers of older ones stale

function searchRequest(pageToken) {
  const text = searchBox.value.trim();
  return {
    max_results: PAGE_SIZE,
    filter: text ? `name ILIKE ${quoteString(`%${text}%`)}` : undefined,
    view_type: showDeleted.checked ? "ALL" : "ACTIVE_ONLY",
    order_by: ["last_update_time DESC"],
    page_token: pageToken || undefined,
  };
}

async function load({ append = false } = {}) {
  const mine = ++generation;
  body.setAttribute("aria-busy", "true");
  try {
    const answer = await apiPost(`${AJAX}/experiments/search`, searchRequest(append ? nextToken : null));
    if (mine !== generation) return;
    const experiments = answer.experiments || [];
    if (!append) {
      body.replaceChildren();
      loaded = 0;
    }
    const rows = experiments.map(experimentRow);
    body.append(...rows);
    loaded += experiments.length;
    nextToken = answer.next_page_token || null;
    loadMore.hidden = !nextToken;
    empty.hidden = loaded > 0;
    count.textContent = `${loaded}${nextToken ? "+" : ""} experiment${loaded === 1 ? "" : "s"}`;
    await fillStats(experiments.map((experiment) => experiment.experiment_id));
  } catch (error) {
    if (mine === generation) showMessage(error.message, { isError: true });
  } finally {
    if (mine === generation) body.removeAttribute("aria-busy");
  }
}

async function fillStats(ids) {
  if (!ids.length) return;
  const answer = await apiGet(`${UI_API}/experiment-stats`, { experiment_ids: ids });
  for (const stats of answer.experiments || []) {
    const row = body.querySelector(`tr[data-experiment-id="${CSS.escape(stats.experiment_id)}"]`);
    if (!row) continue;
    const runs = row.querySelector(".runs-cell");
    runs.textContent = String(stats.active_runs);
    if (stats.deleted_runs) runs.title = `${stats.deleted_runs} deleted run(s) not counted`;
    const activity = row.querySelector(".activity-cell");
    const last = stats.last_run_time_ms ?? row.dataset.updated;
    activity.textContent = last ? formatAge(Number(last)) : "—";
    if (last) activity.title = formatTime(Number(last));
  }
}

function experimentRow(experiment) {
  const deleted = experiment.lifecycle_stage === "deleted";
  const link = el("a", { href: `/experiments/${encodeURIComponent(experiment.experiment_id)}` }, experiment.name);
  const nameCell = el("td", { className: "name-cell" }, link, deleted ? el("span", { className: "badge badge-deleted" }, "deleted") : null);
  const box = el("input", { type: "checkbox", "aria-label": `Select ${experiment.name}` });
  box.checked = selected.has(experiment.experiment_id);
  box.addEventListener("change", () => {
    if (box.checked) selected.add(experiment.experiment_id);
    else selected.delete(experiment.experiment_id);
    updateSelection();
  });
  const row = el(
    "tr",
    {
      "data-experiment-id": experiment.experiment_id,
      "data-updated": experiment.last_update_time,
      className: deleted ? "deleted" : "",
    },
    el("td", { className: "select-col" }, box),
    nameCell,
    el("td", { className: "num muted" }, experiment.experiment_id),
    el("td", { className: "num runs-cell" }, "…"),
    el("td", { className: "activity-cell" }, "…"),
    el("td", { className: "muted", title: formatTime(experiment.creation_time) }, formatTime(experiment.creation_time).slice(0, 10)),
    el("td", { className: "actions" }, el("div", {}, actionButtons(experiment, nameCell))),
  );
  return row;
}

function updateSelection() {
  const n = selected.size;
  selectedCount.textContent = n ? `${n} selected` : "";
  openSelected.disabled = n < 2;
}

function actionButtons(experiment, nameCell) {
  const label = experiment.name;
  if (experiment.lifecycle_stage === "deleted") {
    return el("button", { type: "button", className: "small", "aria-label": `Restore ${label}`, onClick: () => restore(experiment) }, "Restore");
  }
  const buttons = [
    el("button", { type: "button", className: "small", "aria-label": `Rename ${label}`, onClick: () => startRename(experiment, nameCell) }, "Rename"),
  ];
  if (experiment.experiment_id !== "0") {
    buttons.push(el("button", { type: "button", className: "small danger", "aria-label": `Delete ${label}`, onClick: () => remove(experiment) }, "Delete"));
  }
  return buttons;
}

function startRename(experiment, nameCell) {
  const input = el("input", { type: "text", value: experiment.name, "aria-label": `New name for ${experiment.name}`, maxlength: "500", required: true });
  const cancel = () => load();
  const form = el(
    "form",
    { className: "rename-form", onSubmit: (event) => { event.preventDefault(); rename(experiment, input.value.trim()); } },
    input,
    el("button", { type: "submit", className: "small primary" }, "Save"),
    el("button", { type: "button", className: "small", onClick: cancel }, "Cancel"),
  );
  input.addEventListener("keydown", (event) => { if (event.key === "Escape") cancel(); });
  replaceChildren(nameCell, form);
  input.focus();
  input.select();
}

async function rename(experiment, newName) {
  if (!newName || newName === experiment.name) return load();
  try {
    await apiPost(`${AJAX}/experiments/update`, { experiment_id: experiment.experiment_id, new_name: newName });
    showMessage(`Renamed “${experiment.name}” to “${newName}”.`);
    await load();
  } catch (error) {
    showMessage(error.message, { isError: true });
  }
}

async function remove(experiment) {
  try {
    await apiPost(`${AJAX}/experiments/delete`, { experiment_id: experiment.experiment_id });
    const undo = el("button", { type: "button", className: "small", onClick: () => restore(experiment) }, "Undo");
    showMessage(`Deleted “${experiment.name}”.`, { action: undo });
    await load();
  } catch (error) {
    showMessage(error.message, { isError: true });
  }
}

async function restore(experiment) {
  try {
    await apiPost(`${AJAX}/experiments/restore`, { experiment_id: experiment.experiment_id });
    showMessage(`Restored “${experiment.name}”.`);
    await load();
  } catch (error) {
    showMessage(error.message, { isError: true });
  }
}

createForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = nameInput.value.trim();
  if (!name) return;
  try {
    const answer = await apiPost(`${AJAX}/experiments/create`, { name });
    nameInput.value = "";
    const link = el("a", { href: `/experiments/${encodeURIComponent(answer.experiment_id)}` }, "Open it");
    showMessage(`Created “${name}”.`, { action: link });
    await load();
  } catch (error) {
    showMessage(error.message, { isError: true });
  }
});

searchBox.addEventListener("input", debounce(() => load(), 200));
showDeleted.addEventListener("change", () => load());
loadMore.addEventListener("click", () => load({ append: true }));
openSelected.addEventListener("click", () => {
  if (selected.size < 2) return;
  location.href = `/experiments/${[...selected].map(encodeURIComponent).join(",")}`;
});
load();
