// A model version's page: description, lineage (source, storage, run, experiment, params,
// metrics, datasets), stage, aliases, tags, delete, and the production-monitoring section.
import { apiGet } from "./api.js";
import { el, formatNumber, formatTime, replaceChildren, showMessage } from "./dom.js";
import {
  MONITORING,
  deleteAlias,
  deleteVersion,
  deleteVersionTag,
  describeVersion,
  getModel,
  getVersion,
  modelUrl,
  runUrl,
  setAlias,
  setVersionTag,
  transitionStage,
} from "./models_api.js";
import {
  aliasChip,
  confirmDialog,
  descriptionEditor,
  fillStageSelect,
  linkArchiveCheckbox,
  stageBadge,
  tagEditor,
} from "./model_widgets.js";
import { startMonitoring } from "./model_monitoring.js";

const main = document.getElementById("main");
const name = main.dataset.modelName;
const versionNumber = main.dataset.version;
const $ = (id) => document.getElementById(id);

let version = null;

const description = descriptionEditor({
  label: "version description",
  onSave: async (text) => {
    version = (await describeVersion(name, versionNumber, text)).model_version;
  },
});
$("description").append(description.node);

const tags = tagEditor({
  label: "Tags of the version",
  onSet: async (key, value) => {
    await setVersionTag(name, versionNumber, key, value);
    await refreshVersion();
  },
  onDelete: async (key) => {
    await deleteVersionTag(name, versionNumber, key);
    await refreshVersion();
  },
});
$("tags").append(tags.node);

// -- the version itself ----------------------------------------------------------------

function showVersion() {
  description.show(version.description);
  tags.show(version.tags);
  replaceChildren($("head-stage"), stageBadge(version.current_stage));
  replaceChildren($("current-stage"), stageBadge(version.current_stage));
  if (!stageChosen) fillStageSelect($("stage-target"), version.current_stage || "None");
  updateArchive();
  const aliases = [...(version.aliases || [])].sort();
  replaceChildren($("head-aliases"), aliases.map((alias) => aliasChip(alias)));
  replaceChildren(
    $("alias-list"),
    aliases.length
      ? aliases.map((alias) =>
          el(
            "li",
            { "data-alias": alias },
            aliasChip(alias),
            el("button", { type: "button", className: "small danger", "aria-label": `Remove alias ${alias}`, onClick: () => removeAlias(alias) }, "Remove"),
          ),
        )
      : el("li", { className: "muted" }, "No alias points here."),
  );
}

async function refreshVersion() {
  version = await getVersion(name, versionNumber);
  showVersion();
}

// -- lineage ---------------------------------------------------------------------------

function fact(term, ...value) {
  return [el("dt", {}, term), el("dd", {}, ...value)];
}

function showLineage(lineage) {
  const mv = lineage.model_version;
  const run = lineage.run;
  const experiment = lineage.experiment;
  const runInfo = run?.info;
  const runLink = mv.run_id
    ? el("a", { href: runUrl(mv.run_id), id: "run-link" }, runInfo?.run_name || mv.run_id)
    : el("span", { className: "muted" }, "none");
  replaceChildren(
    $("facts"),
    fact("Source", el("code", { className: "wrap" }, mv.source || "—")),
    fact("Storage location", el("code", { className: "wrap" }, mv.storage_location || "—")),
    fact(
      "Source run",
      runLink,
      runInfo ? el("span", { className: `status status-${(runInfo.status || "").toLowerCase()}` }, runInfo.status) : null,
      runInfo?.lifecycle_stage === "deleted" ? el("span", { className: "badge badge-deleted" }, "deleted") : null,
    ),
    fact(
      "Experiment",
      experiment
        ? el("a", { href: `/experiments/${encodeURIComponent(experiment.experiment_id)}`, id: "experiment-link" }, experiment.name)
        : el("span", { className: "muted" }, "—"),
    ),
    fact("Registered", formatTime(mv.creation_timestamp), mv.user_id ? ` by ${mv.user_id}` : ""),
    fact("Last updated", formatTime(mv.last_updated_timestamp)),
    fact("Status", mv.status || "READY", mv.status_message ? ` — ${mv.status_message}` : ""),
    mv.model_id ? fact("Logged model", el("code", {}, mv.model_id)) : null,
  );
  const note = $("lineage-note");
  if (!run) {
    note.hidden = false;
    note.textContent = mv.run_id
      ? "The source run no longer exists (it was purged), so its params, metrics and datasets are gone."
      : "This version was not registered from a run, so it has no params, metrics or datasets.";
    $("lineage-tables").hidden = true;
    $("datasets-box").hidden = true;
    return;
  }
  const params = [...(run.data?.params || [])].sort((a, b) => a.key.localeCompare(b.key));
  const metrics = [...(run.data?.metrics || [])].sort((a, b) => a.key.localeCompare(b.key));
  kvRows("params", params.map((item) => [item.key, item.value]));
  kvRows("metrics", metrics.map((item) => [item.key, formatNumber(item.value)]), true);
  const datasets = run.inputs?.dataset_inputs || [];
  replaceChildren(
    $("datasets-body"),
    datasets.map((input) => {
      const context = (input.tags || []).find((tag) => tag.key === "mlflow.data.context")?.value;
      const data = input.dataset || {};
      return el(
        "tr",
        {},
        el("th", { scope: "row" }, data.name || ""),
        el("td", {}, context || el("span", { className: "muted" }, "—")),
        el("td", {}, el("code", {}, data.digest || "")),
        el("td", { className: "wrap-cell" }, data.source || ""),
      );
    }),
  );
  $("datasets-table").hidden = datasets.length === 0;
  $("datasets-empty").hidden = datasets.length > 0;
}

