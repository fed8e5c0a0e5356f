"""What the server shares between the API and the dashboard: one Workspace and its events.

``Service.call`` serializes work that writes (or that uses the workspace's shared connection, which
is not safe to use from several threads at once); ``Service.read`` runs reads alongside each other
and alongside runs and writes, each on its thread's own cursors (a slow read delays no one). The
service fans the event bus out to server-sent-event clients. Runs are the workspace's
(``interlace.runs``): the server starts them in the background through the same run manager the
CLI, the notebook and the scheduler use.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from interlace.events import Event
from interlace.options import RunOptions
from interlace.server.readcache import ReadCache

if TYPE_CHECKING:
    from interlace.runs import RunHandle, RunManager
    from interlace.scheduler import Scheduler
    from interlace.workspace import Workspace

__all__ = ["EventFeed", "Service"]

log = logging.getLogger("interlace.server")
T = TypeVar("T")


@dataclass(eq=False)
class EventFeed:
    """One SSE client's queue of events, filled from the bus thread, drained on the event loop."""

    loop: asyncio.AbstractEventLoop
    types: frozenset[str] | None = None
    run_id: str | None = None
    model: str | None = None
    queue: asyncio.Queue[Event | None] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    dropped: int = 0

    def wants(self, event: Event) -> bool:
        return ((self.types is None or event.type in self.types)
                and (self.run_id is None or event.run_id == self.run_id)
                and (self.model is None or event.model == self.model))

    def offer(self, event: Event | None) -> None:
        """Called on the loop's thread: enqueue, or count it as dropped when the client lags."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1


class Service:
    """The server's handle on one workspace (shared with a notebook for ``%interlace serve``)."""

    def __init__(self, workspace: Workspace, *, shared: bool = False) -> None:
        self.workspace = workspace
        # the workspace is a notebook's: stopping the server leaves its runs alone
        self.shared = shared
        self._lock = threading.RLock()
        self.runs: RunManager = workspace.runs
        self.scheduler: Scheduler | None = None  # set when this server fires the schedules (interlace serve)
        self._feeds: set[EventFeed] = set()
        self._feeds_lock = threading.Lock()
        self._listeners: list[Callable[[Event], None]] = []
        self._unsubscribe = workspace.events.subscribe(self._dispatch)
        self.generation = 0  # moves after every serialized call: a key for what reads cache
        self.cache = ReadCache()

    def start_run(self, options: RunOptions, *, trigger: str) -> RunHandle:
        """Plan ``options`` and start the plan in the background (``RUN_IN_PROGRESS`` while another
        run is going, under the reject policy)."""
        return self.call(lambda ws: ws.runs.start(ws.plan(options), trigger=trigger))

    def call(self, work: Callable[[Workspace], T]) -> T:
        """Run ``work(workspace)`` while no other serialized call runs (writes, and work that uses
        the shared connection); cached reads are recomputed after it."""
        with self._lock:
            try:
                return work(self.workspace)
            finally:
                self.generation += 1

    def read(self, work: Callable[[Workspace], T], *, snapshot: bool = True) -> T:
        """Run ``work(workspace)``, which only reads, without waiting for other reads, runs or
        writes. With ``snapshot``, its state reads see one committed state (``Workspace.snapshot``);
        work that reads state once (or answers from a cache) skips the two statements it costs."""
        if not snapshot:
            return work(self.workspace)
        with self.workspace.snapshot():
            return work(self.workspace)

    # -- events ----------------------------------------------------------------------------------
    def _dispatch(self, event: Event) -> None:
        with self._feeds_lock:
            feeds = [f for f in self._feeds if f.wants(event)]
            listeners = list(self._listeners)
        for feed in feeds:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the client is gone
                feed.loop.call_soon_threadsafe(feed.offer, event)
        for listener in listeners:
            listener(event)

    @contextlib.contextmanager
    def feed(self, **filters: Any) -> Iterator[EventFeed]:
        """An :class:`EventFeed` registered for as long as the ``with`` block lasts."""
        feed = EventFeed(loop=asyncio.get_running_loop(), **filters)
        with self._feeds_lock:
            self._feeds.add(feed)
        try:
            yield feed
        finally:
            with self._feeds_lock:
                self._feeds.discard(feed)

    def listen(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``listener`` (on the emitting thread) for every event; returns a remover."""
        with self._feeds_lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._feeds_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def close_feeds(self) -> None:
        """Tell every SSE client the server is stopping (their streams end)."""
        with self._feeds_lock:
            feeds = list(self._feeds)
        for feed in feeds:
            with contextlib.suppress(RuntimeError):
                feed.loop.call_soon_threadsafe(feed.offer, None)

    def close(self) -> None:
        if not self.shared:
            self.runs.shutdown()
        self.close_feeds()
        self._unsubscribe()
