// ModelResult view: a status line, counts, the schema change, the error (what / where / fix), a preview.
function el_(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function badge(label, value, cls) {
  const b = el_("span", "interlace-result-badge " + (cls || ""));
  b.append(el_("b", null, value), document.createTextNode(" " + label));
  return b;
}

function render({ model, el }) {
  el.classList.add("interlace-result");

  function update() {
    const r = model.get("result") || {};
    const preview = model.get("preview") || {};
    const changes = model.get("changes");
    el.replaceChildren();
    el.setAttribute("data-status", r.status || "");
    const head = el_("div", "interlace-result-head");
    head.append(el_("span", "interlace-result-status", r.status), el_("span", "interlace-result-name", r.model));
    if (r.materialize) head.append(el_("span", "interlace-result-kind", r.materialize + (r.relation ? ` ${r.relation}` : "")));
    el.append(head);
    const badges = el_("div", "interlace-result-badges");
    if (r.rows !== null && r.rows !== undefined) badges.append(badge("rows", Number(r.rows).toLocaleString()));
    for (const key of ["inserted", "updated", "deleted"]) {
      if (r[key] !== null && r[key] !== undefined) badges.append(badge(key, Number(r[key]).toLocaleString(), "interlace-" + key));
    }
    if (r.duration_ms !== null && r.duration_ms !== undefined) badges.append(badge("s", (r.duration_ms / 1000).toFixed(2)));
    if ((r.status === "skipped" || r.status === "cancelled") && r.reason) badges.append(el_("span", "interlace-result-reason", r.reason));
    for (const check of r.checks || []) {
      const state = check.status !== "fail" ? check.status : check.severity === "warn" ? "warn" : "fail";
      const b = el_("span", "interlace-result-badge interlace-check", (state === "pass" ? "✓ " : state === "warn" ? "! " : "✗ ") + check.check +
        (check.failing ? `: ${Number(check.failing).toLocaleString()} failing` : ""));
      b.setAttribute("data-check", state);
      if (check.message) b.title = check.message;
      badges.append(b);
    }
    el.append(badges);
    if (changes && !changes.created) {
      const parts = [];
      for (const [c, t] of changes.added || []) parts.push(["added", `+ ${c} ${t}`]);
      for (const [c, t] of changes.removed || []) parts.push(["removed", `− ${c} ${t}`]);
      for (const [c, a, b] of changes.retyped || []) parts.push(["retyped", `~ ${c} ${a} → ${b}`]);
      if (parts.length) {
        const box = el_("div", "interlace-result-changes", "schema changed: ");
        for (const [kind, text] of parts) box.append(el_("span", "interlace-change-" + kind, text));
        el.append(box);
      }
    }
    if (r.error) {
      const box = el_("div", "interlace-result-error");
      box.append(el_("div", "interlace-result-message", r.error.message));
      if (r.error.origin) box.append(el_("div", "interlace-result-origin", "in " + r.error.origin));
      if (r.error.details) box.append(el_("pre", "interlace-result-details", r.error.details));
      if (r.error.hint) box.append(el_("div", "interlace-result-hint", "Fix: " + r.error.hint));
      el.append(box);
    }
    const columns = preview.columns || [];
    if (columns.length) {
      const table = el_("table", "interlace-result-preview");
      const tr = el_("tr");
      for (const c of columns) tr.append(el_("th", null, c));
      table.append(el_("thead"));
      table.firstChild.append(tr);
      const body = el_("tbody");
      for (const row of preview.rows || []) {
        const line = el_("tr");
        for (const v of row) line.append(el_("td", v === null ? "interlace-null" : null, v === null ? "NULL" : v));
        body.append(line);
      }
      table.append(body);
      el.append(table);
    }
  }

  for (const name of ["result", "preview", "changes"]) model.on(`change:${name}`, update);
  update();
  return () => {
    for (const name of ["result", "preview", "changes"]) model.off(`change:${name}`, update);
  };
}

export default { render };
