// The compare page's diff table: params, latest metrics and tags, one column per run; rows whose
// values differ are highlighted, the best value of each metric is starred.
import { bestRunIds, lowerIsBetter } from "./compare_model.js";
import { el, formatNumber, replaceChildren } from "./dom.js";

const SECTIONS = [
  { kind: "params", label: "Params" },
  { kind: "metrics", label: "Metrics" },
  { kind: "tags", label: "Tags" },
];

function runHeader(item) {
  const swatch = el("span", { className: "swatch", "aria-hidden": "true" });
  swatch.style.background = item.color;
  return el(
    "th",
    { scope: "col", className: "run-col", "data-run-id": item.id, title: item.name },
    el("span", { className: "run-col-label" }, swatch, el("a", { href: `/runs/${encodeURIComponent(item.id)}` }, item.name)),
  );
}

/** Create the diff table of `runs` over `columns` (from buildColumns) in #diff-section. */
export function createDiffTable(runs, columns) {
  const head = document.getElementById("diff-head");
  const body = document.getElementById("diff-body");
  const onlyDiffs = document.getElementById("diff-only");
  const summary = document.getElementById("diff-summary");
  // Per metric: whether lower values are better (guessed from the name, flippable).
  const lowerBetter = new Map(columns.metrics.map((metric) => [metric.key, lowerIsBetter(metric.key)]));

  function directionButton(metric) {
    const lower = lowerBetter.get(metric.key);
    return el(
      "button",
      {
        type: "button",
        className: "direction",
        "aria-label": `${metric.key}: ${lower ? "lower" : "higher"} is better; switch`,
        title: `${lower ? "Lower" : "Higher"} is better (click to switch)`,
        onClick: () => {
          lowerBetter.set(metric.key, !lower);
          render();
          body.querySelector(`tr[data-key="metrics.${CSS.escape(metric.key)}"] button.direction`)?.focus();
        },
      },
      lower ? "↓" : "↑",
    );
  }

  function cell(column, item, best) {
    const value = column.values.get(item.id);
    if (value === undefined) {
      const className = column.numeric ? "missing num" : "missing";
      return el("td", { className, "data-run-id": item.id }, el("span", { title: "not logged" }, "—"));
    }
    const isMetric = column.kind === "metrics";
    const text = isMetric ? formatNumber(value) : String(value);
    const isBest = best.has(item.id);
    return el(
      "td",
      {
        className: [column.numeric ? "num" : "", isBest ? "best" : ""].join(" ").trim(),
        "data-run-id": item.id,
        title: String(value),
      },
      isBest ? el("span", { className: "best-mark", "aria-label": "best", title: "best value" }, "★") : null,
      text,
    );
  }

  function row(column) {
    const best = column.kind === "metrics" ? bestRunIds(column, lowerBetter.get(column.key)) : new Set();
    const label = el(
      "th",
      { scope: "row", className: "key-col", title: column.key },
      el("span", { className: "key-label" }, column.key),
      column.kind === "metrics" ? directionButton(column) : null,
    );
    return el(
      "tr",
      { "data-key": column.id, className: column.differs ? "differs" : "" },
      label,
      runs.map((item) => cell(column, item, best)),
    );
  }

  function render() {
    const rows = [];
    const counts = [];
    for (const { kind, label } of SECTIONS) {
      const all = columns[kind];
      if (!all.length) continue;
      const differing = all.filter((column) => column.differs).length;
      if (kind !== "tags" || differing) counts.push(`${differing} of ${all.length} ${label.toLowerCase()} differ`);
      const shown = onlyDiffs.checked ? all.filter((column) => column.differs) : all;
      rows.push(
        el(
          "tr",
          { className: "section-row" },
          el("th", { scope: "rowgroup", colspan: runs.length + 1 }, label, el("span", { className: "muted count" }, ` ${all.length}`)),
        ),
      );
      if (!shown.length) {
        rows.push(el("tr", { className: "note-row" }, el("td", { colspan: runs.length + 1, className: "muted" }, `All ${label.toLowerCase()} are equal.`)));
      }
      rows.push(shown.map(row));
    }
    if (!rows.length) {
      rows.push(el("tr", {}, el("td", { colspan: runs.length + 1, className: "empty" }, "These runs have no params, metrics or tags.")));
    }
    replaceChildren(head, el("th", { scope: "col", className: "key-col" }, "Key"), runs.map(runHeader));
    replaceChildren(body, rows);
    summary.textContent = counts.join(" · ");
  }

  onlyDiffs.addEventListener("change", render);
  render();
}
