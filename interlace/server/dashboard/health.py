"""The overview's health panel: runs per day (a bar per day), failure rate, slowest models.

Renders the plain value of :meth:`Workspace.health` (``Health.to_dict()``); computes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlace.server.dashboard.views import esc, table

__all__ = ["config_error_card", "health_panel"]


def config_error_card(error: str | None) -> str:
    """The config edit that does not load (the server keeps running on the last good config)."""
    if error is None:
        return ""
    return ('<div class="il-card il-config-error" id="il-config-error">'
            "<h2>The configuration does not load</h2>"
            "<p>The server keeps using the last configuration that loaded. Fix the file; the next "
            "read "
            f"picks it up.</p><pre>{esc(error)}</pre></div>")


def health_panel(health: Mapping[str, Any]) -> str:
    days, runs, rate = health["days"], health["runs"], health["failure_rate"]
    summary = (f"{runs} run{'s' if runs != 1 else ''} in the last {days} days"
               + (f", {health['failed']} failed ({rate:.0%} failure rate)" if rate is not None else ""))
    tallest = max([d["runs"] for d in health["per_day"]] + [1])
    bars = "".join(
        f'<div class="il-health-day" data-day="{esc(d["day"])}" data-runs="{d["runs"]}" data-failed="{d["failed"]}" '
        f'title="{esc(d["day"])}: {d["runs"]} runs, {d["failed"]} failed" style="display:inline-flex;'
        f'flex-direction:column-reverse;width:{max(100 // days, 2)}%;height:60px;vertical-align:bottom">'
        f'<span style="height:{60 * (d["runs"] - d["failed"]) // tallest}px;background:#4c9a2a"></span>'
        f'<span style="height:{60 * d["failed"] // tallest}px;background:#c0392b"></span></div>'
        for d in health["per_day"])
    slow = health["slowest"]
    slow_html = table(["model", "builds", "mean", "max"],
                      [[m["model"], m["builds"], f"{m['mean_ms'] / 1000:.2f}s", f"{m['max_ms'] / 1000:.2f}s"]
                       for m in slow], css_id="il-slowest") if slow else '<p class="il-muted">No builds yet.</p>'
    return (f'<div class="il-card" id="il-health"><h2>Health</h2><p class="il-health-summary">{esc(summary)}</p>'
            f'<div class="il-health-days" style="white-space:nowrap">{bars}</div>'
            f"<h3>Slowest models</h3>{slow_html}</div>")
