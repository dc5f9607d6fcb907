// The production-monitoring section of a version's page: its baseline (and where it comes
// from), a chart of the values observed in production against the baseline, and a check of
// rules against the baseline whose report shows a verdict per rule. The baseline's form is
// model_baseline.js.
import { apiGet, apiPost } from "./api.js";
import { el, formatNumber, formatTime, replaceChildren, showMessage } from "./dom.js";
import { startBaselineForm } from "./model_baseline.js";
import { MONITORING } from "./models_api.js";

const $ = (id) => document.getElementById(id);
const UPLOT_URL = "/static/vendor/uplot/uPlot.esm.js";
const CHART_HEIGHT = 220;
// Observations come in pages of OBSERVATION_PAGE; the chart stops reading at OBSERVATION_CAP
// (the oldest ones) and says so, which keeps a long-lived version's page light.
const OBSERVATION_PAGE = 10000;
const OBSERVATION_CAP = 100000;
const ORIGINS = {
  explicit: "set explicitly",
  source_run: "from the source run's metrics",
  none: "none",
};
const ORIGIN_LINES = {
  explicit: "Set explicitly (set_baseline() or the form below).",
  source_run: "The source run's latest metrics (no explicit baseline is set).",
  none: "",
};
const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3600, d: 86400 };
const BARE_KEY = /^[A-Za-z0-9_.\/:-]+$/;

/** Fill the monitoring section of version `version` of model `name`. */
export function startMonitoring({ name, version, chartsReady }) {
  const state = { baseline: new Map(), answer: { metrics: [], origin: "none" }, series: new Map(), plot: null, truncated: false };
  const form = startBaselineForm({
    name,
    version,
    current: () => state.answer,
    changed: async (message) => {
      showBaseline(await apiGet(`${MONITORING}/baseline/get`, { name, version }), state);
      form.update();
      showMessage(message);
      await drawChart(state, chartsReady);
    },
  });
  $("check-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runCheck(name, version);
  });
  $("check-rules").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      runCheck(name, version);
    }
  });
  $("chart-metric").addEventListener("change", () => drawChart(state, chartsReady));
  new ResizeObserver(() => {
    if (state.plot) state.plot.setSize({ width: chartWidth(), height: CHART_HEIGHT });
  }).observe($("chart"));
  load(name, version, state, chartsReady).then(() => form.update()).catch((error) => {
    $("chart-summary").textContent = error.message;
    $("chart-summary").classList.add("error-text");
  });
}

/**
 * Read a version's observations page by page (oldest first) until the last page or
 * OBSERVATION_CAP points; resolve to {points, more} (more: the series goes on past the cap).
 */
export async function fetchObservations(name, version, cap = OBSERVATION_CAP) {
  const points = [];
  let token;
  do {
    const page = await apiGet(`${MONITORING}/production-metrics/get`, {
      name,
      version,
      max_results: Math.min(OBSERVATION_PAGE, cap - points.length),
      page_token: token,
    });
    points.push(...(page.metrics || []));
    token = page.next_page_token;
  } while (token && points.length < cap);
  return { points, more: Boolean(token) };
}

async function load(name, version, state, chartsReady) {
  const [baseline, observed] = await Promise.all([
    apiGet(`${MONITORING}/baseline/get`, { name, version }),
    fetchObservations(name, version),
  ]);
  showBaseline(baseline, state);
  state.truncated = observed.more;
  for (const point of observed.points) {
    if (!state.series.has(point.key)) state.series.set(point.key, []);
    state.series.get(point.key).push(point);
  }
  const keys = [...state.series.keys()].sort();
  replaceChildren($("chart-metric"), keys.map((key) => el("option", { value: key }, key)));
  $("chart-metric-field").hidden = keys.length === 0;
  suggestRules(keys, state);
  await drawChart(state, chartsReady);
}

function showBaseline(answer, state) {
  const origin = answer.origin || "none";
  state.answer = { metrics: answer.metrics || [], origin };
  state.baseline.clear();
  const label = $("baseline-origin");
  label.textContent = ORIGIN_LINES[origin] ?? origin;
  label.dataset.origin = origin;
  label.hidden = !label.textContent;
  const metrics = [...(answer.metrics || [])].sort((a, b) => a.key.localeCompare(b.key));
  for (const item of metrics) state.baseline.set(item.key, Number(item.value));
  replaceChildren(
    $("baseline-body"),
    metrics.map((item) => el("tr", {}, el("th", { scope: "row" }, item.key), el("td", { className: "num" }, formatNumber(item.value)))),
  );
  $("baseline-table").hidden = metrics.length === 0;
  const empty = $("baseline-empty");
  empty.hidden = metrics.length > 0;
  empty.textContent = "No baseline: set one below or with client.set_baseline(), or register the version from a run that logged metrics.";
}

/** Offer a starting rule for the first observed metric the baseline knows. */
function suggestRules(keys, state) {
  const box = $("check-rules");
  if (box.value) return;
  const known = keys.find((key) => state.baseline.has(key));
  if (known) box.value = `${BARE_KEY.test(known) ? known : `\`${known.replaceAll("`", "``")}\``}>=-0.02rel`;
}

function chartWidth() {
  return Math.max(240, Math.floor($("chart").clientWidth));
}

