// The run page's metric charts (uPlot): chosen metrics, x axis, log scale, smoothing, zoom,
// live refresh. Points come downsampled from the server (min and max kept per bucket);
// zooming in on steps fetches the zoomed range at full resolution.
import { AJAX, apiGet } from "./api.js";
import { X_AXES, formatSeconds, mergePoints, smooth, toColumns } from "./chart_data.js";
import { debounce, el, formatNumber, formatTime, replaceChildren } from "./dom.js";

const VENDOR = "/static/vendor/uplot/uPlot.esm.js";
const MAX_POINTS = 2500; // the server's cap per request
const MIN_POINTS = 200;
const DEFAULT_CHARTS = 4;
const CHART_HEIGHT = 240;
const STORAGE_PREFIX = "trackstone.run-charts.";
const PALETTE = ["#2f5bea", "#d9480f", "#2b8a3e", "#ae3ec9", "#0c8599", "#e67700", "#c2255c", "#5c7cfa"];
const $ = (id) => document.getElementById(id);

function loadChoice(experimentId) {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_PREFIX + experimentId));
    return Array.isArray(saved) ? saved : null;
  } catch {
    return null;
  }
}

function saveChoice(experimentId, keys) {
  try {
    localStorage.setItem(STORAGE_PREFIX + experimentId, JSON.stringify(keys));
  } catch {
    // Storage may be full or disabled; the choice then lasts for this page only.
  }
}

