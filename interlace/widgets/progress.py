"""``RunProgress``: a run's progress as it happens (a bar and a line per model), then its summary.

Fed event dicts (``Event.to_dict()``) through :meth:`RunProgress.apply_event`, so it works the same
from the event bus in a kernel, from server-sent events, or from a recorded run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import traitlets

from interlace.events import RunView, fold
from interlace.widgets.base import STATIC, FallbackWidget, escape, html_table, text_table

__all__ = ["RunProgress"]

_DONE = ("success", "failed", "skipped", "cancelled")


class RunProgress(FallbackWidget):
    """Progress of one run.

    >>> from interlace.widgets import RunProgress
    >>> p = RunProgress.waiting(["a", "b"])
    >>> p.apply_event({"type": "model.finished", "model": "a", "status": "success", "rows": 3})
    >>> p.done, p.total
    (1, 2)
    """

    _esm = STATIC / "progress.js"
    _css = STATIC / "progress.css"

    run_id = traitlets.Unicode("").tag(sync=True)
    run_state = traitlets.Unicode("waiting").tag(sync=True)  # waiting | running | success | failed | cancelled
    models = traitlets.List(traitlets.Dict()).tag(sync=True)  # [{model, status, rows, duration_ms, error, reason}]
    summary = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._view = RunView(order=tuple(m["model"] for m in self.models))

    @classmethod
    def waiting(cls, models: Sequence[str]) -> RunProgress:
        """A progress display for a run about to build ``models``."""
        return cls(models=[{"model": m, "status": "waiting"} for m in models])

    @property
    def total(self) -> int:
        return len(self.models)

    @property
    def done(self) -> int:
        return sum(1 for m in self.models if m.get("status") in _DONE)

    def follow(self, bus: Any) -> Callable[[], None]:
        """Update from ``bus`` (an ``EventBus``); returns the unsubscribe function."""
        unsubscribe: Callable[[], None] = bus.subscribe(lambda event: self.apply_event(event.to_dict()))
        return unsubscribe

    def apply_event(self, event: Mapping[str, Any]) -> None:
        """Fold one event (its wire form) into the display (``interlace.events.fold``)."""
        with self._lock:
            view = fold(self._view, event)
            if view is self._view:
                return
            self._view = view
            if event.get("type") == "run.started":
                self.run_id = str(view.run_id or "")
            known = {m["model"]: m for m in self.models}
            models = []
            for name in dict.fromkeys([*known, *view.order]):
                entry = dict(known.get(name, {"model": name}))
                if name in view.statuses:
                    entry["status"] = view.statuses[name]
                entry.update({k: v for k, v in view.info.get(name, {}).items() if v is not None and k != "checks"})
                models.append(entry)
            self.models = models
            self.run_state = view.status

    def finish(self, status: str, summary: str) -> None:
        """Show the run's final status and summary line (``RunResult.status`` / ``.summary()``)."""
        self.run_state, self.summary = status, summary

    # -- fallbacks -------------------------------------------------------------------------------
    def _rows(self) -> list[list[Any]]:
        return [[m.get("model"), m.get("status"), _count(m),
                 "" if m.get("duration_ms") is None else f"{m['duration_ms'] / 1000:.2f}s",
                 m.get("error") or m.get("reason") or ""] for m in self.models]

    def _title(self) -> str:
        return self.summary or f"Run {self.run_id or '(not started)'}: {self.done}/{self.total} models, {self.run_state}"

    def to_text(self) -> str:
        return self._title() + "\n" + text_table(["model", "status", "rows", "time", "note"], self._rows())

    def to_html(self) -> str:
        return (f"<div class='interlace-progress-fallback'><b>{escape(self._title())}</b>"
                + html_table(["model", "status", "rows", "time", "note"], self._rows()) + "</div>")


def _count(entry: Mapping[str, Any]) -> str:
    """``3`` rows, or ``+2 ~1 -0`` (inserted, updated, deleted) when the strategy reports them."""
    if entry.get("updated") is not None or entry.get("deleted") is not None:
        return f"+{entry.get('inserted') or 0} ~{entry.get('updated') or 0} -{entry.get('deleted') or 0}"
    return "" if entry.get("rows") is None else str(entry["rows"])
