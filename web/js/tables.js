// The dashboard's text and HParams boards: the selected runs' text summaries by step, and a table of runs
// by hyper-parameter and last metric values (sortable by any column, filterable) over a parallel
// coordinates view of the same rows.
import { escapeHTML, formatValue, toNumber } from "./series.js";

export async function textView(box, empty, page, runs) {
  const wanted = [];
  for (const r of page.runs) if (runs.includes(r.name)) for (const t of r.tags.text) wanted.push([r.name, t]);
  empty.hidden = wanted.length > 0;
  const parts = await Promise.all(wanted.map(async ([run, tag]) => {
    const rows = await page.fetchJSON(`/api/text?${new URLSearchParams({ run, tag })}`);
    return `<section class="card text"><div class="card-head"><h3>${escapeHTML(tag)} <span class="muted">${escapeHTML(run)}</span></h3></div>
      <table class="text-table"><tbody>${rows.slice(-50).reverse().map(([, step, text]) =>
        `<tr><th>step ${step.toLocaleString("en-US")}</th><td class="markdown">${markdown(text)}</td></tr>`).join("")}</tbody></table></section>`;
  }));
  box.innerHTML = parts.join("");
}

// Text summaries are Markdown, as TensorBoard renders them: the subset here is paragraphs, "- " and "1. "
// lists, fenced code, **bold**, *italic* and `code`; everything is escaped first, so no HTML gets through.
export function markdown(text) {
  const inline = (line) => escapeHTML(line).replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>").replace(/\*([^*]+)\*/g, "<em>$1</em>");
  const out = [];
  let list = null, para = [], code = null;
  const flush = () => {
    if (para.length) out.push(`<p>${para.map(inline).join(" ")}</p>`);
    if (list) out.push(`<${list.tag}>${list.items.map((i) => `<li>${inline(i)}</li>`).join("")}</${list.tag}>`);
    para = []; list = null;
  };
  for (const line of String(text).split("\n")) {
    if (code !== null) {
      if (line.trim().startsWith("```")) { out.push(`<pre>${escapeHTML(code.join("\n"))}</pre>`); code = null; }
      else code.push(line);
      continue;
    }
    if (line.trim().startsWith("```")) { flush(); code = []; continue; }
    const item = /^\s*(?:([-*])|(\d+)\.)\s+(.*)$/.exec(line);
    if (item) {
      const tag = item[1] ? "ul" : "ol";
      if (para.length || (list && list.tag !== tag)) flush();
      if (!list) list = { tag, items: [] };
      list.items.push(item[3]);
    } else if (!line.trim()) flush();
    else { if (list) flush(); para.push(line); }
  }
  if (code !== null) out.push(`<pre>${escapeHTML(code.join("\n"))}</pre>`);
  flush();
  return out.join("");
}

const sort = { column: null, descending: false };

