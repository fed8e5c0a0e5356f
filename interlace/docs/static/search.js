// Client-side search over models, columns and descriptions. The index is sharded by term prefix
// (search/<key>.js: two characters, longer where a shard grew big; search/shards.js lists the keys);
// a query loads only the shards its words can be in, then the document shards (search/docs-<N>.js)
// of the results it shows, as <script> files, so the site works from file:// where fetch() of local
// files is refused.
(function () {
  "use strict";
  var body = document.body, root = body.getAttribute("data-root") || "";
  var shards = {}, waiting = {}, known = null, perShard = 500;
  function arrived(key, data) { shards[key] = data; (waiting[key] || []).forEach(function (f) { f(); }); delete waiting[key]; }
  var api = window.interlaceSearch = {
    shard: arrived,
    docs: function (n, docs) { arrived("docs-" + n, { docs: docs }); },
    known: function (keys, docsPerShard) { known = {}; keys.forEach(function (k) { known[k] = true; }); perShard = docsPerShard || perShard; },
    query: query,
  };
  // the shards that can hold a term starting with w: keys that are a prefix of w, or start with w
  function keysOf(w) {
    if (!known) return [w.slice(0, 2)];
    return Object.keys(known).filter(function (k) { return w.indexOf(k) === 0 || k.indexOf(w) === 0; });
  }
  function words(text) { return (text.toLowerCase().match(/[a-z0-9_]+/g) || []).filter(function (w) { return w.length > 0; }); }
  function load(key, done) {
    if (shards[key]) return done();
    if (known && !known[key] && key.indexOf("docs-") !== 0) { shards[key] = { terms: {}, docs: {} }; return done(); }
    if (waiting[key]) { waiting[key].push(done); return; }
    waiting[key] = [done];
    var s = document.createElement("script");
    s.src = root + "search/" + key + ".js";
    s.onerror = function () { api.shard(key, { terms: {}, docs: {} }); };
    document.head.appendChild(s);
  }
  // Every word must match (as a prefix of an indexed term); results ranked by exact-word matches.
  function query(text, done) {
    var ws = words(text); if (!ws.length) return done([]);
    var keys = {}; ws.forEach(function (w) { keysOf(w).forEach(function (k) { keys[k] = true; }); });
    var pending = Object.keys(keys).length;
    if (!pending) return done([]);
    Object.keys(keys).forEach(function (k) { load(k, function () { if (--pending === 0) withDocs(rank(ws), done); }); });
  }
  // load the document shards of the results, then order them by score and name
  function withDocs(found, done) {
    var need = {}; found.forEach(function (r) { need["docs-" + Math.floor(r.id / perShard)] = true; });
    var pending = Object.keys(need).length;
    function finish() {
      found.forEach(function (r) { r.doc = (shards["docs-" + Math.floor(r.id / perShard)].docs || {})[r.id] || ["?", null, ""]; });
      done(found.sort(function (a, b) { return b.score - a.score || (a.doc[1] ? 1 : 0) - (b.doc[1] ? 1 : 0) || (a.doc[0] + (a.doc[1] || "")).localeCompare(b.doc[0] + (b.doc[1] || "")); }));
    }
    if (!pending) return finish();
    Object.keys(need).forEach(function (k) { load(k, function () { if (--pending === 0) finish(); }); });
  }
  function rank(ws) {
    var score = null;
    ws.forEach(function (w) {
      var hits = {};
      keysOf(w).forEach(function (k) {
        var shard = shards[k];
        Object.keys(shard.terms).forEach(function (term) {
          if (term.indexOf(w) !== 0) return;
          shard.terms[term].forEach(function (id) { hits[id] = Math.max(hits[id] || 0, term === w ? 2 : 1); });
        });
      });
      if (score === null) score = hits;
      else Object.keys(score).forEach(function (id) { if (!(id in hits)) delete score[id]; else score[id] += hits[id]; });
    });
    // the best 50 by score (ties: the earlier document, a model before its columns)
    return Object.keys(score || {}).map(function (id) { return { id: +id, score: score[id] }; })
      .sort(function (a, b) { return b.score - a.score || a.id - b.id; })
      .slice(0, 50);
  }
  var input = document.getElementById("il-search"), list = document.getElementById("il-results"), timer = null;
  if (!input || !list) return;
  function show(results, text) {
    list.textContent = "";
    if (!results.length) { var none = document.createElement("li"); none.className = "il-none"; none.textContent = "Nothing matches “" + text + "”"; list.appendChild(none); }
    results.forEach(function (r) {
      var li = document.createElement("li"), a = document.createElement("a"), model = r.doc[0], column = r.doc[1];
      li.className = "il-result"; li.setAttribute("data-model", model); if (column) li.setAttribute("data-column", column);
      a.href = root + "models/" + model + ".html" + (column ? "#col-" + column : "");
      a.textContent = column ? model + "." + column : model;
      li.appendChild(a);
      if (r.doc[2]) { var small = document.createElement("small"); small.textContent = r.doc[2]; li.appendChild(small); }
      list.appendChild(li);
    });
    list.hidden = false;
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var text = input.value;
    if (!text.trim()) { list.hidden = true; return; }
    timer = setTimeout(function () { query(text, function (r) { if (input.value === text) show(r, text); }); }, 120);
  });
  input.addEventListener("keydown", function (e) { if (e.key === "Escape") { list.hidden = true; input.blur(); } });
  document.addEventListener("click", function (e) { if (!list.contains(e.target) && e.target !== input) list.hidden = true; });
})();
