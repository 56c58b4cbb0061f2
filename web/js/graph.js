// The graph viewer (/graph): a graph view (webgrad/graph/view.py's JSON) drawn as nested boxes, by phase and
// layer or by the kernel that runs each op. Groups open in place; elkjs lays out what is visible, in a worker.
// Opens ?run=R (the run's logged graph), a JSON file chosen or dropped.

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
export const KIND_COLOURS = {
  matmul: "#f6bd8b", elementwise: "#a9d6ec", reduction: "#c9b5f2", movement: "#d9dee3", parameter: "#a7d49b",
  constant: "#eceff2", input: "#ffe08a", random: "#f5a7a7", other: "#e3e6ea",
};
const PHASE_COLOURS = { forward: "#3457d5", loss: "#c2410c", backward: "#7c3aed", update: "#15803d", metrics: "#64748b" };
const LEAF_H = 34, BOX_H = 40;
const GROUP_OPTIONS = { "elk.algorithm": "layered", "elk.direction": "DOWN", "elk.layered.spacing.nodeNodeBetweenLayers": "26",
                        "elk.spacing.nodeNode": "16", "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF" };
const FONTS = { label: "11.5px system-ui, sans-serif", type: "9.5px ui-monospace, monospace", title: "600 12px system-ui, sans-serif" };
const measure = document.createElement("canvas").getContext("2d");
function textWidth(text, font) { measure.font = FONTS[font]; return measure.measureText(text).width; }

let view = null, byId = new Map(), groups = new Map(), parent = new Map(), groupBy = "layers";
let expanded = new Set(), laidOut = null, selected = null, matches = new Set();
const camera = { x: 20, y: 20, k: 1 };

// ---- the tree of groups: scopes (phase, layer, ...) or kernels ------------------------------------

function buildTree() {
  groups = new Map([["", { id: "", label: view.name, children: [] }]]);
  parent = new Map();
  const group = (id, label, under, extra = {}) => {
    if (!groups.has(id)) {
      groups.set(id, { id, label, children: [], ...extra });
      groups.get(under).children.push(id);
      parent.set(id, under);
    }
    return id;
  };
  if (groupBy === "kernels") {
    for (const k of view.kernels) group(`k:${k.id}`, `#${k.id} ${k.name}`, "", { kernel: k });
  }
  const readBy = new Map();          // a node -> the kernels of the nodes that read it
  for (const e of view.edges) {
    const k = byId.get(e.to)?.kernel;
    if (!readBy.has(e.from)) readBy.set(e.from, new Set());
    readBy.get(e.from).add(k ?? null);
  }
  for (const n of view.nodes) {
    let at = "";
    if (groupBy === "kernels") {
      const readers = [...(readBy.get(n.id) || [])];
      const kernel = n.kernel ?? (n.role === "const" && readers.length === 1 ? readers[0] : null);   // a constant: in its kernel's code
      if (kernel !== null && kernel !== undefined) at = `k:${kernel}`;
    } else {
      n.scope.forEach((name, i) => { at = group(JSON.stringify(n.scope.slice(0, i + 1)), name, at); });
    }
    groups.get(at).children.push(n.id);
    parent.set(n.id, at);
  }
}

function ancestors(id) {
  const out = [];
  for (let p = parent.get(id); p; p = parent.get(p)) out.push(p);
  return out;
}

// what stands for a node on screen: itself, or its outermost closed group
function shownAs(id) {
  let top = id;
  for (const p of ancestors(id)) if (!expanded.has(p)) top = p;
  return top;
}

function leafCount(gid) {
  const g = groups.get(gid);
  return g.children.reduce((n, c) => n + (groups.has(c) ? leafCount(c) : 1), 0);
}

// ---- layout: the visible graph as ELK JSON -----------------------------------------------------

function label(n) { return n.label === n.op || n.role === "capture" || n.role === "input" ? n.label : `${n.label} ${n.op}`; }
function typeText(n) { return n.shape ? `${(n.dtype || "").replace("float", "f").replace("int", "i")}[${n.shape.join(",")}]` : ""; }
function groupTitle(g) {
  const k = g.kernel;
  return k ? `${g.label}${k.dispatches > 1 ? ` ×${k.dispatches}` : ""}` : g.label;
}
function titleText(g, open) {
  const count = leafCount(g.id);
  return `${open ? "−" : "+"} ${groupTitle(g)}${open ? "" : `  (${count} node${count === 1 ? "" : "s"})`}`;
}

