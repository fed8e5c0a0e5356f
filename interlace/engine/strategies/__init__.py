"""Write strategies for ``materialize="table"``: a registry of name -> write function.

A strategy receives a :class:`WriteRequest` inside the model's transaction and returns counts.
Adding one is adding a module here and one line in ``STRATEGIES``; the executor does not change.
"""

from __future__ import annotations

from collections.abc import Callable

from interlace.engine.strategies.append import append
from interlace.engine.strategies.base import WriteRequest, WriteStats
from interlace.engine.strategies.none import none
from interlace.engine.strategies.replace import replace

__all__ = ["STRATEGIES", "Strategy", "WriteRequest", "WriteStats"]

Strategy = Callable[[WriteRequest], WriteStats]

STRATEGIES: dict[str, Strategy] = {
    "replace": replace,
    "append": append,
    "none": none,
}
