"""Write strategies for ``materialize="table"``: a registry of name -> write function.

A strategy receives a :class:`WriteRequest` inside the model's transaction and returns counts.
Adding one is adding a module here and one line in ``STRATEGIES``; the executor does not change.
"""

from __future__ import annotations

from collections.abc import Callable

from interlace.engine.strategies.append import append
from interlace.engine.strategies.base import WriteRequest, WriteStats, system_columns
from interlace.engine.strategies.merge_by_key import merge_by_key
from interlace.engine.strategies.none import none
from interlace.engine.strategies.replace import replace
from interlace.engine.strategies.scd_type_2 import scd_type_2

__all__ = ["KEEPS_HISTORY", "STRATEGIES", "Strategy", "WriteRequest", "WriteStats", "system_columns"]

Strategy = Callable[[WriteRequest], WriteStats]

STRATEGIES: dict[str, Strategy] = {
    "replace": replace,
    "append": append,
    "merge_by_key": merge_by_key,
    "scd_type_2": scd_type_2,
    "none": none,
}

# Strategies whose table accumulates rows across runs: schema modes evolve it, never replace it.
KEEPS_HISTORY = frozenset({"append", "merge_by_key", "scd_type_2"})