function withAlpha(hex, alpha) {
  const value = parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

/** One chart of one metric: its figure, its uPlot and the points it holds. */
class MetricChart {
  constructor(owner, key, color) {
    this.owner = owner;
    this.key = key;
    this.color = color;
    this.overview = []; // downsampled points over every step
    this.detail = null; // {low, high, points} while zoomed in on steps
    this.plot = null;
    this.status = el("span", { className: "chart-status muted" });
    this.body = el("div", { className: "chart-body" });
    this.figure = el(
      "figure",
      { className: "chart", "data-metric": key },
      el("figcaption", {}, el("span", { className: "chart-title" }, key), this.status),
      this.body,
    );
    this.zoomFetch = debounce(() => this.fetchDetail(), 200);
  }

  width() {
    return Math.max(240, Math.floor(this.body.clientWidth || this.figure.clientWidth || 600));
  }

  budget() {
    return Math.min(MAX_POINTS, Math.max(MIN_POINTS, this.width() * 2));
  }

  async fetchPoints(range = null) {
    const params = { run_ids: this.owner.runId, metric_key: this.key, max_results: this.budget() };
    if (range) Object.assign(params, { start_step: range.low, end_step: range.high });
    const body = await apiGet(`${AJAX}/metrics/get-history-bulk-interval`, params);
    return (body.metrics || []).map((point) => ({
      step: Number(point.step ?? 0),
      timestamp: Number(point.timestamp ?? 0),
      value: point.value,
    }));
  }

  points() {
    if (!this.detail) return this.overview;
    const { low, high, points } = this.detail;
    const outside = this.overview.filter((point) => point.step < low || point.step > high);
    return mergePoints(outside, points);
  }

  columns() {
    const { options } = this.owner;
    const [xs, ys] = toColumns(this.points(), options);
    return [xs, ys, smooth(ys, options.smoothing)];
  }

  async load() {
    // The points are fetched while the chart library may still be loading.
    const [overview, detail] = await Promise.all([
      this.fetchPoints(),
      this.detail ? this.fetchPoints(this.detail) : null,
    ]);
    this.overview = overview;
    if (this.detail && detail) this.detail.points = detail;
    await this.owner.ready;
    this.draw({ keepZoom: Boolean(this.detail) });
  }

  describe(data) {
    const shown = data[0].length;
    this.figure.dataset.points = String(shown);
    const note = this.detail ? `${shown.toLocaleString()} points, zoomed` : `${shown.toLocaleString()} points`;
    replaceChildren(this.status, shown ? note : "no points");
  }

  draw({ keepZoom = false } = {}) {
    const data = this.columns();
    this.describe(data);
    if (this.plot && keepZoom) {
      this.plot.setData(data, false);
      return;
    }
    if (this.plot) {
      this.plot.setData(data, true);
      return;
    }
    this.create(data);
  }

  axisValues() {
    const { xAxis } = this.owner.options;
    if (xAxis === "relative") return (_plot, ticks) => ticks.map(formatSeconds);
    if (xAxis === "step") return (_plot, ticks) => ticks.map((tick) => formatNumber(tick));
    return undefined;
  }

  legendX(value) {
    const { xAxis } = this.owner.options;
    if (value === null || value === undefined) return "—";
    if (xAxis === "wall") return formatTime(value * 1000);
    if (xAxis === "relative") return formatSeconds(value);
    return `step ${formatNumber(value)}`;
  }

  create(data) {
    const { uPlot, options } = this.owner;
    const smoothed = options.smoothing > 0;
    const legendValue = (_plot, value) => (value === null || value === undefined ? "—" : formatNumber(value));
    const opts = {
      width: this.width(),
      height: CHART_HEIGHT,
      cursor: { drag: { x: true, y: false }, focus: { prox: 24 } },
      scales: {
        x: { time: X_AXES[options.xAxis].time },
        y: options.logScale ? { distr: 3, log: 10 } : {},
      },
      axes: [
        { values: this.axisValues(), stroke: "#5d6778", grid: { stroke: "#eef0f4" }, ticks: { stroke: "#dde1e8" } },
        { stroke: "#5d6778", grid: { stroke: "#eef0f4" }, ticks: { stroke: "#dde1e8" }, size: 60,
          values: (_plot, ticks) => ticks.map((tick) => formatNumber(tick)) },
      ],
      series: [
        { label: X_AXES[options.xAxis].label, value: (_plot, value) => this.legendX(value) },
        { label: smoothed ? `${this.key} (raw)` : this.key, stroke: smoothed ? withAlpha(this.color, 0.28) : this.color,
          width: 1.5, value: legendValue, points: { show: false }, spanGaps: false },
        { label: `${this.key} (smoothed)`, stroke: this.color, width: 2, value: legendValue, show: smoothed,
          points: { show: false } },
      ],
      legend: { live: true },
      hooks: { setScale: [(plot, scale) => scale === "x" && this.onZoom(plot)] },
    };
    this.plot = new uPlot(opts, data, this.body);
    this.figure.uplot = this.plot;
    if (!smoothed) {
      // The hidden smoothed series would only repeat the raw values in the legend.
      const row = this.plot.root.querySelectorAll(".u-series")[2];
      if (row) row.hidden = true;
    }
  }

  onZoom(plot) {
    if (this.owner.options.xAxis !== "step" || !this.overview.length) return;
    const { min, max } = plot.scales.x;
    const first = this.overview[0].step;
    const last = this.overview[this.overview.length - 1].step;
    if (min <= first && max >= last) {
      if (this.detail) {
        this.detail = null;
        this.draw({ keepZoom: true });
      }
      return;
    }
    this.wanted = { low: Math.max(first, Math.floor(min)), high: Math.min(last, Math.ceil(max)) };
    this.zoomFetch();
  }

  async fetchDetail() {
    const wanted = this.wanted;
    if (!wanted || wanted.high < wanted.low) return;
    try {
      const points = await this.fetchPoints(wanted);
      if (this.wanted !== wanted) return;
      this.detail = { ...wanted, points };
      this.draw({ keepZoom: true });
    } catch (error) {
      replaceChildren(this.status, `could not load the zoomed range: ${error.message}`);
    }
  }

  resize() {
    if (this.plot) this.plot.setSize({ width: this.width(), height: CHART_HEIGHT });
  }

  rebuild() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
    this.detail = null;
    this.wanted = null;
    replaceChildren(this.body);
    this.draw();
  }

  destroy() {
    if (this.plot) this.plot.destroy();
    this.figure.remove();
  }
}

class Charts {
  constructor({ runId, experimentId, vendorReady }) {
    this.runId = runId;
    this.experimentId = experimentId;
    this.vendorReady = vendorReady;
    this.uPlot = null;
    this.run = null;
    this.keys = [];
    this.chosen = loadChoice(experimentId); // null until the user picks
    this.charts = new Map();
    this.options = { xAxis: "step", logScale: false, smoothing: 0, startMs: 0 };
    this.container = $("charts");
    this.ready = this.loadLibrary();
    this.ready.catch((error) => {
      $("charts-unavailable").hidden = false;
      $("charts-unavailable").textContent = `Charts are unavailable: ${error.message}.`;
    });
    this.wireControls();
    this.observer = new ResizeObserver(debounce(() => this.charts.forEach((chart) => chart.resize()), 100));
    this.observer.observe(this.container);
  }

  async loadLibrary() {
    if (!this.vendorReady) throw new Error("the chart library is not built (run make setup)");
    this.uPlot = (await import(VENDOR)).default;
  }

