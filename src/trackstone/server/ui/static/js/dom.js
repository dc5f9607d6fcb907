// Building DOM nodes from data without ever parsing data as HTML, and formatting values.

/**
 * Create an element. `attributes` are set as attributes (or as properties for `on*` handlers
 * and `className`); children are nodes or strings, and strings always become text nodes.
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "className") {
      node.className = value;
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace every child of `node` with `children`. */
export function replaceChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

const pad = (number) => String(number).padStart(2, "0");

/** `2024-05-01 13:45:10` in the browser's time zone, or "" for a missing time. */
export function formatTime(ms) {
  if (ms === undefined || ms === null || ms === "") return "";
  const date = new Date(Number(ms));
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** "3 min ago"-style age of a time, for recent activity. */
export function formatAge(ms, nowMs = Date.now()) {
  if (ms === undefined || ms === null) return "";
  const seconds = Math.max(0, Math.round((nowMs - Number(ms)) / 1000));
  if (seconds < 60) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 60) return `${days} days ago`;
  return formatTime(ms).slice(0, 10);
}

/** `1h 02m`, `3m 05s`, `4.2s` for a duration in milliseconds; "" when unknown. */
export function formatDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms) || ms < 0) return "";
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${pad(Math.floor(seconds % 60))}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d ${pad(hours % 24)}h`;
}

/** A metric value with at most 6 significant digits; NaN and infinities spelled out. */
export function formatNumber(value) {
  if (value === undefined || value === null) return "";
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  if (Number.isInteger(number) && Math.abs(number) < 1e15) return String(number);
  return String(Number(number.toPrecision(6)));
}

/** Run `callback` once typing pauses for `delayMs`. */
export function debounce(callback, delayMs) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => callback(...args), delayMs);
  };
}

/** Show `text` in the page's status line (`#message`), as an error when `isError`. */
export function showMessage(text, { isError = false, action = null } = {}) {
  const box = document.getElementById("message");
  if (!box) return;
  box.hidden = !text;
  box.classList.toggle("message-error", isError);
  replaceChildren(box, text || "", action ? [" ", action] : []);
}
