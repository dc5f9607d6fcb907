// A registered model's page: description, versions, aliases, stage changes, tags, rename and
// delete. Every change goes through the registry's REST API, then the page reloads its data.
import { AJAX, apiGet } from "./api.js";
import { el, formatAge, formatTime, replaceChildren, showMessage } from "./dom.js";
import { quoteString } from "./filters.js";
import {
  VERSIONS,
  deleteAlias,
  deleteModel,
  deleteModelTag,
  describeModel,
  getModel,
  modelUrl,
  renameModel,
  runUrl,
  setAlias,
  setModelTag,
  transitionStage,
  versionUrl,
} from "./models_api.js";
import {
  aliasChip,
  confirmDialog,
  descriptionEditor,
  fillStageSelect,
  linkArchiveCheckbox,
  stageBadge,
  tagEditor,
  transitionSummary,
} from "./model_widgets.js";

const PAGE_SIZE = 100;
const MAX_RUN_NAMES = 50;
const main = document.getElementById("main");
const name = main.dataset.modelName;
const $ = (id) => document.getElementById(id);

let model = null;
let versions = [];
let nextToken = null;
const runNames = new Map();

const description = descriptionEditor({
  label: "model description",
  onSave: async (text) => {
    model = (await describeModel(name, text)).registered_model;
    showDetails();
  },
});
$("description").append(description.node);

const tags = tagEditor({
  label: "Tags of the model",
  onSet: async (key, value) => {
    await setModelTag(name, key, value);
    await refreshModel();
  },
  onDelete: async (key) => {
    await deleteModelTag(name, key);
    await refreshModel();
  },
});
$("tags").append(tags.node);

// -- loading ---------------------------------------------------------------------------

async function refreshModel() {
  model = await getModel(name);
  description.show(model.description);
  tags.show(model.tags);
  showAliases();
  showDetails();
}

async function loadVersions({ append = false } = {}) {
  const answer = await apiGet(`${VERSIONS}/search`, {
    filter: `name = ${quoteString(name)}`,
    order_by: "version_number DESC",
    max_results: PAGE_SIZE,
    page_token: append ? nextToken : undefined,
  });
  const page = answer.model_versions || [];
  versions = append ? versions.concat(page) : page;
  nextToken = answer.next_page_token || null;
  showVersions();
  fillVersionSelects();
  fillRunNames();
}

async function refresh() {
  await Promise.all([refreshModel(), loadVersions()]);
}

// -- versions table --------------------------------------------------------------------

function showVersions() {
  replaceChildren($("versions-body"), versions.map(versionRow));
  $("versions-empty").hidden = versions.length > 0;
  $("versions-table").hidden = versions.length === 0;
  $("versions-more").hidden = !nextToken;
  const total = versions.length;
  $("version-count").textContent = total ? `${total}${nextToken ? "+" : ""} version${total === 1 ? "" : "s"}` : "";
}

function versionRow(version) {
  const runCell = el("td", { className: "run-cell" });
  if (version.run_id) {
    runCell.append(el("a", { href: runUrl(version.run_id), className: "run-link", "data-run-id": version.run_id, title: version.run_id }, runNames.get(version.run_id) || shortId(version.run_id)));
  } else {
    runCell.append(el("span", { className: "muted" }, "—"));
  }
  const status = version.status || "READY";
  return el(
    "tr",
    { "data-version": version.version },
    el("th", { scope: "row", className: "version-cell" }, el("a", { href: versionUrl(name, version.version), className: "version-link" }, `Version ${version.version}`)),
    el("td", { className: "stage-cell" }, stageBadge(version.current_stage)),
    el("td", { className: "aliases-cell" }, (version.aliases || []).length ? [...version.aliases].sort().map((alias) => aliasChip(alias)) : el("span", { className: "muted" }, "—")),
    el("td", { title: formatTime(version.creation_timestamp) }, formatAge(Number(version.creation_timestamp))),
    runCell,
    el("td", {}, el("span", { className: `status status-${status === "READY" ? "finished" : status === "FAILED_REGISTRATION" ? "failed" : "running"}` }, status)),
  );
}

const shortId = (runId) => `${runId.slice(0, 8)}…`;

/** Replace short run ids with run names, a few runs at a time (a model's versions usually
 * come from a handful of runs). */
async function fillRunNames() {
  const missing = [...new Set(versions.map((version) => version.run_id).filter((id) => id && !runNames.has(id)))];
  await Promise.all(
    missing.slice(0, MAX_RUN_NAMES).map(async (runId) => {
      try {
        const answer = await apiGet(`${AJAX}/runs/get`, { run_id: runId });
        runNames.set(runId, answer.run?.info?.run_name || shortId(runId));
      } catch {
        runNames.set(runId, `${shortId(runId)} (unavailable)`);
      }
    }),
  );
  for (const link of document.querySelectorAll("#versions-body .run-link")) {
    const known = runNames.get(link.dataset.runId);
    if (known) link.textContent = known;
  }
}

// -- aliases ---------------------------------------------------------------------------

