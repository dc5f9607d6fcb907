// The runs table's columns: the fixed ones, chosen params/metrics/tags, remembered per experiment.
import { formatDuration, formatNumber, formatTime } from "./dom.js";
import { quoteKey } from "./filters.js";

export const KINDS = [
  { kind: "metrics", label: "Metrics", short: "metric" },
  { kind: "params", label: "Params", short: "param" },
  { kind: "tags", label: "Tags", short: "tag" },
];

/** The value of tag `key` of a run from the search API, or undefined. */
export function tagOf(run, key) {
  return (run.data?.tags || []).find((tag) => tag.key === key)?.value;
}

export function runName(run) {
  return run.info.run_name || tagOf(run, "mlflow.runName") || run.info.run_id;
}

function duration(run) {
  const start = Number(run.info.start_time);
  if (!run.info.start_time) return null;
  if (run.info.end_time) return Number(run.info.end_time) - start;
  return null;
}

function entryValue(run, kind, key) {
  return (run.data?.[kind] || []).find((entry) => entry.key === key)?.value;
}

// `text` is what the table shows, `raw` what the CSV holds.
export const FIXED_COLUMNS = [
  { id: "name", label: "Run name", order: "attributes.run_name", raw: runName },
  { id: "status", label: "Status", order: "attributes.status", raw: (run) => run.info.status },
  {
    id: "start",
    label: "Start",
    order: "attributes.start_time",
    raw: (run) => (run.info.start_time ? new Date(Number(run.info.start_time)).toISOString() : ""),
    text: (run) => formatTime(run.info.start_time),
  },
  {
    id: "duration",
    label: "Duration",
    order: null, // the search language cannot order by it
    raw: (run) => {
      const ms = duration(run);
      return ms === null ? "" : String(ms / 1000);
    },
    text: (run) => (duration(run) === null ? "" : formatDuration(duration(run))),
  },
  { id: "user", label: "User", order: "attributes.user_id", raw: (run) => run.info.user_id || "" },
  {
    id: "source",
    label: "Source",
    order: `tags.${quoteKey("mlflow.source.name")}`,
    raw: (run) => tagOf(run, "mlflow.source.name") || "",
    text: (run) => (tagOf(run, "mlflow.source.name") || "").split(/[\\/]/).pop(),
  },
];

/** The column of a chosen `kind.key` (e.g. `params.lr`). */
export function dynamicColumn(id) {
  const dot = id.indexOf(".");
  const kind = id.slice(0, dot);
  const key = id.slice(dot + 1);
  const short = KINDS.find((entry) => entry.kind === kind)?.short || kind;
  return {
    id,
    kind,
    key,
    short,
    label: key,
    order: `${kind}.${quoteKey(key)}`,
    numeric: kind === "metrics",
    raw: (run) => {
      const value = entryValue(run, kind, key);
      return value === undefined || value === null ? "" : String(value);
    },
    text: (run) => {
      const value = entryValue(run, kind, key);
      return kind === "metrics" ? formatNumber(value) : value ?? "";
    },
  };
}

const storageKey = (experimentId) => `trackstone.runs.columns.${experimentId}`;

/** The chosen column ids remembered for an experiment, or null if none were ever chosen. */
export function loadChosen(experimentId) {
  try {
    const value = JSON.parse(localStorage.getItem(storageKey(experimentId)) || "null");
    return Array.isArray(value) ? value.filter((item) => typeof item === "string") : null;
  } catch {
    return null;
  }
}

export function saveChosen(experimentId, ids) {
  try {
    localStorage.setItem(storageKey(experimentId), JSON.stringify(ids));
  } catch {
    // private windows may refuse storage: the choice then lasts for this page only
  }
}
