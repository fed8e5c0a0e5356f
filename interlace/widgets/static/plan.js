// PlanView: one row per model with its action and reason; with --diff, its column changes and
// BREAKING flags for changes a downstream model reads.
function el_(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function change(c) {
  if (c.kind === "added") return `+${c.column} ${c.new_type || ""}`;
  if (c.kind === "removed") return `-${c.column} ${c.old_type || ""}`;
  return `~${c.column} ${c.old_type} → ${c.new_type} (${c.kind})`;
}

function render({ model, el }) {
  el.classList.add("interlace-plan-view");

  function update() {
    const steps = model.get("steps") || [];
    const previews = model.get("previews");
    el.replaceChildren();
    const builds = steps.filter((s) => s.action === "build").length;
    const title = el_("div", "interlace-plan-title");
    title.append(el_("b", null, steps.length ? `Plan: ${builds} of ${steps.length} model${steps.length === 1 ? "" : "s"} to build`
      : "Plan: the selection matched no models"));
    const nBreaking = Object.values(previews || {}).reduce((n, p) => n + (p.breaking || []).length, 0);
    if (nBreaking) title.append(el_("span", "interlace-plan-breaking", `${nBreaking} BREAKING`));
    el.append(title);
    if (!steps.length) return;
    const table = el_("table", "interlace-plan-table");
    const head = el_("tr");
    for (const h of ["model", "action", "reason"].concat(previews ? ["schema"] : [])) head.append(el_("th", null, h));
    table.append(head);
    for (const s of steps) {
      const tr = el_("tr", `interlace-plan-${s.action}`);
      tr.setAttribute("data-action", s.action);
      tr.append(el_("td", null, s.model), el_("td", "interlace-plan-action", s.action), el_("td", null, s.reason));
      if (previews) {
        const td = el_("td");
        const p = previews[s.model];
        if (p) {
          if (p.note) td.append(el_("div", "interlace-plan-note", p.note));
          for (const c of p.changes || []) td.append(el_("div", `interlace-plan-change interlace-plan-${c.kind}`, change(c)));
          for (const b of p.breaking || []) {
            const line = el_("div");
            line.append(el_("span", "interlace-plan-breaking", "BREAKING"),
              document.createTextNode(` ${b.column} (${b.kind}) read by ${(b.read_by || []).join(", ")}`));
            td.append(line);
          }
          if (!p.note && !(p.changes || []).length) td.append(el_("span", "interlace-plan-note", "no change"));
        }
        tr.append(td);
      }
      table.append(tr);
    }
    el.append(table);
  }

  model.on("change:steps", update);
  model.on("change:previews", update);
  update();
  return () => { model.off("change:steps", update); model.off("change:previews", update); };
}

export default { render };
