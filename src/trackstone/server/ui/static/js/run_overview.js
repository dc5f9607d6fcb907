// The run page's header and details: name (rename), status, times, source, git, lineage, description.
import { AJAX, apiGet, apiPost } from "./api.js";
import { el, formatDuration, formatTime, replaceChildren, showMessage } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

export const NOTE_TAG = "mlflow.note.content";
const PARENT_TAG = "mlflow.parentRunId";
const MAX_CHILDREN = 100;
const $ = (id) => document.getElementById(id);
let context = null;
let parentNames = new Map(); // parent run id -> its name (or null when unknown)
let children = []; // the child runs found last time

export function tagsOf(run) {
  return new Map((run.data.tags || []).map((tag) => [tag.key, tag.value]));
}

function fact(term, ...value) {
  const shown = value.filter((item) => item !== "" && item !== null && item !== undefined);
  return [el("dt", {}, term), el("dd", {}, shown.length ? shown : el("span", { className: "muted" }, "—"))];
}

function runLink(runId, name) {
  return el("a", { href: `/runs/${encodeURIComponent(runId)}` }, name || runId);
}

function sourceFacts(tags) {
  const name = tags.get("mlflow.source.name");
  const type = tags.get("mlflow.source.type");
  const entry = tags.get("mlflow.project.entryPoint");
  return fact(
    "Source",
    name ? el("span", { className: "mono wrap" }, name) : "",
    type ? el("span", { className: "pill" }, type) : "",
    entry ? el("span", { className: "muted" }, ` entry point ${entry}`) : "",
  );
}

function gitFacts(tags) {
  const commit = tags.get("mlflow.source.git.commit");
  if (!commit) return [];
  const dirty = tags.get("trackstone.source.git.dirty") === "true";
  const branch = tags.get("mlflow.source.git.branch");
  return fact(
    "Git commit",
    el("code", { title: commit, id: "git-commit" }, commit.slice(0, 12)),
    dirty ? el("span", { className: "pill pill-warn", id: "git-dirty", title: "The working tree had uncommitted changes" }, "dirty") : "",
    branch ? el("span", { className: "muted" }, ` on ${branch}`) : "",
  );
}

function lineageFacts(tags) {
  const parentId = tags.get(PARENT_TAG);
  const rows = [];
  if (parentId) {
    const name = parentNames.get(parentId);
    rows.push(...fact("Parent run", el("span", { id: "parent-run" }, runLink(parentId, name))));
  }
  rows.push(el("dt", { id: "children-term" }, "Child runs"), el("dd", { id: "children-runs" }));
  return rows;
}

/** Fill the header and the details card from `run`. */
export function renderOverview(run) {
  const { info } = run;
  const tags = tagsOf(run);
  const name = info.run_name || info.run_id;
  if ($("rename-form").hidden) $("run-name").textContent = name;
  document.title = `${name} · Trackstone`;
  const status = $("run-status");
  status.textContent = info.status;
  status.className = `status status-${info.status.toLowerCase()}`;
  const end = info.end_time ? Number(info.end_time) : null;
  const start = info.start_time ? Number(info.start_time) : null;
  const duration = start === null ? "" : formatDuration((end ?? Date.now()) - start);
  replaceChildren(
    $("run-facts"),
    fact("Run ID", el("code", { id: "run-id" }, info.run_id)),
    fact("Experiment", el("a", { href: `/experiments/${encodeURIComponent(info.experiment_id)}` }, $("experiment-link").textContent)),
    fact("Status", el("span", { className: `status status-${info.status.toLowerCase()}` }, info.status), info.lifecycle_stage === "deleted" ? el("span", { className: "badge badge-deleted" }, "deleted") : ""),
    fact("Started", el("span", { id: "run-start" }, formatTime(start))),
    fact("Ended", el("span", { id: "run-end" }, formatTime(end))),
    fact("Duration", el("span", { id: "run-duration" }, duration, info.status === "RUNNING" && duration ? " (running)" : "")),
    fact("User", el("span", { id: "run-user" }, info.user_id || tags.get("mlflow.user") || "")),
    sourceFacts(tags),
    gitFacts(tags),
    lineageFacts(tags),
    fact("Artifact URI", el("span", { className: "mono wrap muted" }, info.artifact_uri || "")),
  );
  showChildren(children);
  renderDescription(tags.get(NOTE_TAG) || "");
  loadLineage(run, tags);
}

