// The runs dashboard (/runs): the logdir's runs with a colour each, TensorBoard's settings (smoothing,
// horizontal axis, log scale, outliers), a card per scalar tag grouped by the tag's first folder, live over
// the server's event stream. The settings and filters live in the URL hash, so a link opens the same view.
import { ScalarCard } from "./scalar_card.js";
import { escapeHTML } from "./series.js";
import { HistogramCard } from "./histogram_card.js";
import { hparamsView, textView } from "./tables.js";

// TensorBoard's run colours, then more: a run keeps the colour it was first given for the whole visit.
const PALETTE = ["#ff7043", "#0077bb", "#cc3311", "#33bbee", "#ee3377", "#009988", "#bbbbbb", "#7e57c2",
                 "#9e9d24", "#795548", "#ec407a", "#26a69a", "#5c6bc0", "#ffa726", "#8d6e63", "#66bb6a"];

const $ = (id) => document.getElementById(id);
const CARD_RUNS = 50;             // runs a card draws at most (the first selected): filter to see others

const page = {
  settings: { smoothing: 0.6, xAxis: "step", logScale: false, ignoreOutliers: false, groupBy: "" },
  runs: [],                       // [{ name, tags: {scalars, histograms, text}, hparams }]
  colours: new Map(),
  selected: new Set(),            // runs the person unticked are absent; new runs come in ticked
  unticked: new Set(),
  runFilter: "", tagFilter: "", tab: "scalars",
  graphRun: "",                   // the Graphs tab's run
  cards: new Map(),               // tag -> ScalarCard
  pinned: new Set(JSON.parse(localStorage.getItem("webgrad.runs.pinned") || "[]")),
  histogramCards: new Map(),

  hparamsOf() { return Object.fromEntries(this.runs.map((r) => [r.name, r.hparams])); },
  colour(run) {
    if (!this.colours.has(run)) this.colours.set(run, PALETTE[this.colours.size % PALETTE.length]);
    return this.colours.get(run);
  },
  async fetchJSON(url) { return (await fetchOK(url)).body; },
  async fetchRows(url) {                   // a series' rows, and how many it has (fewer come when downsampled)
    const { body, headers } = await fetchOK(url);
    return { rows: body, total: Number(headers.get("X-Rows-Total") || body.length) };
  },
  onPin(card) {
    if (this.pinned.has(card.tag)) this.pinned.delete(card.tag); else this.pinned.add(card.tag);
    localStorage.setItem("webgrad.runs.pinned", JSON.stringify([...this.pinned]));
    layoutScalars();
  },
};

// The JSON body and headers of a GET; an error carrying the server's reason when it is not a 2xx.
async function fetchOK(url) {
  const r = await fetch(url);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || `${url}: ${r.status}`);
  return { body, headers: r.headers };
}

function regex(text) {
  try { return text ? new RegExp(text, "i") : null; } catch { return undefined; }   // undefined: not a regex
}

function shownRuns() {
  const re = regex(page.runFilter);
  return page.runs.filter((r) => re === null || re === undefined || re.test(r.name));
}

function selectedRuns() {
  return shownRuns().filter((r) => !page.unticked.has(r.name)).map((r) => r.name);
}

// ---- the URL hash: smoothing, axis, scales, filters and the tab --------------------------------------
function readHash() {
  const q = new URLSearchParams(location.hash.slice(1));
  const s = page.settings;
  if (q.has("smoothing")) s.smoothing = clamp(Number(q.get("smoothing")), 0, 0.999);
  if (["step", "relative", "wall"].includes(q.get("x"))) s.xAxis = q.get("x");
  s.logScale = q.get("log") === "true";
  s.ignoreOutliers = q.get("outliers") === "ignore";
  page.runFilter = q.get("runs") || "";
  s.groupBy = q.get("group") || "";
  page.tagFilter = q.get("tags") || "";
  if (["scalars", "histograms", "text", "hparams", "graphs"].includes(q.get("tab"))) page.tab = q.get("tab");
  page.graphRun = q.get("graph") || "";
}

