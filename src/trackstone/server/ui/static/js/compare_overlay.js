// The compare page's metric overlay: one uPlot line per run for a chosen metric, drawn from the
// server's downsampled history (min and max kept per bucket), by step or time, linear or log.
import { AJAX, apiGet } from "./api.js";
import { el, formatDuration, formatNumber, formatTime, replaceChildren } from "./dom.js";

// Points per run asked of the server; it keeps each bucket's extremes, so spikes survive.
const POINTS_PER_RUN = 1000;
const X_LABELS = { step: "Step", relative: "Relative time", wall: "Wall time" };

function chartHeight(width) {
  return Math.round(Math.min(340, Math.max(220, width * 0.5)));
}

/** The x of a point in the chosen mode; `first` is the run's first timestamp (ms). */
function xOf(point, mode, first) {
  if (mode === "step") return Number(point.step);
  if (mode === "relative") return (Number(point.timestamp) - first) / 1000;
  return Number(point.timestamp) / 1000;
}

function formatX(value, mode) {
  if (value === null || value === undefined) return "";
  if (mode === "step") return `step ${formatNumber(value)}`;
  if (mode === "relative") return `+${formatDuration(Math.round(value * 1000))}`;
  return formatTime(value * 1000);
}

/** Per run, its points as sorted `[xs, ys]` (one y per x, the last logged wins). */
function seriesOf(points, runs, mode, log) {
  const byRun = new Map(runs.map((item) => [item.id, []]));
  for (const point of points) byRun.get(point.run_id)?.push(point);
  let dropped = 0;
  const series = new Map();
  for (const [runId, runPoints] of byRun) {
    const first = runPoints.length ? Math.min(...runPoints.map((point) => Number(point.timestamp))) : 0;
    const byX = new Map();
    for (const point of runPoints) {
      let value = Number(point.value);
      if (!Number.isFinite(value) || (log && value <= 0)) {
        if (log && value <= 0) dropped += 1;
        value = null;
      }
      byX.set(xOf(point, mode, first), value);
    }
    const xs = [...byX.keys()].sort((a, b) => a - b);
    series.set(runId, { xs, ys: xs.map((x) => byX.get(x)), count: runPoints.length });
  }
  return { series, dropped };
}

// Above this many cells (runs x distinct x values) the x values are snapped to a grid first:
// runs timed independently share no x, and a 100-run union would make uPlot crawl.
const MAX_ALIGNED_CELLS = 1_500_000;
const GRID_POSITIONS = 4000;

/** Snap every run's xs to a shared grid when aligning them as they are would be too big. */
function coarsen(runs, series) {
  const all = runs.flatMap((item) => series.get(item.id).xs);
  const distinct = new Set(all).size;
  if (distinct * runs.length <= MAX_ALIGNED_CELLS) return series;
  // A loop, not Math.min(...all): spreading 100,000 arguments overflows the stack.
  let [low, high] = [Infinity, -Infinity];
  for (const x of all) [low, high] = [Math.min(low, x), Math.max(high, x)];
  const width = (high - low) / GRID_POSITIONS || 1;
  const snapped = new Map();
  for (const [runId, { xs, ys, count }] of series) {
    const byX = new Map();
    xs.forEach((x, i) => byX.set(low + Math.round((x - low) / width) * width, ys[i]));
    const keys = [...byX.keys()].sort((a, b) => a - b);
    snapped.set(runId, { xs: keys, ys: keys.map((x) => byX.get(x)), count });
  }
  return snapped;
}

/** Align every run's series on the union of their x values (null where a run has no point). */
function align(runs, series) {
  const xs = [...new Set(runs.flatMap((item) => series.get(item.id).xs))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = runs.map((item) => {
    const { xs: ownXs, ys } = series.get(item.id);
    const column = new Array(xs.length).fill(null);
    ownXs.forEach((x, i) => {
      column[index.get(x)] = ys[i];
    });
    return column;
  });
  return [xs, ...columns];
}

/** The y of a run's point nearest to `x` (binary search in its own sorted xs); null outside
 * the run's own range, so a run that stopped early reads as no value rather than its last. */
function nearest({ xs, ys }, x) {
  if (!xs.length || x < xs[0] || x > xs[xs.length - 1]) return null;
  let low = 0;
  let high = xs.length - 1;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (xs[middle] <= x) low = middle;
    else high = middle;
  }
  const pick = Math.abs(xs[low] - x) <= Math.abs(xs[high] - x) ? low : high;
  return ys[pick];
}

/**
 * Create the overlay in #overlay-section for `runs` over `metricKeys`; `uPlot` is the chart
 * library's constructor (or null when its files are not built).
 */
