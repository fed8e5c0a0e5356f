"""Streams: append-only event tables that models read, fed by ``publish``, HTTP and adapters.

``stream(...)`` / ``streams:`` declare them (:mod:`interlace.streams.spec`); one writer thread
group-commits publishes (:mod:`~interlace.streams.writer`); consumers read at least once with
durable offsets (:mod:`interlace.state.streams`); :mod:`~interlace.streams.manager` is
``ws.streams``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from interlace.streams.spec import StreamSpec, stream

if TYPE_CHECKING:
    from interlace.streams.writer import PublishResult
    from interlace.workspace import Workspace

__all__ = ["StreamSpec", "publish", "stream"]


def publish(name: str, events: Sequence[Any] | Mapping[str, Any], *,
            workspace: Workspace | None = None, source: str = "python") -> PublishResult:
    """Publish one event (a dict) or many to stream ``name``; returns once they are durable.

    Without ``workspace``, the notebook session's (``%load_ext interlace``).
    """
    if workspace is None:
        from interlace.magics.session import current_session

        workspace = current_session().workspace
    return workspace.streams.publish(name, events, source=source)
