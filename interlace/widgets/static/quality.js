// QualityReport view: a summary line, one row per check; a click on a failing check shows its
// message, the SQL that reproduces it and sample failing rows.
function el_(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function render({ model, el }) {
  el.classList.add("interlace-quality");
  let open = null; // index of the check whose details are shown

  function details(r) {
    const box = el_("div", "interlace-quality-details");
    box.append(el_("div", null, r.message || r.outcome));
    if (r.sql) box.append(el_("pre", null, r.sql));
    const samples = r.samples || [];
    if (samples.length) {
      const cols = [...new Set(samples.flatMap((s) => Object.keys(s)))];
      const t = el_("table", "interlace-quality-samples");
      const head = el_("tr");
      for (const c of cols) head.append(el_("th", null, c));
      t.append(head);
      for (const s of samples) {
        const tr = el_("tr");
        for (const c of cols) tr.append(el_("td", null, s[c] === null || s[c] === undefined ? "" : s[c]));
        t.append(tr);
      }
      box.append(t);
    }
    return box;
  }

  function update() {
    const results = model.get("results") || [];
    el.replaceChildren();
    const counts = {};
    for (const r of results) counts[r.outcome] = (counts[r.outcome] || 0) + 1;
    const title = el_("div", "interlace-quality-title");
    title.append(el_("b", null, model.get("label")), document.createTextNode(` ${results.length} checks `));
    for (const k of ["pass", "warn", "fail", "error"]) {
      if (counts[k]) title.append(el_("span", `interlace-quality-count interlace-quality-${k}`, `${counts[k]} ${k}`));
    }
    el.append(title);
    if (!results.length) {
      el.append(el_("div", null, "No results yet: declare quality_checks and run the models."));
      return;
    }
    const table = el_("table", "interlace-quality-table");
    const head = el_("tr");
    for (const h of ["model", "check", "severity", "status", "failing", "checked"]) head.append(el_("th", null, h));
    table.append(head);
    results.forEach((r, i) => {
      const tr = el_("tr", `interlace-quality-row interlace-quality-${r.outcome}`);
      tr.setAttribute("data-status", r.outcome);
      tr.append(el_("td", null, r.model), el_("td", null, r.check_name), el_("td", null, r.severity),
        el_("td", "interlace-quality-status", r.outcome), el_("td", null, r.failing),
        el_("td", null, String(r.checked_at || "").slice(0, 19).replace("T", " ")));
      if (r.outcome !== "pass") {
        tr.classList.add("interlace-quality-clickable");
        tr.addEventListener("click", () => { open = open === i ? null : i; update(); });
      }
      table.append(tr);
      if (open === i) {
        const row = el_("tr");
        const td = el_("td");
        td.colSpan = 6;
        td.append(details(r));
        row.append(td);
        table.append(row);
      }
    });
    el.append(table);
  }

  model.on("change:results", update);
  model.on("change:label", update);
  update();
  return () => { model.off("change:results", update); model.off("change:label", update); };
}

export default { render };
