// DagWidget view: an SVG of the models laid out left to right by dagre (vendor/dagre.min.js, which
// interlace/widgets/assets.py puts before this file in the one ESM: it defines `dagre`). Edges run
// between the columns and cross a column only in the free lane dagre reserved for them, so no edge
// passes under a node; an arrowhead points at the reader. Node colour follows `statuses` (a legend
// explains each one), a click shows details; long names are cut to fit with the full name on hover.
/* global dagre */
const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 180;
const NODE_H = 34;
const PAD = 12;
const ARROW = 8; // arrowhead length: the path stops this short of the node, the marker fills the gap
const LABEL_X = 10;
const LABEL_MAX = NODE_W - LABEL_X - 36; // the kind tag ("sql"/"py") keeps the right 36 px
const FALLBACK_CHARS = 18; // when text cannot be measured yet (a hidden tab): fits LABEL_MAX at 12 px
let widgets = 0; // marker ids must be unique in the page: several DAGs may be shown at once

const LEGEND = [
  ["idle", "not planned yet"],
  ["stale", "the next run builds it"],
  ["fresh", "up to date: the next run skips it"],
  ["queued", "waiting in the run"],
  ["running", "being built"],
  ["success", "built by a run in this session"],
  ["failed", "its build failed (click it)"],
  ["skipped", "not built: an upstream failed"],
  ["cancelled", "its run was cancelled"],
];

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

function div(cls, text) {
  const node = document.createElement("div");
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function short(name, max) {
  return name.length > max ? name.slice(0, max - 1) + "…" : name;
}

// Shorten `label` (an SVG text) until it fits LABEL_MAX; false when it cannot be measured yet.
function fit(label) {
  const name = label.getAttribute("data-name");
  label.textContent = name;
  if (!label.getComputedTextLength()) {
    label.textContent = short(name, FALLBACK_CHARS);
    return false;
  }
  let lo = 1, hi = name.length;
  if (label.getComputedTextLength() <= LABEL_MAX) return true;
  while (lo < hi) { // the longest prefix that fits with its ellipsis
    const mid = Math.ceil((lo + hi) / 2);
    label.textContent = name.slice(0, mid) + "…";
    if (label.getComputedTextLength() <= LABEL_MAX) lo = mid; else hi = mid - 1;
  }
  label.textContent = name.slice(0, lo) + "…";
  return true;
}

// Positions (top-left corners) and edge paths for `nodes` and `edges`.
function place(nodes, edges) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 16, edgesep: 12, ranksep: 64, marginx: PAD, marginy: PAD });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.name, { width: NODE_W, height: NODE_H });
  const kept = edges.filter(([a, b]) => a !== b && g.hasNode(a) && g.hasNode(b));
  for (const [a, b] of kept) g.setEdge(a, b);
  dagre.layout(g);
  const columns = [...new Set(nodes.map((n) => g.node(n.name).x))].sort((a, b) => a - b);
  const at = new Map(nodes.map((n) => [n.name, { x: g.node(n.name).x - NODE_W / 2, y: g.node(n.name).y - NODE_H / 2 }]));
  const routes = kept.map(([a, b]) => ({ from: a, to: b, d: route(g, a, b, columns) }));
  const { width, height } = g.graph();
  return { at, routes, width: Math.ceil(width), height: Math.ceil(height) };
}

// The path of edge a -> b: out of a's right side, through the lane dagre kept free in each column
// between them (a straight run across the column), into b's left side. Curves only in the gaps
// between columns, where there are no nodes.
function route(g, from, to, columns) {
  const a = g.node(from), b = g.node(to);
  const points = g.edge(from, to).points || [];
  let x = a.x + NODE_W / 2, y = a.y;
  let d = `M${x},${y}`;
  const curve = (x2, y2) => {
    const m = (x + x2) / 2;
    d += ` C${m},${y} ${m},${y2} ${x2},${y2}`;
    x = x2; y = y2;
  };
  for (const cx of columns) {
    if (cx <= a.x + 1 || cx >= b.x - 1) continue;
    let lane = null; // the point dagre placed for this edge in this column (a dummy node)
    for (const p of points) if (Math.abs(p.x - cx) < 2 && (lane === null || Math.abs(p.x - cx) < Math.abs(lane.x - cx))) lane = p;
    const ly = lane ? lane.y : a.y + ((b.y - a.y) * (cx - a.x)) / (b.x - a.x);
    curve(cx - NODE_W / 2, ly);
    x = cx + NODE_W / 2;
    d += ` H${x}`;
  }
  curve(b.x - NODE_W / 2 - ARROW, b.y);
  return d;
}

function legend() {
  const box = div("interlace-dag-legend");
  for (const [status, meaning] of LEGEND) {
    const item = div("interlace-dag-legend-item");
    item.setAttribute("data-status", status);
    const swatch = document.createElement("span");
    swatch.className = "interlace-dag-swatch";
    const name = document.createElement("b");
    name.textContent = status;
    item.append(swatch, name, document.createTextNode(" " + meaning));
    box.append(item);
  }
  const arrow = div("interlace-dag-legend-item", "A → B: B reads A");
  arrow.setAttribute("data-status", "edge");
  box.append(arrow);
  return box;
}