async function loadLineage(run, tags) {
  const parentId = tags.get(PARENT_TAG);
  if (parentId && !parentNames.has(parentId)) {
    parentNames.set(parentId, null);
    try {
      const parent = (await apiGet(`${AJAX}/runs/get`, { run_id: parentId })).run;
      parentNames.set(parentId, parent.info.run_name || parentId);
      const holder = $("parent-run");
      if (holder) replaceChildren(holder, runLink(parentId, parentNames.get(parentId)));
    } catch {
      // A parent that is gone still shows as its id.
    }
  }
  children = await searchChildren(run);
  showChildren(children);
}

async function searchChildren(run) {
  try {
    const body = await apiPost(`${AJAX}/runs/search`, {
      experiment_ids: [run.info.experiment_id],
      filter: `tags.\`${PARENT_TAG}\` = '${run.info.run_id}'`,
      max_results: MAX_CHILDREN,
      order_by: ["attributes.start_time ASC"],
    });
    return body.runs || [];
  } catch {
    return children;
  }
}

function showChildren(runs) {
  const term = $("children-term");
  const holder = $("children-runs");
  if (!term || !holder) return;
  term.hidden = holder.hidden = runs.length === 0;
  const list = el("ul", { className: "inline-list", id: "children-list" });
  for (const child of runs) {
    list.append(el("li", {}, runLink(child.info.run_id, child.info.run_name), " ",
      el("span", { className: `status status-${child.info.status.toLowerCase()}` }, child.info.status)));
  }
  replaceChildren(holder, list, runs.length === MAX_CHILDREN ? el("span", { className: "muted" }, `first ${MAX_CHILDREN}`) : "");
}

// -- description -----------------------------------------------------------------------------

function renderDescription(text) {
  const view = $("description-view");
  view.dataset.source = text;
  if (text.trim()) replaceChildren(view, renderMarkdown(text));
  else replaceChildren(view, el("p", { className: "muted" }, "No description."));
}

function editDescription(open) {
  $("description-form").hidden = !open;
  $("description-view").hidden = open;
  $("description-edit").hidden = open;
  if (open) {
    const input = $("description-input");
    input.value = $("description-view").dataset.source || "";
    input.focus();
  }
}

async function saveDescription(event) {
  event.preventDefault();
  const value = $("description-input").value;
  try {
    if (value.trim()) await apiPost(`${AJAX}/runs/set-tag`, { run_id: context.runId, key: NOTE_TAG, value });
    else if ($("description-view").dataset.source) {
      await apiPost(`${AJAX}/runs/delete-tag`, { run_id: context.runId, key: NOTE_TAG });
    }
    editDescription(false);
    await context.refresh({ afterEdit: true });
    showMessage("Description saved.");
  } catch (error) {
    showMessage(`Could not save the description: ${error.message}`, { isError: true });
  }
}

// -- rename ----------------------------------------------------------------------------------

function editName(open) {
  $("rename-form").hidden = !open;
  $("run-name").hidden = open;
  $("rename-button").hidden = open;
  if (open) {
    const input = $("rename-input");
    input.value = $("run-name").textContent;
    input.focus();
    input.select();
  } else {
    $("rename-button").focus();
  }
}

async function saveName(event) {
  event.preventDefault();
  const name = $("rename-input").value.trim();
  if (!name) return;
  try {
    await apiPost(`${AJAX}/runs/update`, { run_id: context.runId, run_name: name });
    $("run-name").textContent = name;
    editName(false);
    await context.refresh({ afterEdit: true });
    showMessage(`Renamed the run to “${name}”.`);
  } catch (error) {
    showMessage(`Could not rename the run: ${error.message}`, { isError: true });
  }
}

/** Attach the rename and description controls. */
export function wireOverview(pageContext) {
  context = pageContext;
  $("rename-button").addEventListener("click", () => editName(true));
  $("rename-cancel").addEventListener("click", () => editName(false));
  $("rename-form").addEventListener("submit", saveName);
  $("rename-form").addEventListener("keydown", (event) => {
    if (event.key === "Escape") editName(false);
  });
  $("description-edit").addEventListener("click", () => editDescription(true));
  $("description-cancel").addEventListener("click", () => editDescription(false));
  $("description-form").addEventListener("submit", saveDescription);
  $("description-form").addEventListener("keydown", (event) => {
    if (event.key === "Escape") editDescription(false);
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) saveDescription(event);
  });
}
