"""Write strategies for ``materialize="table"``: one module per strategy, each a write function.

A strategy receives a :class:`WriteRequest` inside the model's transaction and returns counts.
What a strategy *is* (needs a key, takes a cursor, keeps history, its system columns) lives in
:mod:`interlace.kinds`; adding one is a module here plus one ``register_strategy`` line there.
"""

from __future__ import annotations

from interlace.engine.strategies.base import WriteRequest, WriteStats

__all__ = ["WriteRequest", "WriteStats"]
