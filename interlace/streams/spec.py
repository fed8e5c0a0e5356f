"""``@stream`` and :class:`StreamSpec`: a declared stream, from Python or from ``streams:``.

Like ``@model`` there is no global registry: discovery opens :func:`collecting_streams` while it
loads the model files, and every ``stream(...)`` that runs inside it is recorded there.
"""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from interlace.errors import ModelDefinitionError
from interlace.streams.config import FIELD_TYPES, StreamConfig

__all__ = ["StreamSpec", "collecting_streams", "stream"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_collector: ContextVar[list[StreamSpec] | None] = ContextVar("interlace_stream_collector",
                                                             default=None)


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """One stream: its name, validated configuration and where it was declared."""

    name: str
    config: StreamConfig
    origin: str

    @property
    def declared(self) -> dict[str, str] | None:
        """The declared fields as DuckDB types (None: the schema comes from the payloads)."""
        fields = self.config.fields
        return None if fields is None else {k: FIELD_TYPES[v] for k, v in fields.items()}

    def seconds(self, key: str) -> float:
        from interlace.schedules import parse_duration

        value: timedelta = parse_duration(getattr(self.config, key))
        return value.total_seconds()


def make_stream(name: str, origin: str, **keywords: Any) -> StreamSpec:
    """Validate one stream's name and keywords (the one constructor for code and config)."""
    if not _NAME.match(name):
        raise ModelDefinitionError(f"stream name {name!r} is not an identifier", origin=origin,
                                   hint="use letters, digits and underscores (e.g. 'clicks')")
    try:
        config = StreamConfig(**keywords)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'stream'}: {e['msg']}"
                             for e in exc.errors())
        raise ModelDefinitionError(f"stream '{name}': {problems}", origin=origin,
                                   hint="fix the keyword(s) named above") from None
    return StreamSpec(name, config, origin)


@contextlib.contextmanager
def collecting_streams() -> Iterator[list[StreamSpec]]:
    """Collect every stream declared with :func:`stream` inside the block."""
    specs: list[StreamSpec] = []
    token = _collector.set(specs)
    try:
        yield specs
    finally:
        _collector.reset(token)


def stream(name: str | Callable[..., Any] | None = None, /, **keywords: Any) -> Any:
    """Declare an append-only event stream that models can read (``FROM <name>``).

    Called (``clicks = stream("clicks", fields={"url": "varchar"})``) it returns the
    :class:`StreamSpec`; used as a decorator it names the stream after the function (whose
    docstring becomes the description) and returns the function unchanged.

    >>> from interlace import stream
    >>> stream("clicks", fields={"url": "varchar", "ms": "bigint"}, retention="7d").declared
    {'url': 'VARCHAR', 'ms': 'BIGINT'}
    """
    frame = inspect.currentframe()
    caller = frame.f_back if frame is not None else None
    origin = f"{caller.f_code.co_filename}:{caller.f_lineno}" if caller is not None else "<stream>"
    if callable(name):
        return _decorate(name, None, origin, keywords)
    if name is None:
        return lambda func: _decorate(func, None, origin, keywords)
    spec = make_stream(name, origin, **keywords)
    _record(spec)

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        func.__interlace_stream__ = spec  # type: ignore[attr-defined]
        return func

    return StreamSpecProxy(spec, decorator)


class StreamSpecProxy:
    """What ``stream("name", ...)`` returns: the spec's attributes, and usable as a decorator."""

    def __init__(self, spec: StreamSpec, decorator: Callable[[Callable[..., Any]], Any]) -> None:
        self.spec = spec
        self._decorator = decorator

    def __getattr__(self, item: str) -> Any:
        return getattr(self.spec, item)

    def __call__(self, func: Callable[..., Any]) -> Any:
        return self._decorator(func)

    def __repr__(self) -> str:
        return f"stream({self.spec.name!r})"


def _decorate(func: Callable[..., Any], name: str | None, origin: str,
              keywords: dict[str, Any]) -> Callable[..., Any]:
    keywords = {"description": inspect.getdoc(func), **keywords}
    spec = make_stream(name or func.__name__, origin, **keywords)
    _record(spec)
    func.__interlace_stream__ = spec  # type: ignore[attr-defined]
    return func


def _record(spec: StreamSpec) -> None:
    collected = _collector.get()
    if collected is not None:
        collected.append(spec)