// Laid out a group at a time, as Model Explorer does: each open group places its children (nodes and closed or
// already placed boxes) by the edges between them, so no layout ever sees more than one group's children.
// An edge between two groups' insides is drawn whole, but placed by its ends' ancestors under their lowest
// common group.
function elkGroup(gid, edgesBy) {
  const children = groups.get(gid).children.map((c) => {
    if (!groups.has(c)) {
      const n = byId.get(c);
      return { id: c, width: Math.max(64, Math.max(textWidth(label(n), "label"), textWidth(typeText(n), "type")) + 18), height: LEAF_H };
    }
    const g = groups.get(c);
    if (expanded.has(c) && g.children.length) {
      return { ...elkGroup(c, edgesBy), layoutOptions: { ...GROUP_OPTIONS, "elk.padding": "[top=28,left=10,bottom=10,right=10]" } };
    }
    return { id: c, width: Math.max(96, textWidth(titleText(g, false), "title") + 22), height: BOX_H };
  });
  return { id: gid || "root", children, edges: edgesBy.get(gid) || [] };
}

// each visible edge, placed in the group that holds both its ends: between that group's two children that hold them
function edgesByGroup(edges) {
  const out = new Map(), seen = new Map();
  for (const e of edges) {
    const up = [e.sources[0], ...ancestors(e.sources[0]), ""], down = [e.targets[0], ...ancestors(e.targets[0]), ""];
    const common = up.find((g) => down.includes(g));
    const a = up[up.indexOf(common) - 1], b = down[down.indexOf(common) - 1], key = `${a}\u0000${b}`;
    if (a === undefined || b === undefined) continue;
    if (!seen.has(key)) {
      seen.set(key, `p${seen.size}`);
      if (!out.has(common)) out.set(common, []);
      out.get(common).push({ id: seen.get(key), sources: [a], targets: [b] });
    }
    if (a === e.sources[0] && b === e.targets[0]) e.placed = seen.get(key);     // drawn along ELK's route
  }
  return out;
}

function visibleEdges() {
  const seen = new Map();
  for (const e of view.edges) {
    const a = shownAs(e.from), b = shownAs(e.to);
    if (a === b || ancestors(e.to).includes(a) || ancestors(e.from).includes(b)) continue;
    const key = a + "\u0000" + b;
    if (!seen.has(key)) seen.set(key, { id: `e${seen.size}`, sources: [a], targets: [b], from: byId.get(e.from) });
  }
  return [...seen.values()];
}

// elkjs's own worker script (from npm), spoken to in its protocol: {id, cmd: "register" | "layout", ...} -> {id, data | error}
let worker = null, asked = 0;
function elkWorker() {
  const map = JSON.parse(document.querySelector('script[type="importmap"]').textContent);
  const w = new Worker(map.imports.elkjs.replace(/lib\/main(\.js)?$/, "lib/elk-worker.min.js"));
  w.postMessage({ id: 0, cmd: "register", algorithms: ["layered"] });
  w.onerror = (e) => { $("status").textContent = `layout failed: ${e.message}`; document.body.dataset.state = "error"; };
  return w;
}

function layout() {
  worker ||= elkWorker();
  const id = ++asked, started = performance.now();
  const edges = visibleEdges();
  const graph = { ...elkGroup("", edgesByGroup(edges)), layoutOptions: { ...GROUP_OPTIONS, "elk.hierarchyHandling": "SEPARATE_CHILDREN" } };
  $("status").textContent = "laying out…";
  document.body.dataset.state = "layout";
  return new Promise((resolve) => {
    worker.onmessage = ({ data }) => {
      if (data.id !== asked) return;
      if (data.error) {
        $("status").textContent = `layout failed: ${data.error.message || JSON.stringify(data.error)}`;
        document.body.dataset.state = "error";
        return resolve();
      }
      laidOut = { graph: data.data, edges };
      draw();
      const ms = performance.now() - started;
      document.body.dataset.layoutMs = Math.round(ms);
      document.body.dataset.state = "ready";
      $("status").textContent = `${document.querySelectorAll("#viewport .node").length} nodes and ` +
        `${document.querySelectorAll("#viewport .box").length} boxes shown · laid out in ${Math.round(ms)} ms`;
      resolve();
    };
    worker.postMessage({ id, cmd: "layout", graph, layoutOptions: {}, options: {} });
  });
}

