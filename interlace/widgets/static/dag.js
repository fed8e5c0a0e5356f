// DagWidget view: an SVG of the laid-out models; node colour follows `statuses`, a click shows details.
const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 168;
const NODE_H = 34;
const PAD = 12;

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

function short(name, max = 22) {
  return name.length > max ? name.slice(0, max - 1) + "…" : name;
}

function render({ model, el }) {
  el.classList.add("interlace-dag");
  const header = div("interlace-dag-header");
  const canvas = div("interlace-dag-canvas");
  const details = div("interlace-dag-details");
  el.append(header, canvas, details);
  let groups = new Map();

  function draw() {
    const nodes = model.get("nodes") || [];
    const edges = model.get("edges") || [];
    canvas.replaceChildren();
    groups = new Map();
    if (!nodes.length) {
      canvas.append(div("interlace-dag-empty", "No models yet: declare one with %%interlace_model or @model."));
      return;
    }
    const width = Math.max(...nodes.map((n) => n.x)) + NODE_W + 2 * PAD;
    const height = Math.max(...nodes.map((n) => n.y)) + NODE_H + 2 * PAD;
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
    const at = new Map(nodes.map((n) => [n.name, n]));
    const edgeLayer = svg("g", { class: "interlace-dag-edges" });
    for (const [from, to] of edges) {
      const a = at.get(from);
      const b = at.get(to);
      if (!a || !b) continue;
      const x1 = a.x + PAD + NODE_W, y1 = a.y + PAD + NODE_H / 2;
      const x2 = b.x + PAD, y2 = b.y + PAD + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      edgeLayer.append(svg("path", {
        d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`,
        class: "interlace-dag-edge", "data-from": from, "data-to": to,
      }));
    }
    root.append(edgeLayer);
    for (const n of nodes) {
      const g = svg("g", {
        class: "interlace-dag-node", "data-model": n.name, transform: `translate(${n.x + PAD},${n.y + PAD})`,
        tabindex: 0,
      });
      const title = svg("title");
      g.append(svg("rect", { width: NODE_W, height: NODE_H, rx: 7, ry: 7 }), title);
      const label = svg("text", { x: 10, y: NODE_H / 2 + 4 });
      label.textContent = short(n.name);
      const kind = svg("text", { x: NODE_W - 8, y: NODE_H / 2 + 4, class: "interlace-dag-kind", "text-anchor": "end" });
      kind.textContent = n.kind === "python" ? "py" : "sql";
      g.append(label, kind);
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
    model.off("change:nodes", onNodes);
    model.off("change:edges", onNodes);
    model.off("change:statuses", paint);
    model.off("change:runinfo", showDetails);
    model.off("change:selected", paint);
    model.off("change:run_state", paint);
  };
}

export default { render };
