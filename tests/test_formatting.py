"""Floats shown to people: the shortest text that reads as the value, without binary noise."""

from __future__ import annotations

import decimal
import math

import pytest

from interlace.formatting import for_people, rows_for_people


@pytest.mark.parametrize(("value", "shown"), [
    (22019.180000000004, "22019.18"),
    (0.1 + 0.2, "0.3"),
    (1234567.0, "1234567.0"),
    (-0.000123456789012345, "-0.000123456789012"),
    (1e20, "1e+20"),
    (2.5e-12, "2.5e-12"),
    (float("nan"), "NaN"),
    (float("inf"), "inf"),
    (-math.inf, "-inf"),
])
def test_floats_lose_their_noise(value: float, shown: str) -> None:
    assert for_people(value) == shown


def test_other_values_are_left_alone() -> None:
    exact = decimal.Decimal("22019.180000000004")
    assert [for_people(v) for v in (3, "0.30000000000000004", None, True, exact)] == [
        3, "0.30000000000000004", None, True, exact]
    assert rows_for_people([(1, 0.1 + 0.2), [None, 22019.180000000004]]) == [[1, "0.3"], [None, "22019.18"]]
