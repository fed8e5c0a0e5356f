"""A polling adapter thread: ``step()`` until stopped, backing off after a failure."""

from __future__ import annotations

import logging
import threading

__all__ = ["PollingAdapter"]

log = logging.getLogger("interlace.streams")


class PollingAdapter:
    """Subclasses implement ``step()`` (returns True when it did work: poll again at once)."""

    name = "adapter"
    interval = 1.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def step(self) -> bool:
        raise NotImplementedError

    def start(self) -> PollingAdapter:
        self._thread = threading.Thread(target=self._loop, name=f"interlace-{self.name}", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        delay = self.interval
        while not self._stop.is_set():
            try:
                busy = self.step()
                self.last_error, delay = None, self.interval
            except Exception as exc:  # noqa: BLE001 - the adapter outlives one failure
                log.warning("%s: %s (retrying)", self.name, exc)
                self.last_error, busy = str(exc), False
                delay = min(delay * 2, 30.0)
            if not busy:
                self._stop.wait(delay)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
