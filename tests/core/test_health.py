"""``Workspace.health()``: runs per day, failure rate and slowest models, from recorded runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

import interlace
from interlace.health import health
from interlace.server.dashboard.health import health_panel

FILES = {
    "models/base.sql": '-- @model(materialize="table")\nSELECT range AS n FROM range(3)\n',
    "models/slow.py": ("import time\n\nfrom interlace import model\n\n\n@model(materialize=\"table\")\n"
                       "def slow(base):\n    time.sleep(0.2)\n    return base\n"),
    "models/bad.sql": "SELECT missing FROM base\n",
}


def test_health_counts_runs_and_orders_models_by_build_time(make_project: Callable[[dict[str, str]], Path],
                                                            open_ws: Callable[..., interlace.Workspace]) -> None:
    project = make_project(FILES)
    ws = open_ws(project)
    assert ws.run().status == "failed"
    (project / "models" / "bad.sql").unlink()
    ws.reload()
    assert ws.run(force=True).ok
    summary = ws.health(days=3)
    today = datetime.now(UTC).date()
    assert [d.day for d in summary.per_day] == [today - timedelta(days=2), today - timedelta(days=1), today]
    assert [(d.runs, d.failed) for d in summary.per_day] == [(0, 0), (0, 0), (2, 1)]
    assert (summary.runs, summary.failed, summary.failure_rate) == (2, 1, 0.5)
    assert [m.model for m in summary.slowest] == ["slow", "base"]
    assert [m.builds for m in summary.slowest] == [2, 2]
    assert summary.slowest[0].max_ms >= summary.slowest[0].mean_ms >= 200
    later = health(ws.state, days=2, now=datetime.now(UTC) + timedelta(days=5))
    assert later.runs == 0 and later.failure_rate is None and later.slowest == ()


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.days: list[dict[str, str | None]] = []
        self.cells: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if dict(attrs).get("class") == "il-health-day":
            self.days.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_panel_renders_the_value() -> None:
    value = {"days": 2, "runs": 3, "failed": 1, "failure_rate": 1 / 3,
             "per_day": [{"day": "2026-11-30", "runs": 1, "failed": 0}, {"day": "2026-12-01", "runs": 2, "failed": 1}],
             "slowest": [{"model": "<b>slow</b>", "builds": 3, "mean_ms": 1500.0, "max_ms": 2500.0}]}
    parser = _Cells()
    parser.feed(health_panel(value))
    assert [(d["data-day"], d["data-runs"], d["data-failed"]) for d in parser.days] == [
        ("2026-11-30", "1", "0"), ("2026-12-01", "2", "1")]
    text = "".join(parser.text)
    assert "3 runs in the last 2 days, 1 failed (33% failure rate)" in text
    assert "<b>slow</b>" in text and "1.50s" in text and "2.50s" in text  # the name was escaped, not markup


def test_days_must_be_positive(open_ws: Callable[..., interlace.Workspace], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^days must be at least 1 \(got 0\)$"):
        open_ws(tmp_path).health(days=0)