function render({ model, el }) {
  el.classList.add("interlace-dag");
  const marker = `interlace-dag-arrow-${++widgets}-${Math.random().toString(36).slice(2, 8)}`;
  const header = div("interlace-dag-header");
  const canvas = div("interlace-dag-canvas");
  const details = div("interlace-dag-details");
  el.append(header, legend(), canvas, details);
  let groups = new Map();
  let paths = [];
  let labels = [];
  let measured = false;

  function fitLabels() {
    if (measured || !labels.length) return;
    measured = labels.map(fit).every(Boolean);
  }
  const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => fitLabels());
  if (observer) observer.observe(canvas); // a hidden tab shown later: measure the names then

  function draw() {
    const nodes = model.get("nodes") || [];
    const edges = model.get("edges") || [];
    canvas.replaceChildren();
    groups = new Map();
    paths = [];
    labels = [];
    measured = false;
    if (!nodes.length) {
      canvas.append(div("interlace-dag-empty", "No models yet: declare one with %%interlace_model or @model."));
      return;
    }
    const { at, routes, width, height } = place(nodes, edges);
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
    const defs = svg("defs");
    const head = svg("marker", {
      id: marker, viewBox: "0 0 10 10", refX: 0, refY: 5, markerWidth: ARROW, markerHeight: ARROW,
      markerUnits: "userSpaceOnUse", orient: "auto",
    });
    head.append(svg("path", { d: "M0,0 L10,5 L0,10 z", class: "interlace-dag-arrow" }));
    defs.append(head);
    root.append(defs);
    const edgeLayer = svg("g", { class: "interlace-dag-edges" });
    for (const r of routes) {
      const path = svg("path", {
        d: r.d, class: "interlace-dag-edge", "data-from": r.from, "data-to": r.to, "marker-end": `url(#${marker})`,
      });
      paths.push(path);
      edgeLayer.append(path);
    }
    root.append(edgeLayer);
    for (const n of nodes) {
      const p = at.get(n.name);
      const g = svg("g", {
        class: "interlace-dag-node", "data-model": n.name, transform: `translate(${p.x},${p.y})`, tabindex: 0,
      });
      const title = svg("title");
      g.append(svg("rect", { width: NODE_W, height: NODE_H, rx: 7, ry: 7 }), title);
      const label = svg("text", { x: LABEL_X, y: NODE_H / 2 + 4, class: "interlace-dag-name", "data-name": n.name });
      label.textContent = short(n.name, FALLBACK_CHARS);
      const kind = svg("text", { x: NODE_W - 8, y: NODE_H / 2 + 4, class: "interlace-dag-kind", "text-anchor": "end" });
      kind.textContent = n.kind === "python" ? "py" : "sql";
      g.append(label, kind);
      labels.push(label);
      const select = () => {
        model.set("selected", model.get("selected") === n.name ? "" : n.name);
        model.save_changes();
      };
      g.addEventListener("click", select);
      g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") select(); });
      groups.set(n.name, g);
      root.append(g);
    }
    canvas.append(root);
    fitLabels();
    paint();
  }

  function paint() {
    const statuses = model.get("statuses") || {};
    const selected = model.get("selected");
    const counts = {};
    for (const [name, g] of groups) {
      const status = statuses[name] || "idle";
      counts[status] = (counts[status] || 0) + 1;
      g.setAttribute("data-status", status);
      g.classList.toggle("interlace-dag-selected", name === selected);
      g.querySelector("title").textContent = `${name}: ${status}`;
    }
    for (const path of paths) {
      const active = !!selected && (path.dataset.from === selected || path.dataset.to === selected);
      path.classList.toggle("interlace-dag-edge-active", active);
    }
    const parts = Object.entries(counts).map(([s, c]) => `${c} ${s}`);
    header.textContent = `${groups.size} model${groups.size === 1 ? "" : "s"}` +
      (parts.length ? " · " + parts.join(", ") : "") + ` · run: ${model.get("run_state")}`;
    header.setAttribute("data-run-state", model.get("run_state"));
    showDetails();
  }

  function row(label, value) {
    const r = div("interlace-dag-row");
    r.append(div("interlace-dag-label", label), div("interlace-dag-value", value));
    return r;
  }

  function showDetails() {
    const name = model.get("selected");
    const node = (model.get("nodes") || []).find((n) => n.name === name);
    details.replaceChildren();
    details.hidden = !node;
    if (!node) return;
    const status = (model.get("statuses") || {})[name] || "idle";
    const info = (model.get("runinfo") || {})[name] || {};
    const title = div("interlace-dag-title", node.name);
    title.setAttribute("data-status", status);
    details.append(title);
    if (node.description) details.append(div("interlace-dag-description", node.description));
    details.append(
      row("status", status),
      row("kind", `${node.kind} · ${node.materialize} · ${node.strategy}`),
      row("declared in", node.origin),
      row("reads", [...node.upstream, ...node.sources].join(", ") || "—"),
      row("read by", node.downstream.join(", ") || "—"),
    );
    if (node.tags.length) details.append(row("tags", node.tags.join(", ")));
    if (info.rows !== undefined && info.rows !== null) details.append(row("rows", Number(info.rows).toLocaleString()));
    if (info.duration_ms !== undefined && info.duration_ms !== null) details.append(row("duration", `${(info.duration_ms / 1000).toFixed(2)} s`));
    if (info.reason) details.append(row(["skipped", "cancelled"].includes(status) ? "reason" : "built because", info.reason));
    if (info.error) {
      const box = div("interlace-dag-error", info.error);
      if (info.hint) box.append(div("interlace-dag-hint", "Fix: " + info.hint));
      details.append(box);
    }
  }

  const onNodes = () => draw();
  model.on("change:nodes", onNodes);
  model.on("change:edges", onNodes);
  model.on("change:statuses", paint);
  model.on("change:runinfo", showDetails);
  model.on("change:selected", paint);
  model.on("change:run_state", paint);
  draw();
  return () => {
    if (observer) observer.disconnect();
    model.off("change:nodes", onNodes);
    model.off("change:edges", onNodes);
    model.off("change:statuses", paint);
    model.off("change:runinfo", showDetails);
    model.off("change:selected", paint);
    model.off("change:run_state", paint);
  };
}

export default { render };
