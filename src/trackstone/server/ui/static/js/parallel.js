// The compare page's parallel coordinates: one vertical axis per chosen param or metric
// (numeric, log when values span decades, or categorical) and one line per run across them.
import { categoryScale, numericScale, sortCategories, suitsLog, svg, truncate } from "./compare_scales.js";
import { hideTooltip, showTooltip, showTooltipAt } from "./compare_tooltip.js";
import { el, formatNumber, replaceChildren } from "./dom.js";

const MARGIN = { top: 46, right: 70, bottom: 22, left: 70 };
const MIN_AXIS_GAP_PX = 120;
const HEIGHT_PX = 340;
const DEFAULT_PARAMS = 6;
const DEFAULT_METRICS = 4;
const NA_Y = HEIGHT_PX - MARGIN.bottom; // where a missing value sits, under its axis
const NA_GAP_PX = 28;

function defaultChoice(columns, runCount) {
  // Columns that tell runs apart come first, those every run has before the partial ones.
  const rank = (column) => (column.differs ? 0 : 2) + (column.values.size < runCount ? 1 : 0);
  const byDifference = (list) => [...list].sort((a, b) => rank(a) - rank(b));
  return [
    ...byDifference(columns.params).slice(0, DEFAULT_PARAMS),
    ...byDifference(columns.metrics).slice(0, DEFAULT_METRICS),
  ].map((column) => column.id);
}

function display(column, value) {
  return column.kind === "metrics" ? formatNumber(value) : String(value);
}

/** The scale of an axis; `bottom` leaves room under it for the "n/a" slot when needed. */
function scaleOf(column, runs, bottom) {
  const values = runs.map((item) => column.values.get(item.id)).filter((value) => value !== undefined);
  const top = MARGIN.top;
  if (column.numeric) {
    const numbers = values.map(Number).filter(Number.isFinite);
    return numericScale(numbers, bottom, top, { log: suitsLog(numbers), pad: 0.04 });
  }
  return categoryScale(sortCategories(values), bottom, top);
}

