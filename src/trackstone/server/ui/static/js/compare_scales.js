// Scales and ticks for the compare page's SVG charts: linear, log and categorical axes.
import { formatNumber } from "./dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";

/** Create an SVG element with attributes; strings among `children` become text nodes. */
export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

function linearTicks(min, max, count) {
  const step = niceStep(max - min, count);
  const ticks = [];
  for (let value = Math.ceil(min / step) * step; value <= max + step * 1e-9; value += step) {
    ticks.push(Number(value.toPrecision(12)));
  }
  return ticks;
}

function logTicks(min, max) {
  const ticks = [];
  for (let power = Math.floor(Math.log10(min)); power <= Math.ceil(Math.log10(max)); power += 1) {
    const value = 10 ** power;
    if (value >= min * (1 - 1e-9) && value <= max * (1 + 1e-9)) ticks.push(Number(value.toPrecision(12)));
  }
  return ticks.length >= 2 ? ticks : [min, max];
}

/** Whether `values` (finite numbers) span enough decades, all positive, to read better on a log axis. */
export function suitsLog(values) {
  if (values.length < 2 || values.some((value) => value <= 0)) return false;
  return Math.max(...values) / Math.min(...values) >= 100;
}

/**
 * A numeric scale from the domain of `values` onto `[from, to]` pixels: `{kind, map, ticks,
 * format, log}`. A single value gets a padded domain so that it lands mid-axis.
 */
export function numericScale(values, from, to, { log = false, pad = 0.06, tickCount = 5 } = {}) {
  const useLog = log && values.length > 0 && values.every((value) => value > 0);
  const project = useLog ? Math.log10 : (value) => value;
  let low = Math.min(...values.map(project));
  let high = Math.max(...values.map(project));
  if (!values.length) [low, high] = [0, 1];
  if (low === high) {
    const spread = useLog ? 0.5 : Math.abs(low) * 0.1 || 1;
    low -= spread;
    high += spread;
  } else {
    const margin = (high - low) * pad;
    low -= margin;
    high += margin;
  }
  const map = (value) => from + ((project(value) - low) / (high - low)) * (to - from);
  const ticks = useLog ? logTicks(10 ** low, 10 ** high) : linearTicks(low, high, tickCount);
  return { kind: "numeric", log: useLog, map, ticks, format: formatNumber };
}

/** A categorical scale placing `categories` evenly (centred in their bands) on `[from, to]`. */
export function categoryScale(categories, from, to) {
  const band = (to - from) / Math.max(1, categories.length);
  const position = new Map(categories.map((category, index) => [category, from + band * (index + 0.5)]));
  return {
    kind: "category",
    log: false,
    map: (value) => position.get(String(value)),
    ticks: categories,
    format: (value) => String(value),
    band,
  };
}

/** The categories of `values` in a stable order: numeric-looking ones by value, others by text. */
export function sortCategories(values) {
  return [...new Set(values.map(String))].sort((a, b) => {
    const [x, y] = [Number(a), Number(b)];
    if (Number.isFinite(x) && Number.isFinite(y) && a.trim() && b.trim()) return x - y;
    return a.localeCompare(b);
  });
}

/** `text` cut to `maxChars` with an ellipsis, for labels in tight places. */
export function truncate(text, maxChars) {
  const value = String(text);
  return value.length <= maxChars ? value : `${value.slice(0, Math.max(1, maxChars - 1))}…`;
}
