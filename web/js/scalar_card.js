// One scalar tag's card on the dashboard: every selected run's points in the run's colour (the smoothed
// line over the faint raw one), drawn with uPlot; a hover read-out of every run at the cursor sorted by
// nearest; drag to zoom (a zoom fetches finer points), double-click to reset; CSV and JSON download.
import uPlot from "uplot";
import { aggregate, groupRuns } from "./groups.js";
import { duration, escapeHTML, formatValue, nearest, robustRange, smooth, toNumber, withAlpha } from "./series.js";

// uPlot's own stylesheet, served beside its module (the import map names the module's versioned URL).
const sheet = Object.assign(document.createElement("link"), { rel: "stylesheet",
  href: import.meta.resolve("uplot").replace(/[^/]+$/, "uPlot.min.css") });
document.head.append(sheet);

const HEIGHT = 230;
const FINE_POINTS = 2;            // points fetched per pixel of the chart's width (a min and a max)

export class ScalarCard {
  // tag: the scalar's tag; page: { settings, colour(run), fetchJSON(url), onPin(card) }.
  constructor(tag, page) {
    this.tag = tag;
    this.page = page;
    this.runs = [];                 // the selected runs that have this tag
    this.data = new Map();          // run -> { wall, step, value, total, zoom: [first, last] | null }
    this.el = document.createElement("section");
    this.el.className = "card";
    this.el.dataset.tag = tag;
    this.el.innerHTML = `
      <div class="card-head"><h3 title="${escapeHTML(tag)}">${escapeHTML(tag)}</h3>
        <span class="card-tools">
          <button class="tool pin" title="Pin this card to the top (again to unpin)" aria-pressed="false">Pin</button>
          <button class="tool csv" title="Download the card's data as CSV">CSV</button>
          <button class="tool json" title="Download the card's data as JSON">JSON</button>
        </span></div>
      <div class="plot"></div>
      <div class="readout" hidden></div>
      <p class="card-note"></p>`;
    this.plotEl = this.el.querySelector(".plot");
    this.readout = this.el.querySelector(".readout");
    this.note = this.el.querySelector(".card-note");
    this.el.querySelector(".pin").addEventListener("click", () => page.onPin(this));
    this.el.querySelector(".csv").addEventListener("click", () => this.download("csv"));
    this.el.querySelector(".json").addEventListener("click", () => this.download("json"));
    this.plot = null;
    this.visible = false;
  }

  // The runs to draw (names, in the page's order); fetches what it lacks when the card is on screen.
  async setRuns(runs) {
    this.runs = runs;
    for (const run of [...this.data.keys()]) if (!runs.includes(run)) this.data.delete(run);
    if (this.visible) await this.load();
    else this.render();
  }

  async show() {
    if (this.visible) return;
    this.visible = true;
    await this.load();
  }

  width() { return Math.max(200, this.plotEl.clientWidth || 400); }

  url(run, extra = {}) {
    const q = new URLSearchParams({ run, tag: this.tag, ...extra });
    return `/api/scalars?${q}`;
  }

  // Every selected run's points (downsampled to the chart's width, min and max kept), then draws.
  async load(zoom = null) {
    const points = String(this.width() * FINE_POINTS);
    await Promise.all(this.runs.map(async (run) => {
      const have = this.data.get(run);
      if (have && !zoom && !have.zoom) return;
      const extra = zoom ? { points, start: Math.floor(zoom[0]), end: Math.ceil(zoom[1]) } : { points };
      const { rows, total } = await this.page.fetchRows(this.url(run, extra));
      this.data.set(run, { ...columns(rows), total, zoom });
    }));
    this.render(zoom);
  }

  // New points of `run` since the last load (live): appended when the card holds every point, else refetched.
  async more(run) {
    const have = this.data.get(run);
    if (!this.visible || !this.runs.includes(run)) return;
    if (!have || have.step.length < have.total || have.zoom) {
      this.data.delete(run);
      return this.load();
    }
    const { rows, total } = await this.page.fetchRows(this.url(run, { from: String(have.total) }));
    if (!rows.length) return;
    const add = columns(rows);
    have.wall.push(...add.wall); have.step.push(...add.step); have.value.push(...add.value);
    have.total = total;
    this.render(null, true);
  }

  // The x of each point for the page's axis setting: step, seconds since the run's first point, or wall time.
  xs(d) {
    const axis = this.page.settings.xAxis;
    if (axis === "step") return d.step;
    if (axis === "relative") { const t0 = d.wall[0]; return d.wall.map((w) => w - t0); }
    return d.wall;
  }

