// The compare page's one hover tooltip: a run's colour, name and values next to the pointer.
import { el, replaceChildren } from "./dom.js";

const OFFSET_PX = 14;
let owner = null; // the element whose tooltip shows, so another one's leave does not hide it

function box() {
  return document.getElementById("chart-tooltip");
}

/**
 * Show the tooltip of `element` for `item` (a compared run) with `rows` of `[label, value]`
 * near the viewport point (`x`, `y`). Text only: names and values are never parsed as HTML.
 */
export function showTooltip(element, item, rows, x, y) {
  owner = element;
  const tooltip = box();
  const swatch = el("span", { className: "swatch", "aria-hidden": "true" });
  swatch.style.background = item.color;
  replaceChildren(
    tooltip,
    el("div", { className: "tooltip-title" }, swatch, el("span", {}, item.name)),
    rows.map(([label, value]) => el("div", { className: "tooltip-row" }, el("span", { className: "muted" }, label), el("span", {}, value))),
  );
  tooltip.hidden = false;
  const { width, height } = tooltip.getBoundingClientRect();
  const left = x + OFFSET_PX + width > window.innerWidth ? x - OFFSET_PX - width : x + OFFSET_PX;
  const top = y + OFFSET_PX + height > window.innerHeight ? y - OFFSET_PX - height : y + OFFSET_PX;
  tooltip.style.left = `${Math.max(4, left)}px`;
  tooltip.style.top = `${Math.max(4, top)}px`;
}

/** Show the tooltip beside an element (for keyboard focus, where there is no pointer). */
export function showTooltipAt(item, rows, element) {
  const rect = element.getBoundingClientRect();
  showTooltip(element, item, rows, rect.right, rect.top + rect.height / 2);
}

/** Hide the tooltip if `element` (or, without it, anyone) shows it. */
export function hideTooltip(element = null) {
  if (element !== null && element !== owner) return;
  owner = null;
  box().hidden = true;
}
