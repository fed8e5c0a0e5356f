"""Debounced triggers: new events in a stream run the models downstream of it.

At most one triggered run per stream per ``debounce`` seconds: the first commit after a quiet
period fires at once, later ones within the window fold into a single run at its end. A run
refused because another is in progress is retried until it starts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Debouncer"]

log = logging.getLogger("interlace.streams")
RETRY_SECONDS = 0.5


class Debouncer:
    """``notify(stream)`` after each commit; ``fire(stream)`` is called on this object's thread
    and returns False when the run could not start yet (it is tried again)."""

    def __init__(self, fire: Callable[[str], bool], interval_of: Callable[[str], float], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fire, self._interval_of, self._clock = fire, interval_of, clock
        self._due: dict[str, float] = {}  # stream -> when its pending run may fire
        self._last: dict[str, float] = {}  # stream -> when it last fired
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="interlace-stream-triggers",
                                        daemon=True)
        self._thread.start()
        self.fired: dict[str, int] = {}

    def notify(self, stream: str) -> None:
        with self._cond:
            if stream not in self._due:
                last = self._last.get(stream)
                earliest = self._clock() if last is None else last + self._interval_of(stream)
                self._due[stream] = max(self._clock(), earliest)
                self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and not self._ready():
                    wait = min(self._due.values(), default=None)
                    self._cond.wait(None if wait is None else max(0.0, wait - self._clock()))
                if self._stopped:
                    return
                now = self._clock()
                ready = [s for s, at in self._due.items() if at <= now]
                for stream in ready:
                    del self._due[stream]
            for stream in ready:
                started = False
                try:
                    started = self._fire(stream)
                except Exception:  # noqa: BLE001 - one failing trigger never stops the others
                    log.exception("the run triggered by stream %s failed to start", stream)
                    started = True
                with self._cond:
                    if started:
                        self._last[stream] = self._clock()
                        self.fired[stream] = self.fired.get(stream, 0) + 1
                    else:
                        self._due.setdefault(stream, self._clock() + RETRY_SECONDS)

    def _ready(self) -> bool:
        now = self._clock()
        return any(at <= now for at in self._due.values())

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout)
