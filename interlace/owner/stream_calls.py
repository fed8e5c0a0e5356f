"""The ``interlace stream ...`` calls: what each command prints, as data (see :mod:`.calls`).

Publishing in the owner goes through the stream writer's own cursor (it never waits for the
server's lock), so a forwarded publish is committed, durable and deduplicated exactly like one
sent to the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interlace.workspace import Workspace

__all__ = ["STREAM_CALLS"]


def stream_list(ws: Workspace, args: dict[str, Any]) -> Any:
    return [dict(ws.streams.info(name)) for name in sorted(ws.streams.specs)]


def stream_show(ws: Workspace, args: dict[str, Any]) -> Any:
    return dict(ws.streams.info(args["stream"]))


def stream_tail(ws: Workspace, args: dict[str, Any]) -> Any:
    return ws.streams.tail(args["stream"], args["lines"], after=args.get("after"))


def stream_publish(ws: Workspace, args: dict[str, Any]) -> Any:
    return ws.streams.publish(args["stream"], args["events"], source="cli").to_dict()


def stream_replay(ws: Workspace, args: dict[str, Any]) -> Any:
    ws.streams.replay(args["stream"], args["consumer"], args["from_offset"])
    return {key: args[key] for key in ("stream", "consumer", "from_offset")}


STREAM_CALLS: dict[str, Callable[[Workspace, dict[str, Any]], Any]] = {
    "stream.list": stream_list,
    "stream.show": stream_show,
    "stream.tail": stream_tail,
    "stream.publish": stream_publish,
    "stream.replay": stream_replay,
}