// ---- drawing -----------------------------------------------------------------------------------

function el(name, attrs = {}, parentNode = null, text = null) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  if (parentNode) parentNode.append(e);
  return e;
}

function boxColour(g) {
  const phase = PHASE_COLOURS[JSON.parse(g.id.startsWith("[") ? g.id : "[]")[0]];
  return g.kernel ? "#0f766e" : phase || "#475569";
}

function draw() {
  const root = $("viewport");
  root.replaceChildren();
  const where = new Map();          // id -> absolute box
  // boxes under the edges under the nodes: an edge inside an open box stays visible
  const boxes = el("g", { class: "boxes" }, root), edgesLayer = el("g", { class: "edges", "pointer-events": "none" }, root);
  const leaves = el("g", { class: "leaves" }, root);
  const routes = new Map();         // a placed edge's id -> its route's points, absolute
  const walk = (node, dx, dy) => {
    for (const e of node.edges || []) {
      const s = e.sections?.[0];
      if (s) routes.set(e.id, [s.startPoint, ...(s.bendPoints || []), s.endPoint].map((p) => ({ x: dx + p.x, y: dy + p.y })));
    }
    for (const c of node.children || []) {
      const x = dx + c.x, y = dy + c.y;
      where.set(c.id, { x, y, w: c.width, h: c.height });
      if (groups.has(c.id)) {
        const g = groups.get(c.id), open = expanded.has(c.id) && g.children.length > 0, colour = boxColour(g);
        const box = el("g", { class: `box${open ? " open" : " collapsed"}${g.kernel ? " kernel" : ""}`, "data-id": c.id }, boxes);
        el("rect", { x, y, width: c.width, height: c.height, rx: 7, fill: open ? "#ffffff" : "#f1f5f9",
                     "fill-opacity": open ? 0.6 : 1, stroke: colour, "stroke-width": open ? 1.2 : 1.6,
                     "stroke-dasharray": g.kernel && open ? "5 3" : "none" }, box);
        el("text", { x: x + 9, y: y + 17, class: "title", fill: colour, "font-size": 12, "font-weight": 600,
                     "font-family": "system-ui, sans-serif" }, box, titleText(g, open));
        if (!open && g.kernel) {
          el("text", { x: x + 9, y: y + 32, fill: "#475569", "font-size": 10, "font-family": "ui-monospace, monospace" }, box,
             g.children.length ? `${g.kernel.dispatches} dispatch${g.kernel.dispatches > 1 ? "es" : ""}` : "a copy into its parameter");
        }
        if (open) walk(c, x, y);
      } else {
        const n = byId.get(c.id);
        const g = el("g", { class: `node${matches.has(c.id) ? " match" : ""}${selected === c.id ? " selected" : ""}`,
                            "data-id": c.id, "data-kind": n.kind }, leaves);
        el("rect", { x, y, width: c.width, height: c.height, rx: n.role === "op" || n.role === "output" ? 5 : 14,
                     fill: KIND_COLOURS[n.kind] || KIND_COLOURS.other,
                     stroke: selected === c.id ? "#111827" : matches.has(c.id) ? "#dc2626" : "#64748b",
                     "stroke-width": selected === c.id || matches.has(c.id) ? 2.4 : 0.8 }, g);
        el("text", { x: x + c.width / 2, y: y + 14, "text-anchor": "middle", "font-size": 11.5, fill: "#111827",
                     "font-family": "system-ui, sans-serif" }, g, label(n));
        el("text", { x: x + c.width / 2, y: y + 27, "text-anchor": "middle", "font-size": 9.5, fill: "#475569",
                     "font-family": "ui-monospace, monospace" }, g, typeText(n));
      }
    }
  };
  walk(laidOut.graph, 0, 0);
  for (const e of laidOut.edges) {
    const a = where.get(e.sources[0]), b = where.get(e.targets[0]);
    if (!a || !b) continue;
    const size = e.from && e.from.shape ? e.from.shape.reduce((p, d) => p * d, 1) : 1;
    const route = routes.get(e.placed);
    let d, mid;
    if (route) {            // ELK's route between two boxes of one group: around the others
      d = roundedPath(route);
      const k = Math.floor((route.length - 1) / 2);
      mid = { x: (route[k].x + route[k + 1].x) / 2, y: (route[k].y + route[k + 1].y) / 2, long: pathLength(route) > 40 };
    } else {                // between the insides of two groups: a curve from one to the other
      const x1 = a.x + a.w / 2, y1 = a.y + a.h, x2 = b.x + b.w / 2, y2 = b.y, bend = Math.max(18, (y2 - y1) / 2);
      d = `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`;
      mid = { x: (x1 + x2) / 2, y: (y1 + y2) / 2, long: Math.abs(y2 - y1) > 30 };
    }
    el("path", { d, fill: "none", stroke: "#94a3b8", "stroke-width": Math.min(4, 0.8 + Math.log10(size + 1) * 0.55),
                 class: "edge" }, edgesLayer);
    if (e.from && e.from.shape && mid.long) {
      el("text", { x: mid.x + 4, y: mid.y, "font-size": 8.5, fill: "#64748b", "font-family": "ui-monospace, monospace" },
         edgesLayer, typeText(e.from));
    }
  }
  applyCamera();
}