function writeHash() {
  const s = page.settings, q = new URLSearchParams();
  if (s.smoothing !== 0.6) q.set("smoothing", String(s.smoothing));
  if (s.xAxis !== "step") q.set("x", s.xAxis);
  if (s.logScale) q.set("log", "true");
  if (s.ignoreOutliers) q.set("outliers", "ignore");
  if (page.runFilter) q.set("runs", page.runFilter);
  if (s.groupBy) q.set("group", s.groupBy);
  if (page.tagFilter) q.set("tags", page.tagFilter);
  if (page.tab !== "scalars") q.set("tab", page.tab);
  if (page.tab === "graphs" && page.graphRun) q.set("graph", page.graphRun);
  history.replaceState(null, "", q.toString() ? `#${q}` : location.pathname);
}

function clamp(v, lo, hi) { return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo; }

// ---- the sidebar -------------------------------------------------------------------------------------
function renderRunList() {
  const shown = shownRuns();
  const re = regex(page.runFilter);
  $("run-filter").classList.toggle("invalid", re === undefined);
  $("run-count").textContent = `${shown.length} of ${page.runs.length}`;
  $("runs").innerHTML = shown.map((r) => `<li><label title="${escapeHTML(r.name)}">
      <input type="checkbox" data-run="${escapeHTML(r.name)}" ${page.unticked.has(r.name) ? "" : "checked"}>
      <i class="swatch" style="background:${page.colour(r.name)}"></i><span>${escapeHTML(r.name)}</span></label>${r.graph ?
      `<a class="graph-link" href="/graph?run=${encodeURIComponent(r.name)}" data-run="${escapeHTML(r.name)}" title="the run's graph (in the Graphs tab)">graph</a>` : ""}</li>`).join("");
  $("all-runs").checked = shown.every((r) => !page.unticked.has(r.name));
}

function bindSidebar() {
  const s = page.settings;
  const smoothing = $("smoothing"), smoothingValue = $("smoothing-value");
  smoothing.value = smoothingValue.value = s.smoothing;
  const setSmoothing = (v) => {
    s.smoothing = clamp(Number(v), 0, 0.999);
    smoothing.value = smoothingValue.value = s.smoothing;
    writeHash();
    redrawCards();
  };
  smoothing.addEventListener("input", () => setSmoothing(smoothing.value));
  smoothingValue.addEventListener("change", () => setSmoothing(smoothingValue.value));
  for (const radio of document.querySelectorAll('input[name="x-axis"]')) {
    radio.checked = radio.value === s.xAxis;
    radio.addEventListener("change", () => { s.xAxis = radio.value; writeHash(); redrawCards(); });
  }
  $("log-scale").checked = s.logScale;
  $("log-scale").addEventListener("change", (e) => { s.logScale = e.target.checked; writeHash(); redrawCards(); });
  $("ignore-outliers").checked = s.ignoreOutliers;
  $("ignore-outliers").addEventListener("change", (e) => { s.ignoreOutliers = e.target.checked; writeHash(); redrawCards(); });
  $("group-by").value = s.groupBy;
  $("group-by").addEventListener("input", (e) => { s.groupBy = e.target.value.trim(); writeHash(); redrawCards(); });
  $("run-filter").value = page.runFilter;
  $("run-filter").addEventListener("input", (e) => { page.runFilter = e.target.value; writeHash(); renderRunList(); refreshBoards(); });
  $("tag-filter").value = page.tagFilter;
  $("tag-filter").addEventListener("input", (e) => { page.tagFilter = e.target.value; writeHash(); layoutScalars(); });
  $("runs").addEventListener("change", (e) => {
    const run = e.target.dataset.run;
    if (run == null) return;
    if (e.target.checked) page.unticked.delete(run); else page.unticked.add(run);
    renderRunList();
    refreshBoards();
  });
  $("all-runs").addEventListener("change", (e) => {
    for (const r of shownRuns()) if (e.target.checked) page.unticked.delete(r.name); else page.unticked.add(r.name);
    renderRunList();
    refreshBoards();
  });
  for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  $("graph-run").addEventListener("change", (e) => showGraph(e.target.value));
  $("runs").addEventListener("click", (e) => {      // a run's graph link opens the Graphs tab; with a modifier, a new page
    const link = e.target.closest("a.graph-link");
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    showGraph(link.dataset.run);
  });
}

function showTab(name) {
  page.tab = name;
  for (const tab of document.querySelectorAll(".tab")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const board of document.querySelectorAll(".board")) board.hidden = board.dataset.board !== name;
  writeHash();
  refreshBoards();
}