  chosenKeys() {
    const wanted = this.chosen ?? this.keys.slice(0, DEFAULT_CHARTS);
    return wanted.filter((key) => this.keys.includes(key));
  }

  /** Start loading the charts of `keys` (the page shell's) before the run itself is read. */
  prefetch(keys) {
    this.keys = [...keys].sort();
    this.renderPicker();
    this.prefetching = this.sync();
  }

  /** Follow the run: its metric keys, start time and (while running) new points. */
  async update(run) {
    this.run = run;
    this.keys = (run.data.metrics || []).map((metric) => metric.key).sort();
    this.options.startMs = Number(run.info.start_time || 0);
    this.renderPicker();
    const prefetching = this.prefetching;
    this.prefetching = null;
    // Charts the prefetch started hold fresh points: only new keys load now.
    await this.sync({ reload: !prefetching });
    if (prefetching) await prefetching;
  }

  async sync({ reload = true } = {}) {
    const keys = this.chosenKeys();
    $("charts-empty").hidden = this.keys.length > 0;
    $("metric-picker-count").textContent = this.keys.length ? `${keys.length}/${this.keys.length}` : "";
    for (const [key, chart] of this.charts) {
      if (!keys.includes(key)) {
        chart.destroy();
        this.charts.delete(key);
      }
    }
    const loads = [];
    keys.forEach((key, index) => {
      let chart = this.charts.get(key);
      if (!chart) {
        chart = new MetricChart(this, key, PALETTE[this.keys.indexOf(key) % PALETTE.length]);
        this.charts.set(key, chart);
        loads.push(chart);
      } else if (reload) loads.push(chart);
      if (this.container.children[index] !== chart.figure) this.container.insertBefore(chart.figure, this.container.children[index] || null);
    });
    const results = await Promise.allSettled(loads.map((chart) => chart.load()));
    results.forEach((result, index) => {
      if (result.status === "rejected") replaceChildren(loads[index].status, `could not load: ${result.reason.message}`);
    });
  }

  /** Show the chart of `key` (adding it to the choice) and scroll to it. */
  async choose(key) {
    const keys = this.chosenKeys();
    if (!keys.includes(key)) this.setChoice([...keys, key]);
    await this.sync({ reload: false });
    const chart = this.charts.get(key);
    if (chart) {
      chart.figure.scrollIntoView({ block: "nearest" });
    }
  }

  setChoice(keys) {
    this.chosen = keys;
    saveChoice(this.experimentId, keys);
    this.renderPicker();
  }

  renderPicker() {
    const keys = this.chosenKeys();
    const needle = $("metric-search").value.trim().toLowerCase();
    const options = this.keys
      .filter((key) => !needle || key.toLowerCase().includes(needle))
      .map((key) => {
        const box = el("input", { type: "checkbox", value: key, checked: keys.includes(key) });
        box.addEventListener("change", () => {
          const current = this.chosenKeys();
          this.setChoice(box.checked ? [...current, key] : current.filter((item) => item !== key));
          this.sync({ reload: false });
        });
        return el("label", { className: "check" }, box, key);
      });
    const legend = $("metric-options").querySelector("legend");
    replaceChildren($("metric-options"), legend, options.length ? options : el("p", { className: "muted" }, "No metric matches."));
  }

  rebuildAll() {
    this.charts.forEach((chart) => chart.rebuild());
  }

  wireControls() {
    const button = $("metric-picker-button");
    const panel = $("metric-picker-panel");
    const toggle = (open) => {
      panel.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) $("metric-search").focus();
    };
    button.addEventListener("click", () => toggle(panel.hidden));
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        toggle(false);
        button.focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (!panel.hidden && !panel.contains(event.target) && !button.contains(event.target)) toggle(false);
    });
    $("metric-search").addEventListener("input", () => this.renderPicker());
    $("x-axis").addEventListener("change", (event) => {
      this.options.xAxis = event.target.value;
      this.rebuildAll();
    });
    $("log-scale").addEventListener("change", (event) => {
      this.options.logScale = event.target.checked;
      this.rebuildAll();
    });
    const smoothing = $("smoothing");
    const rebuild = debounce(() => this.rebuildAll(), 60);
    smoothing.addEventListener("input", () => {
      this.options.smoothing = Number(smoothing.value);
      $("smoothing-value").textContent = smoothing.value;
      rebuild();
    });
  }
}

/** Create the charts panel of a run; call `update(run)` with each fresh copy of the run. */
export function createCharts({ runId, experimentId, vendorReady }) {
  return new Charts({ runId, experimentId, vendorReady });
}