// a polyline with its corners rounded (radius up to 8)
function roundedPath(points) {
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i], a = points[i - 1], b = points[i + 1];
    const r = Math.min(8, Math.hypot(p.x - a.x, p.y - a.y) / 2, Math.hypot(b.x - p.x, b.y - p.y) / 2);
    const towards = (q, t) => ({ x: p.x + ((q.x - p.x) * t) / (Math.hypot(q.x - p.x, q.y - p.y) || 1),
                                 y: p.y + ((q.y - p.y) * t) / (Math.hypot(q.x - p.x, q.y - p.y) || 1) });
    const s = towards(a, r), e = towards(b, r);
    d += ` L${s.x},${s.y} Q${p.x},${p.y} ${e.x},${e.y}`;
  }
  const last = points[points.length - 1];
  return `${d} L${last.x},${last.y}`;
}

function pathLength(points) {
  return points.slice(1).reduce((n, p, i) => n + Math.hypot(p.x - points[i].x, p.y - points[i].y), 0);
}

function applyCamera() {
  $("viewport").setAttribute("transform", `translate(${camera.x},${camera.y}) scale(${camera.k})`);
}

function fit() {
  if (!laidOut) return;
  const box = $("canvas").getBoundingClientRect(), w = laidOut.graph.width || 1, h = laidOut.graph.height || 1;
  camera.k = Math.min(1.25, Math.max(0.05, Math.min((box.width - 40) / w, (box.height - 40) / h)));
  camera.x = (box.width - w * camera.k) / 2;
  camera.y = 20;
  applyCamera();
}

// ---- opening a graph ---------------------------------------------------------------------------

export async function open(data, from) {
  if (!data || data.format !== "webgrad.graph" || !Array.isArray(data.nodes)) {
    throw new Error(`${from} is not a graph view (its "format" must be "webgrad.graph": wg.graph_view writes one)`);
  }
  if (data.version > 1) throw new Error(`${from} is graph view version ${data.version}; this page reads version 1`);
  view = { kernels: [], edges: [], writes: [], ...data };
  byId = new Map(view.nodes.map((n) => [n.id, n]));
  selected = null;
  matches = new Set();
  $("details").innerHTML = '<p class="muted">Click a node to see its op, shapes, the line that made it and the WGSL of its kernel.</p>';
  $("group-by").disabled = !view.kernels.length;
  if (!view.kernels.length) groupBy = "layers";
  $("group-by").value = groupBy;
  const ops = view.nodes.filter((n) => n.role === "op" || n.role === "output").length;
  const steps = view.steps > 1 ? ` of ${view.steps} steps` : "";
  $("summary").textContent = `${view.name}: ${view.nodes.length} nodes (${ops} ops)` +
    (view.dispatches != null ? ` · ${view.kernels.length} kernels · ${view.dispatches} dispatches a call${steps} (${view.lowering})` : "");
  $("summary").title = view.note ? `not one kernel: ${view.note}` : "";
  document.body.dataset.nodes = view.nodes.length;
  regroup(view.nodes.length <= 80);
  await layout();
  fit();
}