// ---- scalars: a card per tag, grouped by the tag's first folder, drawn when scrolled into view -------------
const seen = new IntersectionObserver((entries) => {
  for (const e of entries) if (e.isIntersecting) e.target.card?.show();
}, { rootMargin: "300px" });

function scalarTags() {               // the tags of the runs shown and ticked
  const tags = new Set(), selected = new Set(selectedRuns());
  for (const r of page.runs) if (selected.has(r.name)) for (const t of r.tags.scalars) tags.add(t);
  return [...tags].sort();
}

function cardFor(tag) {
  let card = page.cards.get(tag);
  if (!card) {
    card = new ScalarCard(tag, page);
    card.el.card = card;
    page.cards.set(tag, card);
    seen.observe(card.el);
  }
  return card;
}

function layoutScalars() {
  const re = regex(page.tagFilter);
  $("tag-filter").classList.toggle("invalid", re === undefined);
  const tags = scalarTags().filter((t) => !re || re.test(t));
  const groups = new Map();
  for (const tag of tags) {
    const group = tag.includes("/") ? tag.slice(0, tag.indexOf("/")) : "";
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(tag);
  }
  const container = $("scalar-groups");
  const keep = new Set(tags);
  for (const [tag, card] of page.cards) if (!keep.has(tag)) { seen.unobserve(card.el); card.destroy(); page.cards.delete(tag); }
  const pinnedCards = $("pinned").querySelector(".cards");
  const pinned = tags.filter((t) => page.pinned.has(t));
  $("pinned").hidden = !pinned.length;
  for (const tag of pinned) pinnedCards.append(cardFor(tag).el);
  for (const [tag, card] of page.cards) {
    const pin = card.el.querySelector(".pin");
    pin.setAttribute("aria-pressed", String(page.pinned.has(tag)));
    pin.textContent = page.pinned.has(tag) ? "Unpin" : "Pin";
  }
  const existing = new Map([...container.children].map((el) => [el.dataset.group, el]));
  const order = [...groups.keys()].sort((a, b) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b)));
  for (const name of order) {
    let el = existing.get(name);
    if (!el) {
      el = document.createElement("details");
      el.open = true;
      el.className = "group";
      el.dataset.group = name;
      el.innerHTML = `<summary><h2>${escapeHTML(name || "scalars")}</h2><span class="muted"></span></summary><div class="cards"></div>`;
    }
    container.append(el);
    existing.delete(name);
    const cards = el.querySelector(".cards");
    const mine = groups.get(name).filter((t) => !page.pinned.has(t));
    el.querySelector("summary .muted").textContent = `${groups.get(name).length} tag${groups.get(name).length === 1 ? "" : "s"}`;
    el.hidden = !mine.length;
    for (const tag of mine) cards.append(cardFor(tag).el);
  }
  for (const el of existing.values()) el.remove();
  $("scalars-empty").hidden = tags.length > 0 || page.runs.some((r) => r.tags.scalars.length);
  const selected = selectedRuns(), byName = new Map(page.runs.map((r) => [r.name, new Set(r.tags.scalars)]));
  for (const [tag, card] of page.cards) {
    const runs = selected.filter((name) => byName.get(name)?.has(tag));
    card.capped = runs.length > CARD_RUNS ? runs.length : 0;
    card.setRuns(runs.slice(0, CARD_RUNS)).catch(showError);
  }
}

function redrawCards() {
  for (const card of page.cards.values()) card.render();
  for (const card of page.histogramCards.values()) card.render();
}

// ---- the other boards --------------------------------------------------------------------------------
function layoutHistograms() {
  const selected = new Set(selectedRuns());
  const wanted = [];
  for (const r of page.runs) if (selected.has(r.name)) for (const t of r.tags.histograms) wanted.push([r.name, t]);
  const keys = new Set(wanted.map(([r, t]) => `${r}\u0000${t}`));
  for (const [key, card] of page.histogramCards) if (!keys.has(key)) { card.el.remove(); page.histogramCards.delete(key); }
  const box = $("histogram-cards");
  for (const [run, tag] of wanted) {
    const key = `${run}\u0000${tag}`;
    if (!page.histogramCards.has(key)) page.histogramCards.set(key, new HistogramCard(run, tag, page));
    box.append(page.histogramCards.get(key).el);
  }
  $("histograms-empty").hidden = wanted.length > 0;
  for (const card of page.histogramCards.values()) card.load().catch(showError);
}

