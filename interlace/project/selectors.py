"""Selectors: ``name``, ``+name`` (and upstream), ``name+`` (and downstream), ``tag:x``,
``path:models/x``, ``state:modified`` (fingerprint differs from the last build, or never built),
glob patterns (``stg_*``); a space separates a union; ``exclude`` removes."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping

from interlace.errors import UnknownModelError, did_you_mean
from interlace.project.graph import Graph
from interlace.project.spec import ModelSpec

__all__ = ["select"]


def select(
    models: Mapping[str, ModelSpec],
    graph: Graph,
    selector: Iterable[str] | str | None,
    exclude: Iterable[str] | str | None = None,
    *,
    modified: Callable[[], set[str]] = lambda: set(),
) -> set[str]:
    """The model names a selector picks; no selector picks every model.

    ``modified`` answers ``state:modified`` (asked only when a selector uses it).
    """
    tokens = _tokens(selector)
    chosen = set(models) if not tokens else set().union(*(_nonempty(t, models, graph, modified) for t in tokens))
    for token in _tokens(exclude):
        chosen -= _one(token, models, graph, modified)
    return chosen


def _tokens(value: Iterable[str] | str | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [t for item in items for t in item.split()]


_HINT = "run `interlace info` to list the models; select by name, tag:x, path:models/x or a glob"


def _nonempty(token: str, models: Mapping[str, ModelSpec], graph: Graph,
              modified: Callable[[], set[str]]) -> set[str]:
    """What ``token`` selects; a selector that selects nothing is a mistake (a typo in a tag or a
    path), said with what exists, rather than a run that builds nothing."""
    chosen = _one(token, models, graph, modified)
    if chosen or not models or token.strip("+").startswith("state:"):  # nothing modified is no mistake
        return chosen
    method, _, value = token.strip("+").partition(":") if ":" in token else ("name", "", token.strip("+"))
    if method == "tag":
        tags = sorted({t for s in models.values() for t in s.tags})
        why, known = f"no model has the tag '{value}'" + _suggest(value, tags), ("tags", tags)
    elif method == "path":
        paths = sorted({s.origin.path for s in models.values()})
        folders = {p.rsplit("/", 1)[0] for p in paths if "/" in p}
        why = f"no model is declared under '{value}'" + _suggest(value.rstrip("/"), [*paths, *folders])
        known = ("paths", paths)
    else:
        why, known = f"no model name matches '{value}'", ("models", sorted(models))
    raise UnknownModelError(f"the selector '{token}' matches no model: {why}",
                            details=f"  {known[0]}: {_listing(known[1])}", hint=_HINT)


def _suggest(value: str, candidates: list[str]) -> str:
    suggestion = did_you_mean(value, candidates)
    return "." + suggestion if suggestion else ""


def _listing(values: list[str], limit: int = 20) -> str:
    if not values:
        return "(none)"
    shown = ", ".join(values[:limit])
    return shown + (f", … ({len(values) - limit} more)" if len(values) > limit else "")


def _one(token: str, models: Mapping[str, ModelSpec], graph: Graph, modified: Callable[[], set[str]]) -> set[str]:
    with_up, with_down = token.startswith("+"), token.endswith("+") and len(token) > 1
    core = token.strip("+")
    matched = _match(core, models, modified)
    result = set(matched)
    for name in matched:
        if with_up:
            result |= graph.ancestors(name)
        if with_down:
            result |= graph.descendants(name)
    return result


def _match(core: str, models: Mapping[str, ModelSpec], modified: Callable[[], set[str]]) -> set[str]:
    method, _, value = core.partition(":") if ":" in core else ("name", "", core)
    if method == "state":
        if value != "modified":
            raise UnknownModelError(f"unknown state selector '{core}'", hint="use state:modified or state:modified+")
        return modified() & set(models)
    if method == "tag":
        return {n for n, s in models.items() if value in s.tags}
    if method == "path":
        prefix = value.rstrip("/")
        return {n for n, s in models.items()
                if s.origin.path == prefix or s.origin.path.startswith(prefix + "/")}
    if method != "name":
        raise UnknownModelError(
            f"unknown selector method '{method}:' in '{core}'",
            hint="use a model name, +name, name+, tag:x, path:models/x or state:modified",
        )
    if any(ch in value for ch in "*?["):
        return set(fnmatch.filter(models, value))
    if value not in models:
        raise UnknownModelError(
            f"no model named '{value}'." + did_you_mean(value, models),
            hint="run `interlace info` to list the models",
        )
    return {value}