function regroup(openAll) {
  buildTree();
  expanded = new Set(openAll ? [...groups.keys()] : [""]);
}

async function openRun(run) {
  $("status").textContent = `loading the graph of ${run}…`;
  const r = await fetch(`/api/graph?run=${encodeURIComponent(run)}`);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  await open(body, `the graph of run ${run}`);
}

function showError(e) {
  $("status").textContent = String(e.message || e);
  document.body.dataset.state = view ? "ready" : "error";
}

async function openFile(file) {
  try {
    await open(JSON.parse(await file.text()), file.name);
  } catch (e) {
    showError(e);
  }
}

// ---- details -----------------------------------------------------------------------------------

function escapeHTML(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }

function showDetails(id) {
  const n = byId.get(id);
  const k = n.kernel !== null && n.kernel !== undefined ? view.kernels[n.kernel] : null;
  const rows = [["op", n.op], ["kind", n.kind], ["type", typeText(n)], ["scope", n.scope.join(" / ") || "(top)"],
                ["attrs", Object.keys(n.attrs || {}).length ? JSON.stringify(n.attrs) : ""],
                ["made at", n.site ? `${n.site}${n.code ? `\n${n.code}` : ""}` : ""], ["called from", n.called_from || ""],
                ["kernel", k ? `#${k.id} ${k.name} (${k.dispatches} dispatch${k.dispatches > 1 ? "es" : ""}, ${k.nodes.length} ops)` :
                  n.kind === "movement" ? "none: a view of its input" : n.role === "op" || n.role === "output" ? "none" : "none: a source"]];
  const writes = view.writes.filter((w) => w.value === id || w.capture === id);
  if (writes.length) rows.push(["in place", writes.map((w) => (w.value === id ? `new value of ${byId.get(w.capture).label}` : "updated by the call")).join(", ")]);
  $("details").innerHTML = `<h2>${escapeHTML(label(n))}</h2><dl>${rows.filter(([, v]) => v).map(([a, v]) =>
    `<dt>${a}</dt><dd>${escapeHTML(v).replace(/\n/g, "<br>")}</dd>`).join("")}</dl>` +
    (k ? `<h2>WGSL</h2>${k.wgsl.map((s) => `<pre class="wgsl">${escapeHTML(s)}</pre>`).join("")}` : "");
  selected = id;
  draw();
}

// ---- search ------------------------------------------------------------------------------------

function search(text, reveal) {
  const q = text.trim().toLowerCase();
  matches = new Set(q ? view.nodes.filter((n) => [n.id, n.op, n.label, ...n.scope].some((s) => String(s).toLowerCase().includes(q))).map((n) => n.id) : []);
  if (reveal && matches.size) {
    for (const id of [...matches].slice(0, 300)) ancestors(id).forEach((g) => expanded.add(g));
    return layout().then(() => centre([...matches][0]));
  }
  draw();
  $("status").textContent = q ? `${matches.size} match${matches.size === 1 ? "" : "es"} (Enter opens their boxes)` : "";
}

function centre(id) {
  const e = document.querySelector(`#viewport .node[data-id="${CSS.escape(id)}"] rect`);
  if (!e) return;
  const box = $("canvas").getBoundingClientRect();
  const x = +e.getAttribute("x") + +e.getAttribute("width") / 2, y = +e.getAttribute("y") + +e.getAttribute("height") / 2;
  camera.k = Math.max(camera.k, 0.9);
  camera.x = box.width / 2 - x * camera.k;
  camera.y = box.height / 2 - y * camera.k;
  applyCamera();
}

// ---- downloads ---------------------------------------------------------------------------------

