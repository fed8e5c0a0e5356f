// SchemaDiff view: one row per column, coloured by what changed.
const SYMBOL = { added: "+", removed: "−", retyped: "~", same: "" };

function el_(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function render({ model, el }) {
  el.classList.add("interlace-diff");

  function update() {
    const rows = model.get("rows") || [];
    const count = (c) => rows.filter((r) => r.change === c).length;
    el.replaceChildren();
    const title = el_("div", "interlace-diff-title");
    title.append(el_("b", null, model.get("model")), document.createTextNode(` ${model.get("before")} → ${model.get("after")}: `));
    for (const c of ["added", "removed", "retyped"]) title.append(el_("span", `interlace-diff-count interlace-diff-${c}`, `${count(c)} ${c}`));
    el.append(title);
    const table = el_("table", "interlace-diff-table");
    const head = el_("tr");
    for (const h of ["", "column", model.get("before"), model.get("after")]) head.append(el_("th", null, h));
    table.append(head);
    for (const r of rows) {
      const tr = el_("tr", `interlace-diff-${r.change}`);
      tr.setAttribute("data-change", r.change);
      tr.append(el_("td", "interlace-diff-symbol", SYMBOL[r.change]), el_("td", null, r.column),
        el_("td", null, r.old || ""), el_("td", null, r.new || ""));
      table.append(tr);
    }
    el.append(table);
  }

  for (const name of ["rows", "model", "before", "after"]) model.on(`change:${name}`, update);
  update();
  return () => {
    for (const name of ["rows", "model", "before", "after"]) model.off(`change:${name}`, update);
  };
}

export default { render };
