"""What the server shares between the API and the dashboard: one Workspace, its runs, its events.

``Service`` serializes calls that use the workspace's shared DuckDB connection (a connection is
not safe to use from several threads at once), starts runs in background threads so a request
can return at once, and fans the event bus out to server-sent-event clients.
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
from interlace.server.api.errors import ApiError

if TYPE_CHECKING:
    from interlace.engine.run import Run
    from interlace.workspace import Workspace

__all__ = ["EventFeed", "RunManager", "Service"]

log = logging.getLogger("interlace.server")
T = TypeVar("T")


class RunManager:
    """Runs started through the server: at most one at a time, each in its own thread."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._active: dict[str, tuple[Run, threading.Thread]] = {}
        self._mutex = threading.Lock()

    def start(self, options: RunOptions, *, trigger: str) -> Run:
        """Plan and start a run; raises ``RUN_IN_PROGRESS`` while another one is going."""
        with self._mutex:
            if self._active:
                current = next(iter(self._active))
                raise ApiError("RUN_IN_PROGRESS", f"run {current} is still in progress; one run at a time",
                               {"run_id": current})
            run = self._service.call(lambda ws: ws.prepare_run(options, trigger=trigger))
            thread = threading.Thread(target=self._execute, args=(run,), name=f"interlace-run-{run.run_id}",
                                      daemon=True)
            self._active[run.run_id] = (run, thread)
            thread.start()
        return run

    def _execute(self, run: Run) -> None:
        try:
            run.execute()
        except Exception:  # the run records its own failures; this is a bug in the engine
            log.exception("run %s raised", run.run_id)
        finally:
            with self._mutex:
                self._active.pop(run.run_id, None)

    def is_active(self, run_id: str) -> bool:
        with self._mutex:
            return run_id in self._active

    def active_ids(self) -> list[str]:
        with self._mutex:
            return list(self._active)

    def cancel(self, run_id: str) -> bool:
        with self._mutex:
            entry = self._active.get(run_id)
        if entry is None:
            return False
        entry[0].cancel()
        return True

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel the active runs and wait for them to roll back."""
        with self._mutex:
            entries = list(self._active.values())
        for run, _ in entries:
            run.cancel()
        for _, thread in entries:
            thread.join(timeout)


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

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._lock = threading.RLock()
        self.runs = RunManager(self)
        self._feeds: set[EventFeed] = set()
        self._feeds_lock = threading.Lock()
        self._listeners: list[Callable[[Event], None]] = []
        self._unsubscribe = workspace.events.subscribe(self._dispatch)

    def call(self, work: Callable[[Workspace], T]) -> T:
        """Run ``work(workspace)`` while no other server thread uses the shared connection."""
        with self._lock:
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
        self.runs.shutdown()
        self.close_feeds()
        self._unsubscribe()