  render(zoom = null, keepScale = false) {
    if (!this.visible) return;
    const s = this.page.settings;
    const runs = this.runs.filter((r) => this.data.has(r) && this.data.get(r).step.length);
    this.note.textContent = this.runs.length && !runs.length ? "no points yet"
      : this.capped ? `the first ${this.runs.length} of ${this.capped} selected runs: filter the runs to see others` : "";
    const tables = [], series = [{ label: s.xAxis }], bands = [];
    this.lines = [];
    this.groups = null;
    if (s.groupBy) {
      this.renderGroups(runs, tables, series, bands);
      runs.length = 0;                              // drawn as groups instead
    }
    for (const run of runs) {
      const d = this.data.get(run);
      const xs = this.xs(d);
      let ys = d.value;
      if (s.logScale) ys = ys.map((v) => (v > 0 ? v : null));
      const smoothed = smooth(ys.map((v) => (v == null ? NaN : v)), s.smoothing).map((v) => (Number.isFinite(v) ? v : null));
      tables.push([xs, ys.map((v) => (Number.isFinite(v) ? v : null)), smoothed]);
      const colour = this.page.colour(run);
      series.push({ label: `${run} (raw)`, stroke: withAlpha(colour, s.smoothing > 0 ? 0.28 : 1), width: 1, spanGaps: true,
                    points: { show: false } },
                  { label: run, stroke: colour, width: 1.6, spanGaps: true, points: { show: false }, show: s.smoothing > 0 });
      this.lines.push({ run, xs, d, smoothed, colour });
    }
    const data = tables.length ? uPlot.join(tables) : [[]];
    const drawn = this.runs.filter((r) => this.data.has(r) && this.data.get(r).step.length);
    this.el.dataset.points = String(drawn.reduce((n, r) => n + this.data.get(r).step.length, 0));   // what is drawn
    this.el.dataset.runs = drawn.join("\n");
    this.el.dataset.lastStep = String(Math.max(-1, ...drawn.map((r) => { const st = this.data.get(r).step; return st[st.length - 1]; })));
    this.el.dataset.groups = this.groups ? this.groups.map((g) => `${g.name} (${g.members.length})`).join("\n") : "";
    const xScale = keepScale && this.plot ? { min: this.plot.scales.x.min, max: this.plot.scales.x.max } : null;
    const names = this.groups ? this.groups.map((g) => g.name) : runs;
    const shape = `${s.xAxis}|${s.logScale}|${series.length}|${names.join("\u0000")}|${s.smoothing > 0}|${!!this.groups}`;
    if (!this.plot || this.shape !== shape) {
      this.plot?.destroy();
      this.plot = new uPlot({ ...this.options(series), bands }, data, this.plotEl);
      this.shape = shape;
    } else {
      this.plot.setData(data, !xScale && !zoom);
    }
    if (zoom) this.plot.setScale("x", { min: zoom[0], max: zoom[1] });
    else if (xScale && xScale.min != null) this.plot.setScale("x", xScale);
  }

  // Each group of runs (page.settings.groupBy) as the mean of its runs' smoothed lines over a min-max band.
  renderGroups(runs, tables, series, bands) {
    const s = this.page.settings;
    const groups = groupRuns(runs, s.groupBy, this.page.hparamsOf());
    this.groups = [];
    for (const [name, members] of groups) {
      const lines = members.map((run) => {
        const d = this.data.get(run);
        const ys = s.logScale ? d.value.map((v) => (v > 0 ? v : NaN)) : d.value;
        return { xs: this.xs(d), ys: smooth(ys, s.smoothing) };
      });
      const g = aggregate(lines);
      const colour = this.page.colour(members.length > 1 ? `group:${name}` : members[0]);
      const first = series.length;
      tables.push([g.xs, g.mean, g.max, g.min]);
      series.push({ label: name, stroke: colour, width: 1.8, spanGaps: true, points: { show: false } },
                  { label: `${name} max`, stroke: withAlpha(colour, 0.35), width: 0.5, spanGaps: true, points: { show: false } },
                  { label: `${name} min`, stroke: withAlpha(colour, 0.35), width: 0.5, spanGaps: true, points: { show: false } });
      bands.push({ series: [first + 1, first + 2], fill: withAlpha(colour, 0.16) });
      this.groups.push({ name, members, colour, ...g });
      this.lines.push({ run: name, xs: g.xs, d: { value: g.mean, step: g.xs, wall: g.xs }, smoothed: g.mean, colour,
                        group: this.groups[this.groups.length - 1] });
    }
  }