/** Create the parallel coordinates in #parallel-section for `runs` over `columns`. */
export function createParallel(runs, columns) {
  const $ = (id) => document.getElementById(id);
  const [target, note, button, panel, optionsBox] = [
    $("parallel-chart"), $("parallel-note"), $("parallel-columns-button"), $("parallel-columns-panel"), $("parallel-column-options"),
  ];
  const all = [...columns.params, ...columns.metrics];
  const byId = new Map(all.map((column) => [column.id, column]));
  const inListOrder = (ids) => all.map((column) => column.id).filter((id) => ids.includes(id));
  let chosen = inListOrder(defaultChoice(columns, runs.length));

  function renderOptions() {
    const groups = [
      { label: "Params", list: columns.params },
      { label: "Metrics", list: columns.metrics },
    ].filter(({ list }) => list.length);
    replaceChildren(
      optionsBox,
      groups.map(({ label, list }) =>
        el(
          "fieldset",
          {},
          el("legend", {}, label),
          list.map((column) => {
            const box = el("input", { type: "checkbox", "data-column": column.id });
            box.checked = chosen.includes(column.id);
            box.addEventListener("change", () => {
              // Axes keep the params-then-metrics order of the list, whatever the click order.
              chosen = inListOrder(box.checked ? [...chosen, column.id] : chosen.filter((id) => id !== column.id));
              render();
            });
            return el("label", { className: "check" }, box, " ", column.key, column.differs ? null : el("span", { className: "muted" }, " (same)"));
          }),
        ),
      ),
    );
  }

  function setPanel(open) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) panel.querySelector("input")?.focus();
  }
  button.addEventListener("click", () => setPanel(panel.hidden));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      setPanel(false);
      button.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!panel.hidden && !panel.contains(event.target) && event.target !== button) setPanel(false);
  });

  function axis(column, scale, x, withMissing) {
    const ticks = scale.ticks.map((tick) => {
      const y = scale.map(tick);
      if (y === undefined || !Number.isFinite(y)) return null;
      const text = scale.kind === "category" ? truncate(tick, 14) : scale.format(tick);
      return svg(
        "g",
        { class: "tick" },
        svg("line", { x1: x - 4, x2: x, y1: y, y2: y }),
        svg("text", { x: x - 7, y: y + 4, "text-anchor": "end" }, svg("title", {}, String(tick)), text),
      );
    });
    const kind = column.kind === "metrics" ? "metric" : "param";
    return svg(
      "g",
      { class: `axis axis-${kind}`, "data-column": column.id, "data-scale": scale.log ? "log" : scale.kind },
      svg("line", { class: "axis-line", x1: x, x2: x, y1: MARGIN.top, y2: withMissing ? NA_Y - NA_GAP_PX / 2 : NA_Y }),
      withMissing ? svg("text", { class: "na-label", x: x - 7, y: NA_Y + 4, "text-anchor": "end" }, "n/a") : null,
      withMissing ? svg("circle", { class: "na-mark", cx: x, cy: NA_Y, r: 2.5 }) : null,
      svg("text", { class: "axis-kind", x, y: 14, "text-anchor": "middle" }, scale.log ? `${kind} · log` : kind),
      svg("text", { class: "axis-title", x, y: 30, "text-anchor": "middle" }, svg("title", {}, column.key), truncate(column.key, 18)),
      ticks,
    );
  }

  function line(item, chosenColumns, scales, xs) {
    const rows = [["Experiment", item.experimentName]];
    const points = chosenColumns.map((column, index) => {
      const value = column.values.get(item.id);
      rows.push([column.key, value === undefined ? "n/a" : display(column, value)]);
      const y = value === undefined ? undefined : scales[index].map(column.numeric ? Number(value) : value);
      const missing = y === undefined || !Number.isFinite(y);
      return { x: xs[index].toFixed(1), y: (missing ? NA_Y : y).toFixed(1), missing };
    });
    // Segments touching a missing value go to the axis' "n/a" slot, dashed.
    let d = "";
    let dashed = "";
    points.forEach((point, index) => {
      if (index === 0) return;
      const previous = points[index - 1];
      const segment = `M${previous.x} ${previous.y} L${point.x} ${point.y} `;
      if (point.missing || previous.missing) dashed += segment;
      else d += segment;
    });
    const all = points.map((point, index) => `${index ? "L" : "M"}${point.x} ${point.y}`).join(" ");
    const label = `${item.name}: ${rows.slice(1).map(([key, value]) => `${key} ${value}`).join(", ")}`;
    const group = svg(
      "g",
      { class: "run-line", "data-run-id": item.id, tabindex: 0, role: "img", "aria-label": label },
      svg("path", { class: "hit", d: all }),
      svg("path", { class: "stroke", d, stroke: item.color }),
      svg("path", { class: "stroke dashed", d: dashed, stroke: item.color }),
    );
    const activate = (on) => {
      const chart = group.ownerSVGElement;
      group.classList.toggle("active", on);
      chart.classList.toggle("has-active", on);
      // A copy in the highlight layer draws the active line above the others.
      const layer = chart.querySelector("g.highlight");
      replaceChildren(
        layer,
        on ? [svg("path", { class: "stroke", d, stroke: item.color }), svg("path", { class: "stroke dashed", d: dashed, stroke: item.color })] : null,
      );
    };
    group.addEventListener("pointerenter", () => activate(true));
    group.addEventListener("pointermove", (event) => showTooltip(group, item, rows, event.clientX, event.clientY));
    group.addEventListener("pointerleave", () => {
      activate(false);
      hideTooltip(group);
    });
    group.addEventListener("focus", () => {
      activate(true);
      showTooltipAt(item, rows, group);
    });
    group.addEventListener("blur", () => {
      activate(false);
      hideTooltip(group);
    });
    return group;
  }

  function render() {
    const chosenColumns = chosen.map((id) => byId.get(id));
    button.textContent = `Axes (${chosenColumns.length})`;
    if (chosenColumns.length < 2) {
      note.hidden = true;
      replaceChildren(target, el("p", { className: "empty" }, "Choose at least two axes with Axes."));
      return;
    }
    const width = Math.max(target.clientWidth, MARGIN.left + MARGIN.right + MIN_AXIS_GAP_PX * (chosenColumns.length - 1));
    const gap = (width - MARGIN.left - MARGIN.right) / (chosenColumns.length - 1);
    const xs = chosenColumns.map((_, index) => MARGIN.left + gap * index);
    const incomplete = chosenColumns.map((column) => runs.some((item) => !column.values.has(item.id)));
    const anyMissing = incomplete.some(Boolean);
    const bottom = anyMissing ? NA_Y - NA_GAP_PX : NA_Y;
    const scales = chosenColumns.map((column) => scaleOf(column, runs, bottom));
    note.hidden = !anyMissing;
    note.textContent = anyMissing ? "Dashed lines lead to n/a where a run has no value for an axis." : "";
    hideTooltip();
    replaceChildren(
      target,
      svg(
        "svg",
        { class: "parallel", width, height: HEIGHT_PX, viewBox: `0 0 ${width} ${HEIGHT_PX}`, role: "group", "aria-label": `Parallel coordinates over ${chosenColumns.length} axes, one line per run` },
        svg("g", { class: "lines" }, runs.map((item) => line(item, chosenColumns, scales, xs))),
        svg("g", { class: "highlight", "aria-hidden": "true" }),
        svg("g", { class: "axes" }, chosenColumns.map((column, index) => axis(column, scales[index], xs[index], incomplete[index]))),
      ),
    );
  }

  renderOptions();
  let lastWidth = 0;
  new ResizeObserver(() => {
    if (Math.abs(target.clientWidth - lastWidth) > 1) {
      lastWidth = target.clientWidth;
      render();
    }
  }).observe(target);
  render();
}
