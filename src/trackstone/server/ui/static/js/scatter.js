// The compare page's scatter: one point per run, any param or metric on x against any on y;
// text-valued params become categories. Drawn in SVG by our own code.
import { categoryScale, numericScale, sortCategories, suitsLog, svg, truncate } from "./compare_scales.js";
import { hideTooltip, showTooltip, showTooltipAt } from "./compare_tooltip.js";
import { el, formatNumber, replaceChildren } from "./dom.js";

const MARGIN = { top: 14, right: 18, bottom: 50, left: 70 };
const POINT_RADIUS = 6;
const CHAR_PX = 6.6; // average width of a tick label character at 11.5px

function options(groups) {
  return groups
    .filter(({ columns }) => columns.length)
    .map(({ label, columns }) => el("optgroup", { label }, columns.map((column) => el("option", { value: column.id }, column.key))));
}

function defaultX(columns) {
  const params = columns.params;
  const spread = (column) => new Set(column.values.values()).size;
  const numeric = params.filter((column) => column.differs && column.numeric).sort((a, b) => spread(b) - spread(a));
  return (
    numeric[0] ||
    params.find((column) => column.differs) ||
    params[0] ||
    columns.metrics[0]
  );
}

function defaultY(columns, x) {
  const metrics = columns.metrics.filter((column) => column !== x);
  return metrics.find((column) => column.differs) || metrics[0] || columns.params.find((column) => column !== x);
}

function display(column, value) {
  return column.kind === "metrics" ? formatNumber(value) : String(value);
}

/** Build the scale of one axis over the plotted runs' values of `column`. */
function axisScale(column, runs, from, to, log) {
  const values = runs.map((item) => column.values.get(item.id));
  if (column.numeric) return numericScale(values.map(Number), from, to, { log });
  return categoryScale(sortCategories(values), from, to);
}

