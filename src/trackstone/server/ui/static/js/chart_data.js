// Metric points -> chart series: x axis modes, non-finite values, log scale and EMA smoothing.

export const X_AXES = {
  step: { label: "Step", time: false },
  wall: { label: "Wall time", time: true },
  relative: { label: "Relative time", time: false },
};

/** The number a wire value stands for ("NaN" and "Infinity" come as strings). */
export function toNumber(value) {
  if (typeof value === "number") return value;
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  return Number(value);
}

/** Keep each distinct point once (by step, timestamp and value), in step order. */
export function mergePoints(...lists) {
  const seen = new Map();
  for (const list of lists) {
    for (const point of list) seen.set(`${point.step}|${point.timestamp}|${point.value}`, point);
  }
  return [...seen.values()].sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
}

/**
 * Exponential moving average with TensorBoard's debiasing, so the start is not pulled to 0;
 * null (gaps) stay null and do not reset the average.
 */
export function smooth(values, weight) {
  if (!(weight > 0)) return values.slice();
  let last = 0;
  let count = 0;
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) return value;
    last = last * weight + (1 - weight) * value;
    count += 1;
    return last / (1 - weight ** count);
  });
}

/**
 * Turn points into uPlot's columns `[xs, ys]` for an x axis mode.
 * Values that cannot be drawn (NaN, infinities; <= 0 on a log scale) become gaps.
 */
export function toColumns(points, { xAxis, logScale, startMs }) {
  const ordered = xAxis === "step" ? points : [...points].sort((a, b) => a.timestamp - b.timestamp || a.step - b.step);
  const xs = new Array(ordered.length);
  const ys = new Array(ordered.length);
  ordered.forEach((point, index) => {
    const timestamp = Number(point.timestamp);
    if (xAxis === "step") xs[index] = Number(point.step);
    else if (xAxis === "wall") xs[index] = timestamp / 1000;
    else xs[index] = (timestamp - startMs) / 1000;
    const value = toNumber(point.value);
    ys[index] = Number.isFinite(value) && (!logScale || value > 0) ? value : null;
  });
  return [xs, ys];
}

/** Short label for seconds since the start: 45s, 12m 05s, 3h 20m. */
export function formatSeconds(seconds) {
  const sign = seconds < 0 ? "-" : "";
  let rest = Math.abs(seconds);
  if (rest < 60) return `${sign}${Number(rest.toPrecision(3))}s`;
  rest = Math.round(rest);
  const h = Math.floor(rest / 3600);
  const m = Math.floor((rest % 3600) / 60);
  const s = rest % 60;
  if (h === 0) return `${sign}${m}m ${String(s).padStart(2, "0")}s`;
  return `${sign}${h}h ${String(m).padStart(2, "0")}m`;
}
