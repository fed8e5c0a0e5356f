"""The dashboard's Streams view: per stream its rate, size, consumers' lag and last events."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from interlace.server.dashboard import views

__all__ = ["read_streams", "streams_panel"]

LAST_EVENTS = 5


def read_streams(ws: Any) -> list[dict[str, Any]]:
    """What the view shows, read under the server's lock (the workspace's streams, if any)."""
    conf = ws.loaded.config
    if ws.engine.read_only or not (conf.streams or ws.project.streams):
        return []
    out = []
    for name in sorted(ws.streams.specs):
        info = dict(ws.streams.info(name))
        info["last_events"] = ws.streams.tail(name, LAST_EVENTS)
        out.append(info)
    return out


def streams_panel(streams: Sequence[Mapping[str, Any]]) -> str:
    if not streams:
        return ('<div class="il-card" id="il-streams"><h2>Streams</h2><p class="il-muted">No streams: '
                "declare one under streams: in config.yaml.</p></div>")
    summary = views.table(
        ["stream", "events", "last minute", "last event", "consumers (lag)", "dead letters", "read by"],
        [(s["name"], s["events"], s["rate_per_minute"], s["last_event_at"],
          ", ".join(f"{c['consumer']} ({c['lag']})" for c in s["consumers"]) or "—",
          s["dead_letters"], ", ".join(s["downstream"]) or "—") for s in streams],
        css_id="il-streams-table")
    parts = [f'<div class="il-card" id="il-streams"><h2>Streams</h2>{summary}']
    for s in streams:
        rows = [(e["_offset"], e["_received_at"], e["_source"],
                 json.dumps({k: v for k, v in e.items() if not k.startswith("_")}, default=str))
                for e in s["last_events"]]
        parts.append(f"<h3>{views.esc(s['name'])}: last events</h3>"
                     + views.table(["offset", "received", "source", "payload"], rows))
    return "".join(parts) + "</div>"
