// The run page's tables: params, latest metrics, tags (add, edit, delete in place), datasets.
import { AJAX, apiPost } from "./api.js";
import { el, formatNumber, formatTime, replaceChildren, showMessage } from "./dom.js";

const SYSTEM_PREFIXES = ["mlflow.", "trackstone."];
const $ = (id) => document.getElementById(id);
let context = null;
let editing = null; // the key of the tag being edited, kept across refreshes

export function isSystemTag(key) {
  return SYSTEM_PREFIXES.some((prefix) => key.startsWith(prefix));
}

const byKey = (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function matches(filterId, ...texts) {
  const needle = $(filterId).value.trim().toLowerCase();
  return !needle || texts.some((text) => String(text).toLowerCase().includes(needle));
}

function emptyRow(columns, text) {
  return el("tr", { className: "empty-row" }, el("td", { colspan: columns, className: "muted" }, text));
}

function renderParams(run) {
  const params = [...(run.data.params || [])].sort(byKey);
  $("params-count").textContent = params.length ? String(params.length) : "";
  const rows = params
    .filter((param) => matches("params-filter", param.key, param.value))
    .map((param) => el("tr", { "data-key": param.key }, el("th", { scope: "row" }, param.key), el("td", { className: "value" }, param.value)));
  replaceChildren($("params-body"), rows.length ? rows : emptyRow(2, params.length ? "No parameter matches." : "No parameters."));
}

function renderMetrics(run) {
  const metrics = [...(run.data.metrics || [])].sort(byKey);
  $("metrics-count").textContent = metrics.length ? String(metrics.length) : "";
  const rows = metrics
    .filter((metric) => matches("metrics-filter", metric.key))
    .map((metric) =>
      el(
        "tr",
        { "data-key": metric.key },
        el("th", { scope: "row" }, metric.key),
        el("td", { className: "num", title: `${metric.value} at ${formatTime(metric.timestamp)}` }, formatNumber(metric.value)),
        el("td", { className: "num muted" }, String(metric.step ?? 0)),
        el("td", { className: "actions" },
          el("button", { type: "button", className: "small link-button", "aria-label": `Chart ${metric.key}`, onClick: () => context.showMetricChart(metric.key) }, "Chart")),
      ),
    );
  replaceChildren($("metrics-body"), rows.length ? rows : emptyRow(4, metrics.length ? "No metric matches." : "No metrics."));
}

// -- tags ------------------------------------------------------------------------------------

async function setTag(key, value) {
  await apiPost(`${AJAX}/runs/set-tag`, { run_id: context.runId, key, value });
}

async function deleteTag(key, value) {
  try {
    await apiPost(`${AJAX}/runs/delete-tag`, { run_id: context.runId, key });
    await context.refresh({ afterEdit: true });
    const undo = el("button", { type: "button", className: "small", onClick: async () => {
      try {
        await setTag(key, value);
        await context.refresh({ afterEdit: true });
        showMessage(`Restored tag “${key}”.`);
      } catch (error) {
        showMessage(error.message, { isError: true });
      }
    } }, "Undo");
    showMessage(`Deleted tag “${key}”.`, { action: undo });
  } catch (error) {
    showMessage(`Could not delete tag “${key}”: ${error.message}`, { isError: true });
  }
}

function tagEditor(tag) {
  const input = el("input", { type: "text", value: tag.value, "aria-label": `Value of tag ${tag.key}`, maxlength: 8000 });
  const cancel = () => {
    editing = null;
    $("tags-body").replaceChildren();
    renderTags(context.getRun());
    $("tags-body").querySelector(`tr[data-key="${CSS.escape(tag.key)}"] button`)?.focus();
  };
  const form = el(
    "form",
    {
      className: "tag-edit",
      onSubmit: async (event) => {
        event.preventDefault();
        try {
          await setTag(tag.key, input.value);
          editing = null;
          $("tags-body").replaceChildren();
          await context.refresh({ afterEdit: true });
          showMessage(`Saved tag “${tag.key}”.`);
        } catch (error) {
          showMessage(`Could not save tag “${tag.key}”: ${error.message}`, { isError: true });
        }
      },
      onKeydown: (event) => {
        if (event.key === "Escape") cancel();
      },
    },
    input,
    el("button", { type: "submit", className: "small primary" }, "Save"),
    el("button", { type: "button", className: "small", onClick: cancel }, "Cancel"),
  );
  queueMicrotask(() => input.focus());
  return form;
}

function tagRow(tag) {
  const isEditing = editing === tag.key;
  return el(
    "tr",
    { "data-key": tag.key },
    el("th", { scope: "row" }, tag.key),
    el("td", { className: "value" }, isEditing ? tagEditor(tag) : tag.value),
    el("td", { className: "actions" },
      isEditing ? "" : el("div", {},
        el("button", { type: "button", className: "small", "aria-label": `Edit tag ${tag.key}`, onClick: () => {
          editing = tag.key;
          $("tags-body").replaceChildren();
          renderTags(context.getRun());
        } }, "Edit"),
        el("button", { type: "button", className: "small danger", "aria-label": `Delete tag ${tag.key}`, onClick: () => deleteTag(tag.key, tag.value) }, "Delete"),
      )),
  );
}

function renderTags(run) {
  // A refresh while a value is being edited must not throw away what was typed.
  if (editing !== null && $("tags-body").querySelector(".tag-edit")) return;
  const tags = [...(run.data.tags || [])].sort(byKey);
  const user = tags.filter((tag) => !isSystemTag(tag.key));
  const system = tags.filter((tag) => isSystemTag(tag.key));
  $("tags-count").textContent = user.length ? String(user.length) : "";
  replaceChildren($("tags-body"), user.length ? user.map(tagRow) : emptyRow(3, "No tags yet."));
  $("system-tags-count").textContent = String(system.length);
  $("system-tags").hidden = system.length === 0;
  replaceChildren(
    $("system-tags-body"),
    system.map((tag) => el("tr", { "data-key": tag.key }, el("th", { scope: "row" }, tag.key), el("td", { className: "value" }, tag.value))),
  );
}

async function addTag(event) {
  event.preventDefault();
  const key = $("tag-key").value.trim();
  const value = $("tag-value").value;
  if (!key) return;
  try {
    await setTag(key, value);
    $("tag-key").value = "";
    $("tag-value").value = "";
    await context.refresh({ afterEdit: true });
    showMessage(`Added tag “${key}”.`);
    $("tag-key").focus();
  } catch (error) {
    showMessage(`Could not add tag “${key}”: ${error.message}`, { isError: true });
  }
}

// -- datasets --------------------------------------------------------------------------------

function schemaColumns(schema) {
  if (!schema) return null;
  try {
    const parsed = JSON.parse(schema);
    const columns = parsed.mlflow_colspec || parsed.mlflow_tensorspec || (Array.isArray(parsed) ? parsed : null);
    if (!Array.isArray(columns)) return null;
    return el(
      "table",
      { className: "kv-table compact" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Column"), el("th", { scope: "col" }, "Type"))),
      el("tbody", {}, columns.map((column) =>
        el("tr", {}, el("td", {}, column.name ?? "(unnamed)"), el("td", { className: "muted" },
          column.type === "tensor" ? `tensor ${column["tensor-spec"]?.dtype ?? ""} ${JSON.stringify(column["tensor-spec"]?.shape ?? "")}` : String(column.type ?? ""))))),
    );
  } catch {
    return null;
  }
}

function datasetCard(input) {
  const { dataset } = input;
  const context = (input.tags || []).find((tag) => tag.key === "mlflow.data.context")?.value;
  const schema = schemaColumns(dataset.schema);
  return el(
    "article",
    { className: "dataset" },
    el("div", { className: "dataset-head" },
      el("strong", { className: "dataset-name" }, dataset.name),
      context ? el("span", { className: "pill" }, context) : "",
      el("code", { title: "digest" }, dataset.digest)),
    el("dl", { className: "dataset-facts" },
      el("dt", {}, "Source"), el("dd", {}, el("span", { className: "pill" }, dataset.source_type), " ", el("span", { className: "mono wrap" }, dataset.source)),
    ),
    schema ? el("details", { className: "dataset-schema" }, el("summary", {}, "Schema"), schema)
      : dataset.schema ? el("details", { className: "dataset-schema" }, el("summary", {}, "Schema"), el("pre", {}, dataset.schema)) : "",
  );
}

function renderDatasets(run) {
  const inputs = run.inputs?.dataset_inputs || [];
  $("datasets-count").textContent = inputs.length ? String(inputs.length) : "";
  $("datasets-card").hidden = inputs.length === 0;
  replaceChildren($("datasets"), inputs.map(datasetCard));
}

/** Redraw every table from `run`. */
export function renderTables(run) {
  renderParams(run);
  renderMetrics(run);
  renderTags(run);
  renderDatasets(run);
}

/** Attach the filters and the tag form. */
export function wireTables(pageContext) {
  context = pageContext;
  $("params-filter").addEventListener("input", () => renderParams(context.getRun()));
  $("metrics-filter").addEventListener("input", () => renderMetrics(context.getRun()));
  $("tag-form").addEventListener("submit", addTag);
}
