// RunProgress view: a progress bar, one line per model (live), then the run's summary.
const DONE = new Set(["success", "failed", "skipped", "cancelled"]);
const SYMBOL = { waiting: "·", queued: "…", running: "▶", success: "✓", failed: "✗", skipped: "–", cancelled: "■" };

function div(cls, text) {
  const node = document.createElement("div");
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function render({ model, el }) {
  el.classList.add("interlace-progress");
  const title = div("interlace-progress-title");
  const bar = div("interlace-progress-bar");
  const fill = div("interlace-progress-fill");
  bar.append(fill);
  const list = div("interlace-progress-list");
  el.append(title, bar, list);

  function update() {
    const models = model.get("models") || [];
    const state = model.get("run_state");
    const done = models.filter((m) => DONE.has(m.status)).length;
    const failed = models.some((m) => m.status === "failed");
    el.setAttribute("data-state", state);
    fill.style.width = models.length ? `${(100 * done) / models.length}%` : state === "waiting" ? "0%" : "100%";
    fill.classList.toggle("interlace-progress-failed", failed || state === "failed");
    title.textContent = model.get("summary") ||
      `Run ${model.get("run_id") || ""} — ${done}/${models.length} models — ${state}`;
    list.replaceChildren();
    for (const m of models) {
      const line = div("interlace-progress-line");
      line.setAttribute("data-status", m.status);
      line.setAttribute("data-model", m.model);
      line.append(div("interlace-progress-symbol", SYMBOL[m.status] || "?"), div("interlace-progress-name", m.model));
      const note = [];
      if (m.rows !== undefined && m.rows !== null) note.push(`${Number(m.rows).toLocaleString()} rows`);
      for (const key of ["inserted", "updated", "deleted"]) {
        if (m[key] !== undefined && m[key] !== null && (m.updated !== null || m.deleted !== null)) note.push(`${m[key]} ${key}`);
      }
      if (m.duration_ms !== undefined && m.duration_ms !== null) note.push(`${(m.duration_ms / 1000).toFixed(2)} s`);
      if (m.reason) note.push(m.reason);
      line.append(div("interlace-progress-note", note.join(" · ")));
      list.append(line);
      if (m.error) {
        const err = div("interlace-progress-error", m.error);
        if (m.hint) err.append(div("interlace-progress-hint", "Fix: " + m.hint));
        list.append(err);
      }
    }
  }

  for (const name of ["models", "run_state", "summary", "run_id"]) model.on(`change:${name}`, update);
  update();
  return () => {
    for (const name of ["models", "run_state", "summary", "run_id"]) model.off(`change:${name}`, update);
  };
}

export default { render };