function showAliases() {
  const aliases = [...(model.aliases || [])].sort((a, b) => a.alias.localeCompare(b.alias));
  const list = $("alias-list");
  replaceChildren(
    list,
    aliases.length
      ? aliases.map((item) =>
          el(
            "li",
            { "data-alias": item.alias },
            aliasChip(item.alias),
            el("span", { className: "arrow-to", "aria-hidden": "true" }, "→"),
            el("a", { href: versionUrl(name, item.version) }, `Version ${item.version}`),
            el("button", { type: "button", className: "small danger", "aria-label": `Remove alias ${item.alias}`, onClick: () => removeAlias(item.alias) }, "Remove"),
          ),
        )
      : el("li", { className: "muted" }, "No aliases."),
  );
  replaceChildren($("alias-names"), aliases.map((item) => el("option", { value: item.alias })));
}

async function removeAlias(alias) {
  try {
    await deleteAlias(name, alias);
    showError("alias-error", "");
    await refresh();
    showMessage(`Removed alias “${alias}”.`);
  } catch (error) {
    showError("alias-error", error.message);
  }
}

$("alias-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const alias = $("alias-name").value.trim();
  const version = $("alias-version").value;
  if (!alias || !version) return;
  const before = (model.aliases || []).find((item) => item.alias === alias);
  try {
    await setAlias(name, alias, version);
    showError("alias-error", "");
    $("alias-name").value = "";
    await refresh();
    showMessage(
      before && before.version !== version
        ? `Moved alias “${alias}” from version ${before.version} to version ${version}.`
        : `Alias “${alias}” points at version ${version}.`,
    );
  } catch (error) {
    showError("alias-error", error.message);
  }
});

// -- stages ----------------------------------------------------------------------------

fillStageSelect($("stage-target"), "Production");
linkArchiveCheckbox($("stage-target"), $("stage-archive"), $("stage-archive-label"));

$("stage-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const version = $("stage-version").value;
  const stage = $("stage-target").value;
  if (!version) return;
  const before = versions.map((item) => ({ ...item }));
  try {
    await transitionStage(name, version, stage, $("stage-archive").checked);
    showError("stage-error", "");
    await refresh();
    showMessage(transitionSummary(version, stage, before, versions));
  } catch (error) {
    showError("stage-error", error.message);
  }
});

function fillVersionSelects() {
  for (const id of ["alias-version", "stage-version"]) {
    const select = $(id);
    const chosen = select.value;
    replaceChildren(
      select,
      versions.map((version) =>
        el("option", { value: version.version, selected: version.version === chosen }, `${version.version} · ${version.current_stage || "None"}`),
      ),
    );
    select.disabled = versions.length === 0;
  }
}

// -- details, rename, delete -----------------------------------------------------------

function showDetails() {
  const fact = (term, value, title) => [el("dt", {}, term), el("dd", { title }, value)];
  replaceChildren(
    $("details"),
    fact("Created", formatTime(model.creation_timestamp)),
    fact("Last updated", formatAge(Number(model.last_updated_timestamp)), formatTime(model.last_updated_timestamp)),
    model.user_id ? fact("Created by", model.user_id) : null,
  );
}

function showError(id, text) {
  const box = $(id);
  box.hidden = !text;
  box.textContent = text || "";
}

function setRenaming(on) {
  $("title-box").hidden = on;
  $("rename-form").hidden = !on;
  $("rename-button").hidden = on;
  if (on) {
    $("rename-input").value = name;
    $("rename-input").focus();
    $("rename-input").select();
  } else {
    $("rename-button").focus();
  }
}

$("rename-button").addEventListener("click", () => setRenaming(true));
$("rename-cancel").addEventListener("click", () => setRenaming(false));
$("rename-input").addEventListener("keydown", (event) => {
  if (event.key === "Escape") setRenaming(false);
});
$("rename-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const newName = $("rename-input").value.trim();
  if (!newName || newName === name) return setRenaming(false);
  try {
    await renameModel(name, newName);
    location.replace(modelUrl(newName));
  } catch (error) {
    $("rename-input").setAttribute("aria-invalid", "true");
    showMessage(error.message, { isError: true });
  }
});

$("delete-button").addEventListener("click", async () => {
  const count = versions.length;
  const confirmed = await confirmDialog({
    title: `Delete model “${name}”?`,
    text: `This deletes the model${count ? ` and its ${count}${nextToken ? "+" : ""} version${count === 1 ? "" : "s"}` : ""}, with their aliases and tags. It cannot be undone; the runs and their files stay.`,
    confirmLabel: "Delete model",
    requireText: name,
  });
  if (!confirmed) return;
  try {
    await deleteModel(name);
    location.assign(`/models?deleted=${encodeURIComponent(name)}`);
  } catch (error) {
    showMessage(error.message, { isError: true });
  }
});

$("versions-more").addEventListener("click", () => loadVersions({ append: true }).catch((error) => showMessage(error.message, { isError: true })));

refresh().catch((error) => showMessage(error.message, { isError: true }));