async function refreshBoards() {
  if (page.tab === "scalars") layoutScalars();
  else if (page.tab === "histograms") layoutHistograms();
  else if (page.tab === "graphs") graphsView();
  else if (page.tab === "text") await textView($("text-cards"), $("text-empty"), page, selectedRuns()).catch(showError);
  else await hparamsView($("hparams-view"), $("hparams-empty"), page, new Set(selectedRuns())).catch(showError);
}

// ---- graphs: the graph viewer (/graph) in a frame, for a run that logged one ---------------------------
function graphsView() {
  const runs = page.runs.filter((r) => r.graph).map((r) => r.name);
  if (!runs.includes(page.graphRun)) page.graphRun = runs[0] || "";
  const select = $("graph-run");
  select.innerHTML = runs.map((r) => `<option>${escapeHTML(r)}</option>`).join("");
  select.value = page.graphRun;
  $("graphs-empty").hidden = runs.length > 0;
  document.querySelector(".graph-bar").hidden = !runs.length;
  const frame = $("graph-frame"), src = `/graph?embed=1&run=${encodeURIComponent(page.graphRun)}`;
  frame.hidden = $("graph-own-page").hidden = !page.graphRun;
  $("graph-own-page").href = `/graph?run=${encodeURIComponent(page.graphRun)}`;
  if (page.graphRun && frame.getAttribute("src") !== src) frame.src = src;
  writeHash();
}

function showGraph(run) {
  page.graphRun = run;
  showTab("graphs");
}

// ---- runs and live updates ---------------------------------------------------------------------------
async function loadRuns() {
  const body = await page.fetchJSON("/api/runs");
  page.runs = body.runs;
  for (const r of page.runs) page.colour(r.name);
  $("logdir").textContent = `logdir: ${body.logdir}`;
  renderRunList();
  const names = new Set(page.runs.flatMap((r) => Object.keys(r.hparams)));
  $("hparam-names").innerHTML = [...names].sort().map((n) => `<option value="hparam:${escapeHTML(n)}">`).join("");
  await refreshBoards();
}

// New runs or tags: the run list again, at most once a second while a big logdir loads behind.
let reloadTimer = null, lastReload = 0;
function reloadSoon() {
  if (reloadTimer) return;
  const wait = Math.max(150, lastReload + 1000 - performance.now());
  reloadTimer = setTimeout(() => {
    reloadTimer = null;
    lastReload = performance.now();
    loadRuns().catch(showError);
  }, wait);
}

function listen() {
  const live = $("live");
  const source = new EventSource("/api/events");
  source.addEventListener("hello", () => { live.textContent = "live"; document.body.dataset.live = "on"; });
  source.onerror = () => { live.textContent = "reconnecting…"; document.body.dataset.live = "off"; };
  source.onmessage = (e) => {
    const known = new Map(page.runs.map((r) => [r.name, r]));
    let structural = false;
    for (const c of JSON.parse(e.data)) {
      const run = known.get(c.run);
      if (!run || (c.kind in run.tags && !run.tags[c.kind].includes(c.tag)) || c.kind === "hparams") { structural = true; continue; }
      if (c.kind === "scalars") page.cards.get(c.tag)?.more(c.run).catch(showError);
      if (c.kind === "histograms") page.histogramCards.get(`${c.run}\u0000${c.tag}`)?.load(true).catch(showError);
      if (c.kind === "text" && page.tab === "text") structural = true;
    }
    if (structural) reloadSoon();
  };
}

function showError(e) {
  console.error(e);
  const box = document.querySelector(".boards");
  let note = box.querySelector(".error-note");
  if (!note) { note = document.createElement("p"); note.className = "error-note"; box.prepend(note); }
  note.textContent = String(e.message || e);
}

readHash();
bindSidebar();
showTab(page.tab);
new ResizeObserver(() => { for (const c of page.cards.values()) c.resize(); }).observe($("scalar-groups"));
loadRuns().then(() => { document.body.dataset.state = "ready"; listen(); }).catch(showError);