async function drawChart(state, chartsReady) {
  const key = $("chart-metric").value;
  const chart = $("chart");
  const points = state.series.get(key) || [];
  if (state.plot) {
    state.plot.destroy();
    state.plot = null;
  }
  chart.replaceChildren();
  if (!points.length) {
    chart.classList.add("chart-empty");
    chart.append(el("p", { className: "muted" }, "Nothing observed in production yet. Serving code logs values with client.log_production_metrics()."));
    $("chart-summary").textContent = "";
    return;
  }
  chart.classList.remove("chart-empty");
  const values = points.map((point) => Number(point.value));
  const finite = values.filter(Number.isFinite);
  const mean = finite.reduce((sum, value) => sum + value, 0) / (finite.length || 1);
  const baseline = state.baseline.get(key);
  $("chart-summary").textContent =
    `${points.length} observation${points.length === 1 ? "" : "s"} of ${key} from ${formatTime(points[0].timestamp)} ` +
    `to ${formatTime(points[points.length - 1].timestamp)}; mean ${formatNumber(mean)}, last ${formatNumber(values[values.length - 1])}` +
    (baseline === undefined ? "; no baseline value." : `; baseline ${formatNumber(baseline)}.`) +
    (state.truncated ? ` Only the first ${OBSERVATION_CAP.toLocaleString()} observations of the version are read.` : "");
  chart.setAttribute("aria-label", `Chart of ${key} observed in production: ${$("chart-summary").textContent}`);
  if (!chartsReady) {
    chart.append(el("p", { className: "muted" }, "The chart needs the UI's third-party files: run make setup."));
    return;
  }
  const { default: uPlot } = await import(UPLOT_URL);
  const xs = points.map((point) => Number(point.timestamp) / 1000);
  const series = [
    {},
    { label: key, stroke: "#2f5bea", width: 2, fill: "rgba(47, 91, 234, 0.08)", points: { show: points.length <= 60, size: 5 } },
  ];
  const data = [xs, values.map((value) => (Number.isFinite(value) ? value : null))];
  if (baseline !== undefined && Number.isFinite(baseline)) {
    series.push({ label: "baseline", stroke: "#c23a3a", width: 1.5, dash: [6, 4], points: { show: false } });
    data.push(xs.map(() => baseline));
  }
  state.plot = new uPlot(
    {
      width: chartWidth(),
      height: CHART_HEIGHT,
      series,
      scales: { x: { time: true } },
      axes: [{ stroke: "#5d6778", grid: { stroke: "#eef0f4" } }, { stroke: "#5d6778", grid: { stroke: "#eef0f4" }, size: 56 }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    },
    data,
    chart,
  );
}

// -- checks ----------------------------------------------------------------------------

/** Seconds in a window like `24h`, `30m`, `90s`, `7d`; null for empty; throws when malformed. */
export function parseWindow(text) {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const match = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(trimmed);
  if (!match || Number(match[1]) <= 0) {
    throw new Error(`window: expected a positive number with a unit s, m, h or d (e.g. 24h), got '${trimmed}'`);
  }
  return Number(match[1]) * SECONDS_PER_UNIT[match[2]];
}

function formatDeviation(check) {
  if (check.deviation === undefined || check.deviation === null) return "—";
  const value = Number(check.deviation);
  if (!Number.isFinite(value)) return String(check.deviation);
  const sign = value > 0 ? "+" : "";
  if (!check.rule.relative) return `${sign}${formatNumber(value)}`;
  return `${sign}${Number((value * 100).toPrecision(3))}%`;
}

async function runCheck(name, version) {
  const error = $("check-error");
  const rules = $("check-rules").value.split("\n").map((line) => line.trim()).filter(Boolean);
  const show = (text) => {
    error.hidden = !text;
    error.textContent = text || "";
    $("check-rules").setAttribute("aria-invalid", text ? "true" : "false");
  };
  let windowS;
  try {
    windowS = parseWindow($("check-window").value);
  } catch (failure) {
    show(failure.message);
    return;
  }
  if (!rules.length) {
    show("rules: write at least one rule, e.g. accuracy>=-0.02rel");
    return;
  }
  const button = $("check-form").querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const answer = await apiPost(`${MONITORING}/check`, {
      name,
      version,
      rules,
      default_window_s: windowS === null ? undefined : windowS,
    });
    show("");
    showReport(answer.report);
  } catch (failure) {
    show(failure.message);
    $("check-report").hidden = true;
  } finally {
    button.disabled = false;
  }
}

function showReport(report) {
  const checks = report.checks || [];
  const failed = checks.filter((check) => !check.passed).length;
  const summary = $("check-summary");
  summary.className = `check-summary ${report.passed ? "check-pass" : "check-fail"}`;
  replaceChildren(
    summary,
    el("strong", {}, report.passed ? "Passed" : "Failed"),
    ` — ${checks.length} rule${checks.length === 1 ? "" : "s"}: ${checks.length - failed} passed, ${failed} failed. `,
    el("span", { className: "muted" }, `Baseline ${ORIGINS[report.baseline_origin] || report.baseline_origin}; as of ${formatTime(report.checked_at)}.`),
  );
  replaceChildren(
    $("report-body"),
    checks.map((check) =>
      el(
        "tr",
        { className: check.passed ? "check-row pass" : "check-row fail", "data-metric": check.rule.metric },
        el("th", { scope: "row" }, check.rule.metric),
        el("td", {}, el("code", {}, check.rule_text)),
        el("td", { className: "num" }, check.baseline === undefined ? "—" : formatNumber(check.baseline)),
        el("td", { className: "num" }, check.observed === undefined ? "—" : formatNumber(check.observed)),
        el("td", { className: "num" }, String(check.observations || 0)),
        el("td", { className: "num" }, formatDeviation(check)),
        el(
          "td",
          { className: "result-cell" },
          el("span", { className: `verdict ${check.passed ? "verdict-pass" : "verdict-fail"}` }, check.passed ? "pass" : "FAIL"),
          check.reason ? el("span", { className: "reason" }, check.reason) : null,
        ),
      ),
    ),
  );
  $("check-report").hidden = false;
}
