"""``%interlace stream ...``: the streams of the session's workspace, shown as tables."""

from __future__ import annotations

import json
from typing import Any

from IPython.core.error import UsageError
from IPython.display import display

from interlace.options import StreamOptions

__all__ = ["stream_command"]

ACTIONS = ("list", "show", "tail", "publish", "replay")


def stream_command(ws: Any, options: StreamOptions) -> Any:
    from interlace.widgets.views import TableView

    action, name = options.action, options.name
    if action not in ACTIONS:
        raise UsageError(f"%interlace stream: unknown action '{action}' (one of: {', '.join(ACTIONS)})")
    if action != "list" and not name:
        raise UsageError(f"%interlace stream {action}: name the stream (%interlace stream {action} NAME)")
    if action == "list":
        rows = [ws.streams.info(n) for n in sorted(ws.streams.specs)]
        display(TableView("Streams", ["name", "events", "per minute", "consumers (lag)", "read by"],
                          [(r["name"], r["events"], r["rate_per_minute"],
                            ", ".join(f"{c['consumer']} ({c['lag']})" for c in r["consumers"]),
                            ", ".join(r["downstream"])) for r in rows]))
        return None
    if action == "show":
        info = ws.streams.info(name)
        display(TableView(f"{name}: {info['events']} events, last offset {info['last_offset']}",
                          ["column", "type"], list(info["columns"].items()),
                          notes=[f"consumer {c['consumer']}: lag {c['lag']}" for c in info["consumers"]]))
        return None
    if action == "tail":
        events = ws.streams.tail(name, options.lines)
        columns = list(events[-1]) if events else list(ws.streams.writer.columns(name))
        display(TableView(f"{name}: last {len(events)} events", columns,
                          [[e.get(c) for c in columns] for e in events]))
        return None
    if action == "publish":
        if not options.events:
            raise UsageError("%interlace stream publish NAME '{\"field\": 1}': give the events as JSON")
        try:
            payload = json.loads(options.events)
        except json.JSONDecodeError as exc:
            raise UsageError(f"%interlace stream publish: the events are not JSON: {exc.msg}") from None
        result = ws.streams.publish(name, payload, source="notebook")
        print(f"{name}: {result.accepted} stored (offsets {result.first_offset}-{result.last_offset}),"
              f" {result.duplicates} duplicates, {result.dead_lettered} dead-lettered")
        return result
    if not options.consumer:
        raise UsageError("%interlace stream replay NAME --consumer C [--from OFFSET]")
    ws.streams.replay(name, options.consumer, options.from_offset)
    print(f"{name}: consumer {options.consumer} receives events from offset {options.from_offset} again")
    return None
