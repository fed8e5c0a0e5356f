"""Values formatted for people, in one place for every face (notebook widgets, CLI, dashboard).

A DOUBLE such as ``22019.18`` is often stored as ``22019.180000000004``: the nearest binary value,
whose shortest exact text shows the noise. :func:`for_people` rounds floats to 12 significant
digits for display only; the stored data, the API's JSON and ``--json`` output are untouched.
No dependencies: the core may use it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["SIGNIFICANT_DIGITS", "for_people", "rows_for_people"]

SIGNIFICANT_DIGITS = 12  # DOUBLE carries ~15.9; the last few are where the noise lives


def for_people(value: Any) -> Any:
    """``value`` as a person should read it: a float becomes short text, anything else is returned as is.

    >>> for_people(22019.180000000004), for_people(7)
    ('22019.18', 7)
    """
    if not isinstance(value, float):
        return value
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(float(format(value, f".{SIGNIFICANT_DIGITS}g")))


def rows_for_people(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Every cell of ``rows`` through :func:`for_people`."""
    return [[for_people(v) for v in row] for row in rows]