/** Create the scatter in #scatter-section for `runs` over `columns` (from buildColumns). */
export function createScatter(runs, columns) {
  const $ = (id) => document.getElementById(id);
  const [xSelect, ySelect, logX, logY, target, note] = [
    $("scatter-x"), $("scatter-y"), $("scatter-log-x"), $("scatter-log-y"), $("scatter-chart"), $("scatter-note"),
  ];
  const byId = new Map([...columns.params, ...columns.metrics].map((column) => [column.id, column]));
  if (!byId.size) {
    replaceChildren(target, el("p", { className: "empty" }, "These runs have no params or metrics to plot."));
    for (const control of [xSelect, ySelect, logX, logY]) control.disabled = true;
    return;
  }
  replaceChildren(xSelect, options([{ label: "Params", columns: columns.params }, { label: "Metrics", columns: columns.metrics }]));
  replaceChildren(ySelect, options([{ label: "Metrics", columns: columns.metrics }, { label: "Params", columns: columns.params }]));
  const x = defaultX(columns);
  xSelect.value = x.id;
  ySelect.value = (defaultY(columns, x) || x).id;

  /** Enable log only where it can work; on a new column, tick it when the values span decades. */
  function updateLogBoxes(xColumn, yColumn, plotted, changed) {
    for (const [box, column] of [[logX, xColumn], [logY, yColumn]]) {
      const numbers = plotted.map((item) => Number(column.values.get(item.id)));
      const positive = column.numeric && numbers.every((value) => value > 0);
      box.disabled = !positive;
      if (!positive) box.checked = false;
      else if (changed === null || changed === box.dataset.select) box.checked = suitsLog(numbers);
      box.parentElement.title = positive ? "" : column.numeric ? "Needs values above zero" : "Text values are categories";
    }
  }

  function gridAndTicks(scale, axis, width, height) {
    const nodes = [];
    for (const tick of scale.ticks) {
      const at = scale.map(tick);
      if (at === undefined || !Number.isFinite(at)) continue;
      const label = scale.kind === "category" ? truncate(tick, Math.max(3, Math.floor((scale.band - 6) / CHAR_PX))) : scale.format(tick);
      if (axis === "x") {
        nodes.push(svg("line", { class: "grid", x1: at, x2: at, y1: MARGIN.top, y2: height - MARGIN.bottom }));
        nodes.push(svg("text", { class: "tick", x: at, y: height - MARGIN.bottom + 16, "text-anchor": "middle" }, svg("title", {}, String(tick)), label));
      } else {
        nodes.push(svg("line", { class: "grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: at, y2: at }));
        nodes.push(svg("text", { class: "tick", x: MARGIN.left - 8, y: at + 4, "text-anchor": "end" }, svg("title", {}, String(tick)), truncate(label, 9)));
      }
    }
    return nodes;
  }

  function point(item, xColumn, yColumn, xScale, yScale) {
    const [xValue, yValue] = [xColumn.values.get(item.id), yColumn.values.get(item.id)];
    const rows = [
      [xColumn.key, display(xColumn, xValue)],
      [yColumn.key, display(yColumn, yValue)],
      ["Experiment", item.experimentName],
    ];
    const label = `${item.name}: ${xColumn.key} ${display(xColumn, xValue)}, ${yColumn.key} ${display(yColumn, yValue)}`;
    const circle = svg("circle", {
      class: "point",
      cx: xScale.map(xColumn.numeric ? Number(xValue) : xValue),
      cy: yScale.map(yColumn.numeric ? Number(yValue) : yValue),
      r: POINT_RADIUS,
      fill: item.color,
      tabindex: 0,
      role: "img",
      "aria-label": label,
      "data-run-id": item.id,
      "data-x": String(xValue),
      "data-y": String(yValue),
    });
    circle.addEventListener("pointermove", (event) => showTooltip(circle, item, rows, event.clientX, event.clientY));
    circle.addEventListener("pointerleave", () => hideTooltip(circle));
    circle.addEventListener("focus", () => showTooltipAt(item, rows, circle));
    circle.addEventListener("blur", () => hideTooltip(circle));
    return circle;
  }

  function render(changed = undefined) {
    const [xColumn, yColumn] = [byId.get(xSelect.value), byId.get(ySelect.value)];
    const plotted = runs.filter((item) => xColumn.values.has(item.id) && yColumn.values.has(item.id));
    const left = runs.filter((item) => !plotted.includes(item));
    note.hidden = !left.length;
    note.textContent = left.length ? `Not shown (no ${xColumn.key} or ${yColumn.key}): ${left.map((item) => item.name).join(", ")}` : "";
    updateLogBoxes(xColumn, yColumn, plotted, changed);
    const width = Math.max(300, target.clientWidth);
    const height = Math.round(Math.min(370, Math.max(240, width * 0.7)));
    const xScale = axisScale(xColumn, plotted, MARGIN.left, width - MARGIN.right, logX.checked);
    const yScale = axisScale(yColumn, plotted, height - MARGIN.bottom, MARGIN.top, logY.checked);
    const chart = svg(
      "svg",
      {
        class: "scatter",
        width,
        height,
        viewBox: `0 0 ${width} ${height}`,
        role: "group",
        "aria-label": `Scatter of ${yColumn.key} against ${xColumn.key}, one point per run`,
        "data-x-kind": xScale.kind,
        "data-y-kind": yScale.kind,
      },
      svg("g", { class: "x-axis", "data-scale": xScale.log ? "log" : xScale.kind }, gridAndTicks(xScale, "x", width, height)),
      svg("g", { class: "y-axis", "data-scale": yScale.log ? "log" : yScale.kind }, gridAndTicks(yScale, "y", width, height)),
      svg("line", { class: "axis-line", x1: MARGIN.left, x2: width - MARGIN.right, y1: height - MARGIN.bottom, y2: height - MARGIN.bottom }),
      svg("line", { class: "axis-line", x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: height - MARGIN.bottom }),
      svg("text", { class: "axis-title", x: (MARGIN.left + width - MARGIN.right) / 2, y: height - 10, "text-anchor": "middle" },
        `${xColumn.key}${xScale.log ? " (log)" : ""}`),
      svg("text", { class: "axis-title", transform: `translate(14 ${(MARGIN.top + height - MARGIN.bottom) / 2}) rotate(-90)`, "text-anchor": "middle" },
        truncate(`${yColumn.key}${yScale.log ? " (log)" : ""}`, 40)),
      svg("g", { class: "points" }, plotted.map((item) => point(item, xColumn, yColumn, xScale, yScale))),
    );
    hideTooltip();
    replaceChildren(target, chart);
  }

  logX.dataset.select = "x";
  logY.dataset.select = "y";
  xSelect.addEventListener("change", () => render("x"));
  ySelect.addEventListener("change", () => render("y"));
  for (const box of [logX, logY]) box.addEventListener("change", () => render());
  let lastWidth = 0;
  new ResizeObserver(() => {
    if (Math.abs(target.clientWidth - lastWidth) > 1) {
      lastWidth = target.clientWidth;
      render();
    }
  }).observe(target);
  render(null);
}