function kvRows(prefix, rows, numeric = false) {
  replaceChildren(
    $(`${prefix}-body`),
    rows.map(([key, value]) => el("tr", {}, el("th", { scope: "row" }, key), el("td", { className: numeric ? "num" : "wrap-cell" }, value))),
  );
  $(`${prefix}-table`).hidden = rows.length === 0;
  $(`${prefix}-empty`).hidden = rows.length > 0;
}

// -- stage, aliases, delete ------------------------------------------------------------

// The stage list starts at the version's stage until the user picks another.
let stageChosen = false;
fillStageSelect($("stage-target"), "None");
const updateArchive = linkArchiveCheckbox($("stage-target"), $("stage-archive"), $("stage-archive-label"));
$("stage-target").addEventListener("change", () => {
  stageChosen = true;
});

$("stage-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const stage = $("stage-target").value;
  const archive = $("stage-archive").checked;
  try {
    version = (await transitionStage(name, versionNumber, stage, archive)).model_version;
    showError("stage-error", "");
    showVersion();
    showMessage(`Moved to ${stage}${archive ? "; the versions that were there are archived" : ""}.`);
  } catch (error) {
    showError("stage-error", error.message);
  }
});

async function removeAlias(alias) {
  try {
    await deleteAlias(name, alias);
    showError("alias-error", "");
    await refreshVersion();
    showMessage(`Removed alias “${alias}”.`);
  } catch (error) {
    showError("alias-error", error.message);
  }
}

$("alias-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const alias = $("alias-name").value.trim();
  if (!alias) return;
  try {
    const model = await getModel(name);
    const before = (model.aliases || []).find((item) => item.alias === alias);
    await setAlias(name, alias, versionNumber);
    showError("alias-error", "");
    $("alias-name").value = "";
    await refreshVersion();
    showMessage(
      before && before.version !== versionNumber
        ? `Moved alias “${alias}” here from version ${before.version}.`
        : `Alias “${alias}” points here.`,
    );
  } catch (error) {
    showError("alias-error", error.message);
  }
});

$("delete-button").addEventListener("click", async () => {
  const confirmed = await confirmDialog({
    title: `Delete version ${versionNumber} of “${name}”?`,
    text: "Its aliases and tags go with it and its number is never reused. It cannot be undone; the source run and its files stay.",
    confirmLabel: "Delete version",
  });
  if (!confirmed) return;
  try {
    await deleteVersion(name, versionNumber);
    location.assign(modelUrl(name));
  } catch (error) {
    showMessage(error.message, { isError: true });
  }
});

function showError(id, text) {
  const box = $(id);
  box.hidden = !text;
  box.textContent = text || "";
}

// -- start -----------------------------------------------------------------------------

async function start() {
  const lineage = await apiGet(`${MONITORING}/lineage`, { name, version: versionNumber });
  version = lineage.model_version;
  showVersion();
  showLineage(lineage);
}

start().catch((error) => showMessage(error.message, { isError: true }));
startMonitoring({ name, version: versionNumber, chartsReady: main.dataset.charts === "ready" });
