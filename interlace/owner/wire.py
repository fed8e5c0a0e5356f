"""The JSON form of what crosses the owner channel, keeping the Python types the renderers use.

A command's answer holds datetimes (``created 2026-12-01 10:00``), tuples (``(column, type)``)
and sample values of any SQL type (dates, decimals, bytes). Plain JSON would turn them into
strings and lists, and the CLI would print them differently than it does for a local answer; the
tagged form below brings each back as it was: ``decode(encode(x)) == x``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = ["decode", "dumps", "encode", "loads"]

_TAG = "$wire"
_ENCODERS: tuple[tuple[type, str, Callable[[Any], Any]], ...] = (
    (dt.datetime, "datetime", lambda v: v.isoformat()),  # before date: a datetime is a date
    (dt.date, "date", lambda v: v.isoformat()),
    (dt.time, "time", lambda v: v.isoformat()),
    (dt.timedelta, "timedelta", lambda v: [v.days, v.seconds, v.microseconds]),
    (Decimal, "decimal", str),
    (bytes, "bytes", lambda v: base64.b64encode(v).decode()),
    (uuid.UUID, "uuid", str),
    (tuple, "tuple", lambda v: [encode(x) for x in v]),
    (set, "set", lambda v: [encode(x) for x in sorted(v, key=repr)]),
    (frozenset, "frozenset", lambda v: [encode(x) for x in sorted(v, key=repr)]),
)
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda v: dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "decimal": Decimal,
    "bytes": base64.b64decode,
    "uuid": uuid.UUID,
    "tuple": lambda v: tuple(decode(x) for x in v),
    "set": lambda v: {decode(x) for x in v},
    "frozenset": lambda v: frozenset(decode(x) for x in v),
}


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data; a value of no known type becomes its ``str``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and _TAG not in value:
            return {k: encode(v) for k, v in value.items()}
        return {_TAG: "dict", "items": [[encode(k), encode(v)] for k, v in value.items()]}
    for kind, tag, convert in _ENCODERS:
        if isinstance(value, kind):
            return {_TAG: tag, "value": convert(value)}
    return str(value)


def decode(data: Any) -> Any:
    """The value :func:`encode` was given."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if isinstance(data, dict):
        tag = data.get(_TAG)
        if tag == "dict":
            return {decode(k): decode(v) for k, v in data["items"]}
        if tag is not None:
            return _DECODERS[tag](data["value"])
        return {k: decode(v) for k, v in data.items()}
    return data


def dumps(value: Any) -> bytes:
    return json.dumps(encode(value), separators=(",", ":")).encode()


def loads(raw: bytes | str) -> Any:
    return decode(json.loads(raw))