export function createOverlay(runs, metricKeys, uPlot) {
  const $ = (id) => document.getElementById(id);
  const [metricSelect, xSelect, logBox] = [$("overlay-metric"), $("overlay-x"), $("overlay-log")];
  const [target, note, legend, position] = [$("overlay-chart"), $("overlay-note"), $("overlay-legend"), $("overlay-position")];
  const cache = new Map(); // metric key -> points of every run
  const state = { chart: null, series: null, generation: 0, focused: null };

  replaceChildren(metricSelect, metricKeys.map((key) => el("option", { value: key }, key)));
  const preferred = metricKeys.find((key) => /loss/i.test(key)) || metricKeys[0];
  if (preferred) metricSelect.value = preferred;

  function showNote(text) {
    note.hidden = !text;
    note.textContent = text || "";
  }

  function renderLegend(x) {
    const mode = xSelect.value;
    position.textContent = x === null ? "Latest values" : formatX(x, mode);
    const items = runs.map((item) => {
      const own = state.series?.get(item.id);
      const count = own ? own.count : 0;
      const value = own && own.xs.length ? (x === null ? own.ys[own.ys.length - 1] : nearest(own, x)) : null;
      const swatch = el("span", { className: "swatch", "aria-hidden": "true" });
      swatch.style.background = item.color;
      return el(
        "li",
        {
          "data-run-id": item.id,
          "data-points": count,
          className: [count ? "" : "no-data", item.id === state.focused ? "focused" : ""].join(" ").trim(),
        },
        swatch,
        el("span", { className: "series-name", title: item.name }, item.name),
        el("span", { className: "series-value" }, !count ? "no data" : value === null ? "–" : formatNumber(value)),
      );
    });
    replaceChildren(legend, items);
  }

  function axisValues(mode) {
    if (mode === "relative") return (_, splits) => splits.map((value) => (value ? formatDuration(Math.round(value * 1000)) : "0"));
    if (mode === "step") return (_, splits) => splits.map((value) => formatNumber(value));
    return undefined; // uPlot's own time labels
  }

  function draw(points) {
    const mode = xSelect.value;
    const log = logBox.checked;
    const { series: exact, dropped } = seriesOf(points, runs, mode, log);
    const series = coarsen(runs, exact);
    state.series = series;
    const data = align(runs, series);
    state.chart?.destroy();
    state.chart = null;
    if (!data[0].length) {
      replaceChildren(target, el("p", { className: "empty" }, `No run has points of ${metricSelect.value}.`));
      renderLegend(null);
      target.dataset.series = "0";
      return;
    }
    showNote(dropped ? `${dropped} value(s) at or below zero are left out on the log scale.` : "");
    replaceChildren(target);
    const width = Math.max(280, target.clientWidth);
    const axisStyle = { stroke: "#5d6778", grid: { stroke: "#edf0f4", width: 1 }, ticks: { stroke: "#dde1e8", width: 1 }, font: "12px system-ui, sans-serif" };
    state.chart = new uPlot(
      {
        width,
        height: chartHeight(width),
        legend: { show: false },
        cursor: { focus: { prox: 24 }, points: { size: 7 } },
        focus: { alpha: 0.25 },
        scales: { x: { time: mode === "wall" }, y: log ? { distr: 3, log: 10 } : {} },
        axes: [
          { ...axisStyle, values: axisValues(mode), label: X_LABELS[mode], labelSize: 20, labelFont: "12px system-ui, sans-serif" },
          { ...axisStyle, size: 60, values: (_, splits) => splits.map((value) => formatNumber(value)) },
        ],
        series: [
          { label: X_LABELS[mode] },
          ...runs.map((item) => ({ label: item.name, stroke: item.color, width: 1.6, spanGaps: true, points: { show: false } })),
        ],
        hooks: {
          setSeries: [
            (chart, seriesIndex) => {
              state.focused = seriesIndex === null ? null : runs[seriesIndex - 1]?.id;
              for (const item of legend.children) item.classList.toggle("focused", item.dataset.runId === state.focused);
            },
          ],
          setCursor: [
            (chart) => {
              const index = chart.cursor.idx;
              renderLegend(index === null || index === undefined ? null : chart.data[0][index]);
            },
          ],
        },
      },
      data,
      target,
    );
    target.dataset.series = String(runs.filter((item) => series.get(item.id).count > 0).length);
    renderLegend(null);
  }

  async function load() {
    const key = metricSelect.value;
    if (!key) {
      replaceChildren(target, el("p", { className: "empty" }, "These runs have no metrics."));
      for (const control of [metricSelect, xSelect, logBox]) control.disabled = true;
      return;
    }
    if (!uPlot) {
      replaceChildren(target, el("p", { className: "empty" }, "Charts need the web UI's third-party files: run make setup."));
      return;
    }
    const generation = ++state.generation;
    target.setAttribute("aria-busy", "true");
    try {
      if (!cache.has(key)) {
        const body = await apiGet(`${AJAX}/metrics/get-history-bulk-interval`, {
          run_ids: runs.map((item) => item.id),
          metric_key: key,
          max_results: POINTS_PER_RUN,
        });
        cache.set(key, body.metrics || []);
      }
      if (generation !== state.generation) return;
      draw(cache.get(key));
    } catch (error) {
      replaceChildren(target, el("p", { className: "empty message-error" }, `Could not load ${key}: ${error.message}`));
    } finally {
      if (generation === state.generation) target.removeAttribute("aria-busy");
    }
  }

  metricSelect.addEventListener("change", load);
  xSelect.addEventListener("change", load);
  logBox.addEventListener("change", load);
  new ResizeObserver(() => {
    if (!state.chart) return;
    const width = Math.max(280, target.clientWidth);
    if (Math.abs(width - state.chart.width) > 1) state.chart.setSize({ width, height: chartHeight(width) });
  }).observe(target);
  return load();
}
