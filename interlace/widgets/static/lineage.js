// LineageWidget view: column lineage trees; a click on a column selects it (synced as `selected`)
// and lists the columns it is read from and read by.
function el_(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

const key = (n) => `${n.relation}.${n.column}`;

function render({ model, el }) {
  el.classList.add("interlace-lineage");

  function flows() {
    const up = model.get("direction") === "upstream";
    const out = new Set();
    const walk = (n) => {
      for (const c of n.children || []) {
        out.add(up ? `${key(c)}\u0000${key(n)}` : `${key(n)}\u0000${key(c)}`);
        walk(c);
      }
    };
    for (const t of model.get("trees") || []) walk(t);
    return [...out].map((s) => s.split("\u0000"));
  }

  function update() {
    const trees = model.get("trees") || [];
    const selected = model.get("selected");
    const arrow = model.get("direction") === "upstream" ? "←" : "→";
    el.replaceChildren();
    el.append(el_("div", "interlace-lineage-title", `Lineage (${model.get("direction")})`));
    const node = (n, depth) => {
      const li = el_("li");
      const label = el_("span", "interlace-lineage-node" + (key(n) === selected ? " interlace-lineage-selected" : ""),
        (depth ? arrow + " " : "") + key(n));
      label.setAttribute("data-key", key(n));
      if (n.kind && n.kind !== "value") label.append(el_("span", "interlace-lineage-kind", n.kind));
      label.addEventListener("click", () => {
        model.set("selected", key(n) === selected ? "" : key(n));
        model.save_changes();
      });
      li.append(label);
      if ((n.children || []).length) {
        const ul = el_("ul");
        for (const c of n.children) ul.append(node(c, depth + 1));
        li.append(ul);
      }
      return li;
    };
    const ul = el_("ul", "interlace-lineage-tree");
    for (const t of trees) ul.append(node(t, 0));
    el.append(ul);
    if (!trees.length) el.append(el_("div", null, "No lineage recorded."));
    if (selected) {
      const f = flows();
      const from = [...new Set(f.filter(([, t]) => t === selected).map(([s]) => s))].sort();
      const to = [...new Set(f.filter(([s]) => s === selected).map(([, t]) => t))].sort();
      const panel = el_("div", "interlace-lineage-panel");
      panel.append(el_("b", null, selected));
      panel.append(el_("div", null, "reads from: " + (from.join(", ") || "—")));
      panel.append(el_("div", null, "read by: " + (to.join(", ") || "—")));
      el.append(panel);
    }
  }

  const names = ["trees", "direction", "selected"];
  for (const n of names) model.on(`change:${n}`, update);
  update();
  return () => { for (const n of names) model.off(`change:${n}`, update); };
}

export default { render };