export async function hparamsView(box, empty, page, selected) {
  const body = await page.fetchJSON("/api/hparams");
  const rows = body.runs.filter((r) => selected.has(r.run));
  empty.hidden = body.runs.length > 0;
  if (!body.runs.length) { box.innerHTML = ""; return; }
  const columns = [...body.hparams.map((h) => ({ key: h, kind: "hparam" })), ...body.metrics.map((m) => ({ key: m, kind: "metric" }))];
  const value = (row, c) => (c.kind === "hparam" ? row.hparams[c.key] : row.metrics[c.key]);
  const filter = box.querySelector(".hparams-filter")?.value || "";
  let re = null;
  try { re = filter ? new RegExp(filter, "i") : null; } catch { re = null; }
  const shown = rows.filter((r) => !re || re.test(r.run) || Object.values(r.hparams).some((v) => re.test(String(v))));
  if (sort.column) {
    const c = columns.find((col) => col.key === sort.column);
    if (c) shown.sort((a, b) => compare(value(a, c), value(b, c)) * (sort.descending ? -1 : 1));
  }
  box.innerHTML = `<div class="hparams-bar"><input type="search" class="hparams-filter" placeholder="Filter runs or values (regex)"
      value="${escapeHTML(filter)}" aria-label="filter hyper-parameter rows"><span class="muted">${shown.length} of ${body.runs.length} runs</span></div>
    ${parallel(shown, columns, value, page)}
    <table class="hparams-table"><thead><tr><th data-key="">Run</th>${columns.map((c) =>
      `<th data-key="${escapeHTML(c.key)}" class="${c.kind}${sort.column === c.key ? (sort.descending ? " down" : " up") : ""}">${escapeHTML(c.key)}</th>`).join("")}</tr></thead>
    <tbody>${shown.map((r) => `<tr><td><i class="swatch" style="background:${page.colour(r.run)}"></i>${escapeHTML(r.run)}</td>${columns.map((c) =>
      `<td class="${c.kind}">${escapeHTML(formatValue(toNumberIfMetric(value(r, c), c)))}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  const input = box.querySelector(".hparams-filter");
  input.addEventListener("input", () => hparamsView(box, empty, page, selected).then(() => {
    const again = box.querySelector(".hparams-filter");
    again.focus(); again.setSelectionRange(again.value.length, again.value.length);
  }));
  for (const th of box.querySelectorAll("th[data-key]")) th.addEventListener("click", () => {
    const key = th.dataset.key || null;
    sort.descending = sort.column === key ? !sort.descending : false;
    sort.column = key;
    hparamsView(box, empty, page, selected);
  });
}

function toNumberIfMetric(v, c) { return c.kind === "metric" && v != null ? toNumber(v) : v; }

function compare(a, b) {
  if (a == null) return b == null ? 0 : 1;
  if (b == null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

// One polyline per run across an axis per column: numbers on a linear axis, strings and bools as categories.
function parallel(rows, columns, value, page) {
  if (!rows.length || !columns.length) return "";
  const width = Math.max(480, columns.length * 140), height = 200, top = 24, bottom = height - 18;
  const axes = columns.map((c, i) => {
    const values = rows.map((r) => toNumberIfMetric(value(r, c), c)).filter((v) => v != null);
    const numeric = values.every((v) => typeof v === "number" && Number.isFinite(v));
    const x = columns.length === 1 ? width / 2 : 40 + i * (width - 80) / (columns.length - 1);
    if (numeric && values.length) {
      let lo = Math.min(...values), hi = Math.max(...values);
      if (lo === hi) { lo -= 1; hi += 1; }
      return { c, x, y: (v) => bottom - (v - lo) / (hi - lo) * (bottom - top), labels: [[lo, bottom], [hi, top]] };
    }
    const cats = [...new Set(values.map(String))].sort();
    const y = (v) => (cats.length === 1 ? (top + bottom) / 2 : bottom - cats.indexOf(String(v)) / (cats.length - 1) * (bottom - top));
    return { c, x, y, labels: cats.map((k) => [k, y(k)]) };
  });
  const lines = rows.map((r) => {
    const pts = axes.map((a) => {
      const v = toNumberIfMetric(value(r, a.c), a.c);
      return v == null || (typeof v === "number" && !Number.isFinite(v)) ? null : `${a.x},${a.y(v)}`;
    }).filter(Boolean);
    return `<polyline points="${pts.join(" ")}" stroke="${page.colour(r.run)}"><title>${escapeHTML(r.run)}</title></polyline>`;
  });
  const axisMarks = axes.map((a) => `<g><line x1="${a.x}" x2="${a.x}" y1="${top}" y2="${bottom}"/>
    <text x="${a.x}" y="12" class="name">${escapeHTML(a.c.key)}</text>${a.labels.map(([v, y]) =>
      `<text x="${a.x + 4}" y="${y + 4}" class="tick">${escapeHTML(formatValue(v))}</text>`).join("")}</g>`);
  return `<svg class="parallel" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"
    aria-label="parallel coordinates of the runs' hyper-parameters and metrics">${lines.join("")}${axisMarks.join("")}</svg>`;
}
