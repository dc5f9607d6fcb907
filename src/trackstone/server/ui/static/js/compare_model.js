// The compare page's data: the chosen runs (with a colour each) and their params and metrics
// as columns, with which values differ and which run is best per metric.
import { AJAX, ApiError, apiGet } from "./api.js";
import { runName } from "./columns.js";

// Distinct, colour-blind-friendly first; later runs get evenly spread hues.
const PALETTE = [
  "#2f6fde", "#e8772e", "#2a9d5b", "#d1434b", "#8a5cc9",
  "#16a3b8", "#c9a100", "#d45fa6", "#6b7a8f", "#8c5a2b",
];
const GOLDEN_ANGLE = 137.508;

/** The colour of the `index`-th run, the same in every view of the page. */
export function runColor(index) {
  if (index < PALETTE.length) return PALETTE[index];
  const hue = Math.round((index * GOLDEN_ANGLE) % 360);
  return `hsl(${hue}, 62%, ${index % 2 ? 42 : 52}%)`;
}

/** The run ids of the page's URL, in order, without blanks or repeats. */
export function parseRunIds(text) {
  return [...new Set((text || "").split(",").map((id) => id.trim()).filter(Boolean))];
}

async function fetchRun(runId) {
  try {
    return (await apiGet(`${AJAX}/runs/get`, { run_id: runId })).run;
  } catch (error) {
    // A malformed id is refused as a bad parameter; for the reader both mean "no such run".
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) return null;
    throw error;
  }
}

async function fetchExperimentNames(experimentIds) {
  const names = new Map();
  await Promise.all(
    experimentIds.map(async (experimentId) => {
      try {
        const body = await apiGet(`${AJAX}/experiments/get`, { experiment_id: experimentId });
        names.set(experimentId, body.experiment.name);
      } catch {
        names.set(experimentId, `experiment ${experimentId}`);
      }
    }),
  );
  return names;
}

/**
 * Load the runs `runIds` names. Resolve to `{runs, missing}`: `runs` in URL order, each
 * `{id, name, color, index, run, experimentId, experimentName}`; `missing` the unknown ids.
 */
export async function loadRuns(runIds) {
  const fetched = await Promise.all(runIds.map(fetchRun));
  const missing = runIds.filter((_, index) => fetched[index] === null);
  const found = fetched.filter((run) => run !== null);
  const names = await fetchExperimentNames([...new Set(found.map((run) => run.info.experiment_id))]);
  const runs = found.map((run, index) => ({
    id: run.info.run_id,
    name: runName(run),
    color: runColor(index),
    index,
    run,
    experimentId: run.info.experiment_id,
    experimentName: names.get(run.info.experiment_id),
  }));
  return { runs, missing };
}

function isNumberText(value) {
  return typeof value === "number" || (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)));
}

// Names that usually mean "smaller is better"; anything else is taken as "larger is better".
const LOWER_IS_BETTER = /(loss|err|error|mse|mae|rmse|mape|perplexity|latency|time|duration|cost|regret|fpr|fnr|wer|cer)/i;

/** Whether a metric called `key` is better when lower (a guess from its name). */
export function lowerIsBetter(key) {
  return LOWER_IS_BETTER.test(key);
}

function column(kind, key, runs) {
  const values = new Map();
  for (const item of runs) {
    const entry = (item.run.data?.[kind] || []).find((candidate) => candidate.key === key);
    if (entry !== undefined) values.set(item.id, kind === "metrics" ? Number(entry.value) : entry.value);
  }
  const present = [...values.values()];
  const distinct = new Set(present.map(String));
  const numeric = present.length > 0 && present.every(isNumberText);
  return {
    id: `${kind}.${key}`,
    kind,
    key,
    values,
    numeric,
    // A run without the key differs from one that has it.
    differs: distinct.size > 1 || (values.size > 0 && values.size < runs.length),
  };
}

function keysOf(runs, kind, skip = () => false) {
  const keys = new Set();
  for (const item of runs) for (const entry of item.run.data?.[kind] || []) if (!skip(entry.key)) keys.add(entry.key);
  return [...keys].sort((a, b) => a.localeCompare(b));
}

/** The params, latest metrics and user tags of `runs` as columns (see `column`). */
export function buildColumns(runs) {
  return {
    params: keysOf(runs, "params").map((key) => column("params", key, runs)),
    metrics: keysOf(runs, "metrics").map((key) => column("metrics", key, runs)),
    tags: keysOf(runs, "tags", (key) => key.startsWith("mlflow.")).map((key) => column("tags", key, runs)),
  };
}

/** The ids of the runs holding the best finite value of a metric column; empty when all tie. */
export function bestRunIds(metricColumn, lowerBetter) {
  const finite = [...metricColumn.values].filter(([, value]) => Number.isFinite(value));
  if (finite.length < 2) return new Set();
  const values = finite.map(([, value]) => value);
  const best = lowerBetter ? Math.min(...values) : Math.max(...values);
  if (values.every((value) => value === best)) return new Set();
  return new Set(finite.filter(([, value]) => value === best).map(([runId]) => runId));
}

/** A column's value of a run as a number for plotting, or null when missing or not numeric. */
export function numericValue(columnInfo, runId) {
  const value = columnInfo.values.get(runId);
  if (value === undefined) return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}
