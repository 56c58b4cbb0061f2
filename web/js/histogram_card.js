// One histogram tag of one run on the dashboard, as TensorBoard draws it: the offset view (one curve per
// step, the older behind and fainter) or the distribution view (the median and the bands between the
// quantiles TensorBoard uses: the min and max, ±1.5σ, ±1σ, ±0.5σ of a normal, over steps).
import { escapeHTML, formatValue, withAlpha } from "./series.js";

const BASIS = [0, 0.0668, 0.1587, 0.3085, 0.5, 0.6915, 0.8413, 0.9332, 1];   // TensorBoard's quantiles

export class HistogramCard {
  constructor(run, tag, page) {
    Object.assign(this, { run, tag, page, rows: null, mode: "offset" });
    this.el = document.createElement("section");
    this.el.className = "card histogram";
    this.el.innerHTML = `<div class="card-head"><h3 title="${escapeHTML(tag)}">${escapeHTML(tag)}
        <span class="muted">${escapeHTML(run)}</span></h3>
      <span class="card-tools"><button class="tool mode" aria-pressed="false" title="Offset view or distribution view">distribution</button></span></div>
      <canvas height="240"></canvas><p class="card-note muted"></p>`;
    this.canvas = this.el.querySelector("canvas");
    this.note = this.el.querySelector(".card-note");
    this.el.querySelector(".mode").addEventListener("click", (e) => {
      this.mode = this.mode === "offset" ? "distribution" : "offset";
      e.target.textContent = this.mode === "offset" ? "distribution" : "offset";
      e.target.setAttribute("aria-pressed", String(this.mode === "distribution"));
      this.render();
    });
  }

  async load(force = false) {
    if (this.rows && !force) return this.render();
    const q = new URLSearchParams({ run: this.run, tag: this.tag });
    this.rows = await this.page.fetchJSON(`/api/histograms?${q}`);
    this.render();
  }

  render() {
    if (!this.rows || !this.el.isConnected) return;
    const c = this.canvas, ratio = devicePixelRatio || 1;
    const width = Math.max(240, c.clientWidth || 400), height = 240;
    c.width = width * ratio; c.height = height * ratio;
    const g = c.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const colour = this.page.colour(this.run);
    this.note.textContent = `${this.rows.length} step${this.rows.length === 1 ? "" : "s"}, ` +
      `${this.rows.length ? this.rows[0][1].toLocaleString("en-US") : 0} to ` +
      `${this.rows.length ? this.rows[this.rows.length - 1][1].toLocaleString("en-US") : 0}`;
    if (!this.rows.length) return;
    if (this.mode === "offset") this.offset(g, width, height, colour); else this.distribution(g, width, height, colour);
  }

  offset(g, width, height, colour) {
    const rows = this.rows.slice(-60);                     // at most 60 steps on top of each other
    let lo = Infinity, hi = -Infinity, top = 0;
    for (const [, , b] of rows) for (const [l, r, n] of b) { lo = Math.min(lo, l); hi = Math.max(hi, r); top = Math.max(top, n / Math.max(r - l, 1e-12)); }
    if (hi === lo) { lo -= 0.5; hi += 0.5; }
    const left = 8, right = width - 44, bottom = height - 22, depth = rows.length > 1 ? 90 : 0;
    const xOf = (v) => left + (v - lo) / (hi - lo) * (right - left);
    rows.forEach(([, step, buckets], k) => {
      const shift = rows.length > 1 ? depth * (1 - k / (rows.length - 1)) : 0;
      const base = bottom - shift, scale = (bottom - depth - 10) / top;
      g.beginPath();
      g.moveTo(xOf(buckets[0][0]), base);
      for (const [l, r, n] of buckets) {
        const y = base - (n / Math.max(r - l, 1e-12)) * scale;
        g.lineTo(xOf((l + r) / 2), y);
      }
      g.lineTo(xOf(buckets[buckets.length - 1][1]), base);
      const alpha = 0.35 + 0.65 * (rows.length > 1 ? k / (rows.length - 1) : 1);   // the newer, the stronger
      g.fillStyle = "#ffffff"; g.fill();
      g.fillStyle = withAlpha(colour, alpha); g.fill();
      g.strokeStyle = "rgba(255,255,255,0.8)"; g.lineWidth = 1; g.stroke();
      if (k === rows.length - 1 || k === 0) {
        g.fillStyle = "#6b7385"; g.font = "11px system-ui";
        g.fillText(step.toLocaleString("en-US"), right + 4, base + 4);
      }
    });
    axisLabels(g, lo, hi, xOf, height);
  }

  distribution(g, width, height, colour) {
    const rows = this.rows;
    const qs = rows.map(([, , b]) => BASIS.map((p) => quantile(b, p)));
    let lo = Infinity, hi = -Infinity;
    for (const q of qs) { lo = Math.min(lo, q[0]); hi = Math.max(hi, q[q.length - 1]); }
    if (hi === lo) { lo -= 0.5; hi += 0.5; }
    const first = rows[0][1], last = rows[rows.length - 1][1] === first ? first + 1 : rows[rows.length - 1][1];
    const left = 52, right = width - 10, topY = 8, bottom = height - 22;
    const xOf = (step) => left + (step - first) / (last - first) * (right - left);
    const yOf = (v) => bottom - (v - lo) / (hi - lo) * (bottom - topY);
    for (let band = 0; band < 4; band++) {
      g.beginPath();
      rows.forEach(([, step], i) => g.lineTo(xOf(step), yOf(qs[i][band])));
      for (let i = rows.length - 1; i >= 0; i--) g.lineTo(xOf(rows[i][1]), yOf(qs[i][BASIS.length - 1 - band]));
      g.closePath();
      g.fillStyle = withAlpha(colour, 0.16 + band * 0.12); g.fill();
    }
    g.beginPath();
    rows.forEach(([, step], i) => g.lineTo(xOf(step), yOf(qs[i][4])));
    g.strokeStyle = colour; g.lineWidth = 1.5; g.stroke();
    g.fillStyle = "#6b7385"; g.font = "11px system-ui";
    for (const v of [lo, (lo + hi) / 2, hi]) g.fillText(formatValue(v), 4, yOf(v) + 4);
    g.fillText(first.toLocaleString("en-US"), left, height - 6);
    const lastLabel = rows[rows.length - 1][1].toLocaleString("en-US");
    g.fillText(lastLabel, right - g.measureText(lastLabel).width, height - 6);
  }
}

// The value below which a fraction `p` of the histogram's count lies (linear inside a bucket).
export function quantile(buckets, p) {
  const total = buckets.reduce((s, b) => s + b[2], 0);
  if (!total) return buckets[0][0];
  const want = p * total;
  let seen = 0;
  for (const [l, r, n] of buckets) {
    if (n > 0 && seen + n >= want) return l + (r - l) * Math.min(1, Math.max(0, (want - seen) / n));
    seen += n;
  }
  return buckets[buckets.length - 1][1];
}

function axisLabels(g, lo, hi, xOf, height) {
  g.fillStyle = "#6b7385"; g.font = "11px system-ui";
  for (let i = 0; i <= 4; i++) {
    const v = lo + (hi - lo) * i / 4, text = formatValue(v);
    const x = Math.min(Math.max(xOf(v) - g.measureText(text).width / 2, 0), xOf(hi) - g.measureText(text).width);
    g.fillText(text, x, height - 6);
  }
}
