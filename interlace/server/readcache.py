"""What the API reads often and what changes rarely, kept until it changes.

* The model list: one entry per state of (the project's models, the catalogue version, the
  server's generation). The project is the same object until its files change (``ws.project``
  discovers it again) and a notebook cell that declares a model replaces a spec object, so the
  specs are compared by identity; the catalogue version moves when this process records a
  build (it holds the warehouse: no other process writes it); the generation moves after every
  serialized call (``Service.call``: key changes, promotions, commands from the CLI).
* Encoded pages of the model list, per query, for the current entry (the common request is the
  same page again: it is answered without validating or encoding anything).
* Finished runs: a run that has ended never changes again, so its record and its models' outcomes
  are kept (the most recent ``RUNS`` of them).

Every key is read BEFORE the data it guards, so a value can only be stored under a key older than
the data (it is recomputed once more), never newer (stale forever).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ModelIndex", "ReadCache"]

PAGES = 64  # encoded model-list pages kept for the current entry
RUNS = 256  # finished runs kept


@dataclass(frozen=True, slots=True)
class ModelIndex:
    """The model summaries of one state, with what the list's filters compare."""

    key: tuple[int, int]
    project: Any  # the project and spec objects this was computed from (compared by identity)
    specs: tuple[Any, ...]
    rows: tuple[
        Any, ...
    ]  # (summary, name.lower(), description.lower(), tags, schema, kind, materialize)
    pages: OrderedDict[tuple[Any, ...], bytes] = field(default_factory=OrderedDict)

    def fresh_for(self, key: tuple[int, int], project: Any, specs: tuple[Any, ...]) -> bool:
        return (
            key == self.key
            and project is self.project
            and len(specs) == len(self.specs)
            and all(a is b for a, b in zip(specs, self.specs, strict=True))
        )


class ReadCache:
    """See the module docstring. One per server; safe to use from the threadpool's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: ModelIndex | None = None
        self._runs: OrderedDict[str, Any] = OrderedDict()

    def model_index(
        self,
        ws: Any,
        generation: int,
        summarize: Callable[[Any], list[dict[str, Any]]],
        make: Callable[[dict[str, Any]], Any],
    ) -> ModelIndex:
        """The current :class:`ModelIndex`; ``summarize(ws)`` and ``make(row)`` build a new one."""
        key = (ws.catalog_version, generation)  # before reading: see the module docstring
        project = ws.project
        specs = tuple(project.models.values())
        with self._lock:
            index = self._index
        if index is not None and index.fresh_for(key, project, specs):
            return index
        rows = tuple(
            (
                make(m),
                m["name"].lower(),
                (m["description"] or "").lower(),
                frozenset(m["tags"]),
                m["schema"],
                m["kind"],
                m["materialize"],
            )
            for m in summarize(ws)
        )
        index = ModelIndex(key, project, specs, rows)
        with self._lock:
            self._index = index
        return index

    def page(self, index: ModelIndex, query: tuple[Any, ...], encode: Callable[[], bytes]) -> bytes:
        """The encoded page for ``query`` of ``index``, encoded once."""
        with self._lock:
            body = index.pages.get(query)
            if body is not None:
                index.pages.move_to_end(query)
                return body
        body = encode()
        with self._lock:
            index.pages[query] = body
            while len(index.pages) > PAGES:
                index.pages.popitem(last=False)
        return body

    def finished_run(self, run_id: str, read: Callable[[], tuple[Any, Any]]) -> tuple[Any, Any]:
        """``read()`` → (record, model runs); kept once the record says the run has ended."""
        with self._lock:
            hit = self._runs.get(run_id)
            if hit is not None:
                self._runs.move_to_end(run_id)
                return hit
        record, models = read()
        if record.finished:
            with self._lock:
                self._runs[run_id] = (record, models)
                while len(self._runs) > RUNS:
                    self._runs.popitem(last=False)
        return record, models
