"""The DAG widget on a 30- and a 200-model project in headless Chromium, checked from the drawn SVG:
no edge passes under a node it does not connect, every edge ends in an arrowhead at its reader, the
legend explains every colour, long names are cut to fit before the kind tag with the full name on
hover. Screenshots go to test-artifacts/ (dag-layout-*.png)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.dag_page import LONG, serve, widget_values, write_project
from tests.browser_support import browser_page, screenshot

pytestmark = pytest.mark.slow

# Everything measured in the SVG's own coordinates (node boxes from their translate() and rect size,
# edges sampled every 2 px along the path).
GEOMETRY = """() => {
  const boxes = [...document.querySelectorAll('.interlace-dag-node')].map((g) => {
    const m = g.transform.baseVal.consolidate().matrix, r = g.querySelector('rect');
    return { name: g.dataset.model, l: m.e, t: m.f, r: m.e + r.width.baseVal.value, b: m.f + r.height.baseVal.value };
  });
  const byName = Object.fromEntries(boxes.map((b) => [b.name, b]));
  const under = [], ends = [], markers = [];
  for (const p of document.querySelectorAll('.interlace-dag-edge')) {
    const len = p.getTotalLength();
    for (let s = 0; s <= len; s += 2) {
      const pt = p.getPointAtLength(s);
      for (const b of boxes) {
        if (b.name === p.dataset.from || b.name === p.dataset.to) continue;
        if (pt.x > b.l && pt.x < b.r && pt.y > b.t && pt.y < b.b) { under.push(`${p.dataset.from}->${p.dataset.to} under ${b.name}`); break; }
      }
    }
    const end = p.getPointAtLength(len), start = p.getPointAtLength(0);
    const from = byName[p.dataset.from], to = byName[p.dataset.to];
    ends.push([Math.round(start.x - from.r), Math.round(start.y - (from.t + from.b) / 2),
               Math.round(to.l - end.x), Math.round(end.y - (to.t + to.b) / 2)]);
    const id = (p.getAttribute('marker-end') || '').match(/^url\\(#(.+)\\)$/);
    const marker = id && p.ownerSVGElement.getElementById(id[1]);
    markers.push(marker && marker.tagName === 'marker' && marker.querySelector('path') ? marker.getAttribute('markerWidth') : null);
  }
  const labels = [...document.querySelectorAll('.interlace-dag-node')].map((g) => {
    const name = g.querySelector('.interlace-dag-name').getBBox(), kind = g.querySelector('.interlace-dag-kind').getBBox();
    return { model: g.dataset.model, text: g.querySelector('.interlace-dag-name').textContent,
             title: g.querySelector('title').textContent, gap: kind.x - (name.x + name.width) };
  });
  return { nodes: boxes.length, under, ends, markers, labels };
}"""


@pytest.mark.parametrize("size", [30, 200])
def test_dag_layout_on_a_big_project(tmp_path: Path, size: int) -> None:
    values = widget_values(write_project(tmp_path / "project", size))
    with serve(values) as url, browser_page(viewport=(1600, 1000)) as page:
        page.goto(url)
        page.wait_for_selector("body[data-rendered=yes]")
        page.wait_for_function(f"document.querySelectorAll('.interlace-dag-node').length === {size}")
        found = page.evaluate(GEOMETRY)
        screenshot(page, f"dag-layout-{size}")
        legend = page.eval_on_selector_all(".interlace-dag-legend .interlace-dag-legend-item",
                                           "items => items.map(i => i.textContent)")

    assert found["nodes"] == size
    assert found["under"] == []  # no edge passes under a node it does not connect
    assert len(found["ends"]) == len(values["edges"]) > size
    # each edge leaves its upstream's right side at mid-height and stops an arrowhead (8 px) short of
    # its reader's left side, at mid-height: the arrowhead's tip touches the reader
    assert {tuple(e) for e in found["ends"]} == {(0, 0, 8, 0)}
    assert found["markers"] == ["8"] * len(values["edges"])
    for status, meaning in [("idle", "not planned yet"), ("stale", "the next run builds it"),
                            ("fresh", "up to date: the next run skips it"), ("queued", "waiting in the run"),
                            ("running", "being built"), ("success", "built by a run in this session"),
                            ("failed", "its build failed (click it)"), ("skipped", "not built: an upstream failed"),
                            ("cancelled", "its run was cancelled")]:
        assert f"{status} {meaning}" in legend
    assert legend[-1] == "A → B: B reads A" and len(legend) == 10
    statuses = values["statuses"]
    for label in found["labels"]:
        assert label["gap"] >= 4, label  # the name ends before the kind tag starts
        assert label["title"] == f"{label['model']}: {statuses[label['model']]}"  # the full name on hover
        if label["model"].startswith(LONG):
            assert label["text"].endswith("…") and label["model"].startswith(label["text"][:-1]), label
        else:
            assert label["text"] == label["model"]