function svgText() {
  const w = Math.ceil(laidOut.graph.width + 20), h = Math.ceil(laidOut.graph.height + 20);
  const copy = $("graph").cloneNode(true);
  copy.setAttribute("width", w);
  copy.setAttribute("height", h);
  copy.setAttribute("viewBox", `-10 -10 ${w} ${h}`);
  copy.querySelector("#viewport").removeAttribute("transform");
  return { text: new XMLSerializer().serializeToString(copy), w, h };
}

function save(name, blob) {
  const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function downloadPNG() {
  const { text, w, h } = svgText(), scale = Math.min(2, 8000 / Math.max(w, h));
  const img = new Image();
  img.onload = () => {
    const c = Object.assign(document.createElement("canvas"), { width: w * scale, height: h * scale });
    const ctx = c.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, c.width, c.height);
    ctx.drawImage(img, 0, 0, c.width, c.height);
    c.toBlob((b) => save(`${view.name}.png`, b), "image/png");
  };
  img.src = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
}

// ---- the page's controls -----------------------------------------------------------------------

function wire() {
  const canvas = $("canvas");
  $("viewport").addEventListener("click", (e) => {
    const target = e.target.closest(".node, .box");
    if (!target) return;
    const id = target.dataset.id;
    if (target.classList.contains("node")) return showDetails(id);
    const onTitle = target.classList.contains("collapsed") || e.target.classList.contains("title");
    if (!onTitle) return;
    expanded.has(id) ? expanded.delete(id) : expanded.add(id);
    layout();
  });
  let drag = null;
  canvas.addEventListener("pointerdown", (e) => {
    if (e.target.closest(".node, .box .title, .box.collapsed")) return;
    drag = { x: e.clientX - camera.x, y: e.clientY - camera.y };
    canvas.classList.add("dragging");
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drag) return;
    camera.x = e.clientX - drag.x;
    camera.y = e.clientY - drag.y;
    applyCamera();
  });
  canvas.addEventListener("pointerup", () => { drag = null; canvas.classList.remove("dragging"); });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    const box = canvas.getBoundingClientRect(), px = e.clientX - box.left, py = e.clientY - box.top;
    const k = Math.min(4, Math.max(0.03, camera.k * Math.exp(-e.deltaY * 0.0015)));
    camera.x = px - ((px - camera.x) * k) / camera.k;
    camera.y = py - ((py - camera.y) * k) / camera.k;
    camera.k = k;
    applyCamera();
  }, { passive: false });
  canvas.addEventListener("dragover", (e) => { e.preventDefault(); canvas.classList.add("drop"); });
  canvas.addEventListener("dragleave", () => canvas.classList.remove("drop"));
  canvas.addEventListener("drop", (e) => {
    e.preventDefault();
    canvas.classList.remove("drop");
    if (e.dataTransfer.files[0]) openFile(e.dataTransfer.files[0]);
  });
  $("file").onchange = (e) => { if (e.target.files[0]) openFile(e.target.files[0]); e.target.value = ""; };
  $("group-by").onchange = (e) => { groupBy = e.target.value; regroup(false); layout().then(fit); };
  $("expand-all").onclick = () => { if (view) { expanded = new Set(groups.keys()); layout().then(fit); } };
  $("collapse-all").onclick = () => { if (view) { expanded = new Set([""]); layout().then(fit); } };
  $("fit").onclick = fit;
  $("search").addEventListener("input", (e) => view && search(e.target.value, false));
  $("search").addEventListener("keydown", (e) => { if (e.key === "Enter" && view) search(e.target.value, true); });
  $("download-svg").onclick = () => laidOut && save(`${view.name}.svg`, new Blob([svgText().text], { type: "image/svg+xml" }));
  $("download-png").onclick = () => laidOut && downloadPNG();
}

wire();
const query = new URLSearchParams(location.search), run = query.get("run");
if (query.has("embed")) document.body.classList.add("embedded");     // in the dashboard's Graphs tab: no page header
if (run) openRun(run).catch(showError);
if (query.get("from") === "parent") {       // the playground's dialog: it sends the graph of what it trains
  addEventListener("message", (e) => {
    if (e.source === window.parent && e.origin === location.origin && e.data?.type === "webgrad.graph") {
      open(e.data.view, "the playground's graph").catch(showError);
    }
  });
  window.parent.postMessage({ type: "webgrad.graph.ready" }, location.origin);
}
