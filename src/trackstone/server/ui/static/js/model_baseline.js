// The version page's baseline form: set the explicit baseline as `key=value` lines, or clear
// it (the source run's latest metrics count again), through the baseline set endpoint.
import { apiPost } from "./api.js";
import { MONITORING } from "./models_api.js";

const $ = (id) => document.getElementById(id);
// Protobuf JSON spells the non-finite numbers as strings; the server reads them back.
const SPECIAL_VALUES = { nan: "NaN", inf: "Infinity", "+inf": "Infinity", infinity: "Infinity", "-inf": "-Infinity", "-infinity": "-Infinity" };

/**
 * Parse `key=value` lines into the wire's [{key, value}] (blank lines skipped); throw an Error
 * naming the line when one is not a key, `=` and a number.
 */
export function parseBaselineLines(text) {
  const metrics = [];
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const at = line.indexOf("=");
    const key = at < 0 ? "" : line.slice(0, at).trim();
    const written = at < 0 ? "" : line.slice(at + 1).trim();
    if (!key || !written) {
      throw new Error(`line ${index + 1}: expected key=value, e.g. accuracy=0.92, got '${line}'`);
    }
    const special = SPECIAL_VALUES[written.toLowerCase()];
    const value = special ?? Number(written);
    if (special === undefined && (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(written) || !Number.isFinite(value))) {
      throw new Error(`line ${index + 1}: the value of ${key} must be a number, got '${written}'`);
    }
    metrics.push({ key, value });
  });
  return metrics;
}

/** The lines that write `metrics` ([{key, value}]) back, for editing. */
export function formatBaselineLines(metrics) {
  return metrics.map((item) => `${item.key}=${item.value}`).join("\n");
}

/**
 * Wire the form of version `version` of `name`. `current()` gives the baseline answer shown
 * ({metrics, origin}); `changed(message)` is called after a save or clear.
 */
export function startBaselineForm({ name, version, current, changed }) {
  const form = $("baseline-form");
  const box = $("baseline-input");
  const clear = $("baseline-clear");
  const error = $("baseline-error");
  const show = (text) => {
    error.hidden = !text;
    error.textContent = text || "";
    box.setAttribute("aria-invalid", text ? "true" : "false");
  };
  const send = async (metrics, message) => {
    for (const button of form.querySelectorAll("button")) button.disabled = true;
    try {
      await apiPost(`${MONITORING}/baseline/set`, { name, version, metrics });
      show("");
      await changed(message);
    } catch (failure) {
      show(failure.message);
    } finally {
      for (const button of form.querySelectorAll("button")) button.disabled = false;
      clear.disabled = current().origin !== "explicit";
    }
  };
  $("baseline-editor").addEventListener("toggle", () => {
    if ($("baseline-editor").open && !box.value) box.value = formatBaselineLines(current().metrics || []);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    let metrics;
    try {
      metrics = parseBaselineLines(box.value);
    } catch (failure) {
      show(failure.message);
      return;
    }
    if (!metrics.length) {
      show("metrics: write at least one key=value line, or use Clear to drop the baseline");
      return;
    }
    send(metrics, `Baseline set: ${metrics.length} metric${metrics.length === 1 ? "" : "s"}.`);
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  clear.addEventListener("click", () => {
    box.value = "";
    send([], "Explicit baseline cleared.");
  });
  return {
    /** Refresh what depends on the shown baseline (the Clear button). */
    update() {
      clear.disabled = current().origin !== "explicit";
    },
  };
}