  options(series) {
    const s = this.page.settings;
    const card = this;
    return {
      width: this.width(), height: HEIGHT, series,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { show: false } },
      scales: {
        x: { time: s.xAxis === "wall" },
        y: s.logScale ? { distr: 3, log: 10 } : { range: (u, lo, hi) => card.yRange(lo, hi) },
      },
      axes: [
        { stroke: "#6b7385", grid: { stroke: "#eceef2" }, ticks: { stroke: "#dde1e8" },
          values: s.xAxis === "relative" ? (u, ticks) => ticks.map(duration) : undefined },
        { stroke: "#6b7385", grid: { stroke: "#eceef2" }, ticks: { stroke: "#dde1e8" }, size: 56,
          values: (u, ticks) => ticks.map(formatValue) },
      ],
      hooks: {
        setCursor: [(u) => card.hover(u)],
        setScale: [(u, key) => { if (key === "x") card.zoomed(u); }],
      },
    };
  }

  yRange(lo, hi) {
    if (this.page.settings.ignoreOutliers) {
      const r = robustRange(this.lines.map((l) => l.smoothed.concat(l.d.value)));
      if (r) return r;
    }
    if (lo == null || hi == null) return [0, 1];
    return uPlot.rangeNum(lo, hi, 0.1, true);
  }

  // After a drag (or a double-click that resets), fetch finer points for the range of steps on screen.
  zoomed(u) {
    if (this.page.settings.xAxis !== "step" || this.loadingZoom) return;
    const { min, max } = u.scales.x;
    const thinned = [...this.data.values()].some((d) => d.step.length < d.total || d.zoom);
    if (!thinned || min == null) return;
    const full = this.lines.length && Math.min(...this.lines.map((l) => l.xs[0])) >= min &&
                 Math.max(...this.lines.map((l) => l.xs[l.xs.length - 1])) <= max;
    clearTimeout(this.zoomTimer);
    this.zoomTimer = setTimeout(async () => {
      this.loadingZoom = true;
      try { await this.load(full ? null : [min, max]); } finally { this.loadingZoom = false; }
    }, 120);
  }

  // The read-out: each run's point nearest the cursor's x, sorted by how near its line passes the cursor.
  hover(u) {
    const { left, top } = u.cursor;
    if (left == null || left < 0 || !this.lines.length) { this.readout.hidden = true; return; }
    const x = u.posToVal(left, "x");
    const rows = [];
    for (const l of this.lines) {
      const i = nearest(l.xs, x);
      if (i < 0) continue;
      const shown = this.page.settings.smoothing > 0 ? l.smoothed[i] : l.d.value[i];
      const y = shown == null ? null : u.valToPos(shown, "y");
      rows.push({ ...l, i, distance: y == null ? Infinity : Math.abs(y - top) });
    }
    rows.sort((a, b) => a.distance - b.distance);
    const s = this.page.settings;
    if (this.groups) {
      this.readout.innerHTML = `<table><thead><tr><th></th><th>Group</th><th>Runs</th><th>Mean</th><th>Min</th><th>Max</th>
        <th>${s.xAxis === "step" ? "Step" : "x"}</th></tr></thead><tbody>${rows.map((r) => `<tr>
        <td><i style="background:${r.colour}"></i></td><td class="run">${escapeHTML(r.run)}</td><td>${r.group.n[r.i]} of ${r.group.members.length}</td>
        <td>${formatValue(r.group.mean[r.i])}</td><td>${formatValue(r.group.min[r.i])}</td><td>${formatValue(r.group.max[r.i])}</td>
        <td>${s.xAxis === "relative" ? duration(r.xs[r.i]) : r.xs[r.i].toLocaleString("en-US")}</td></tr>`).join("")}</tbody></table>`;
      this.readout.hidden = false;
      return;
    }
    this.readout.innerHTML = `<table><thead><tr><th></th><th>Run</th>${s.smoothing > 0 ? "<th>Smoothed</th>" : ""}
      <th>Value</th><th>Step</th><th>Time</th><th>Relative</th></tr></thead><tbody>${rows.map((r) => `<tr>
      <td><i style="background:${r.colour}"></i></td><td class="run">${escapeHTML(r.run)}</td>
      ${s.smoothing > 0 ? `<td>${formatValue(r.smoothed[r.i])}</td>` : ""}<td>${formatValue(r.d.value[r.i])}</td>
      <td>${r.d.step[r.i].toLocaleString("en-US")}</td><td>${new Date(r.d.wall[r.i] * 1000).toLocaleTimeString()}</td>
      <td>${duration(r.d.wall[r.i] - r.d.wall[0])}</td></tr>`).join("")}</tbody></table>`;
    this.readout.hidden = false;
  }

  resize() { if (this.plot) this.plot.setSize({ width: this.width(), height: HEIGHT }); }

  download(format) {
    const runs = this.runs.filter((r) => this.data.has(r));
    let text, type;
    if (format === "csv") {
      text = "run,wall_time,step,value\n" + runs.map((r) => {
        const d = this.data.get(r);
        return d.step.map((st, i) => `${csvField(r)},${d.wall[i]},${st},${d.value[i]}`).join("\n");
      }).join("\n") + "\n";
      type = "text/csv";
    } else {
      text = JSON.stringify(Object.fromEntries(runs.map((r) => {
        const d = this.data.get(r);
        return [r, d.step.map((st, i) => [d.wall[i], st, Number.isFinite(d.value[i]) ? d.value[i] : String(d.value[i])])];
      })));
      type = "application/json";
    }
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = `${this.tag.replace(/[^\w.-]+/g, "_")}.${format}`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  destroy() { this.plot?.destroy(); this.el.remove(); }
}

function columns(rows) {
  for (let i = 1; i < rows.length; i++) {          // steps out of order (two writers, a resumed run): sort them
    if (rows[i][1] < rows[i - 1][1]) { rows = rows.slice().sort((a, b) => a[1] - b[1]); break; }
  }
  return { wall: rows.map((r) => r[0]), step: rows.map((r) => r[1]), value: rows.map((r) => toNumber(r[2])) };
}

function csvField(s) { return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; }
