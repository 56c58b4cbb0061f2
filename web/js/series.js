// Pure functions for the dashboard: TensorBoard's smoothing, the y range that ignores outliers, nearest-point
// look-up, the labels of the time axes, a run's colour with transparency, HTML escaping. No DOM here.

// TensorBoard's debiased exponential moving average: last = last*w + (1-w)*y, divided by 1 - w^n so the
// first points are not pulled towards 0. Non-finite values pass through and do not enter the average; a
// constant series is left as it is.
export function smooth(values, weight) {
  const out = new Array(values.length);
  const first = values.find(Number.isFinite);
  if (weight <= 0 || values.every((v) => v === first)) return values.slice();
  let last = 0, n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) { out[i] = v; continue; }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = weight === 1 ? last : last / (1 - Math.pow(weight, n));
  }
  return out;
}

// The y range of `arrays` (finite values only) between the 5 % and 95 % quantiles, widened by a tenth,
// as TensorBoard's "ignore outliers in chart scaling"; null when there is nothing finite.
export function robustRange(arrays) {
  const all = [];
  for (const a of arrays) for (const v of a) if (v != null && Number.isFinite(v)) all.push(v);
  if (!all.length) return null;
  all.sort((a, b) => a - b);
  const q = (p) => all[Math.min(all.length - 1, Math.max(0, Math.round(p * (all.length - 1))))];
  let lo = q(0.05), hi = q(0.95);
  if (lo === hi) { lo -= Math.abs(lo) * 0.1 || 1; hi += Math.abs(hi) * 0.1 || 1; }
  const pad = (hi - lo) * 0.1;
  return [lo - pad, hi + pad];
}

// Index of the value in the sorted array `xs` nearest to `x` (-1 for an empty array).
export function nearest(xs, x) {
  if (!xs.length) return -1;
  let lo = 0, hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid; else hi = mid;
  }
  return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
}

// "45s", "12m 5s", "3h 20m", "2d 4h": a relative time in seconds as TensorBoard labels it.
export function duration(seconds) {
  const s = Math.abs(seconds), sign = seconds < 0 ? "-" : "";
  if (s < 1) return `${sign}${s.toFixed(2)}s`;
  if (s < 60) return `${sign}${s.toFixed(s < 10 ? 1 : 0)}s`;
  const units = [[86400, "d"], [3600, "h"], [60, "m"], [1, "s"]];
  const parts = [];
  let left = Math.round(s);
  for (const [size, name] of units) {
    if (left >= size || (parts.length && parts.length < 2)) {
      parts.push(`${Math.floor(left / size)}${name}`);
      left %= size;
    }
    if (parts.length === 2) break;
  }
  return sign + parts.join(" ");
}

// A number as a read-out shows it: 4 significant digits, exponent form when very large or small.
export function formatValue(v) {
  if (v == null) return "–";
  if (typeof v === "string") return v;
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

// JSON carries NaN and infinities as strings (as the server sends them): back to numbers.
export function toNumber(v) {
  if (typeof v === "number") return v;
  return v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : Number(v);
}

// "#rrggbb" with transparency `alpha` (the colour itself at 1).
export function withAlpha(hex, alpha) {
  if (alpha >= 1) return hex;
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${alpha})`;
}

export function escapeHTML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
