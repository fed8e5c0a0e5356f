"""Fingerprints: what a model's data depends on, as one hash.

A fingerprint covers the normalized definition (SQL through sqlglot's DuckDB tokenizer, so
whitespace, comments and the case of keywords and unquoted identifiers do not count; Python source
through ``ast``), the configuration that shapes the data,
the source of the user functions it calls, and the fingerprints of the upstream models. Descriptive settings (description, owner, tags,
checks, schedule, export) are left out: changing them does not rebuild anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping

from interlace.project.dependencies import normalize_sql
from interlace.project.spec import ModelSpec

__all__ = ["definitions", "fingerprints", "normalized_definition"]

METADATA_ONLY = frozenset({"description", "columns", "owner", "tags", "quality_checks", "schedule", "export",
                           "retry_policy", "cache"})


def normalized_definition(spec: ModelSpec) -> str:
    """The model's definition with formatting and comments removed."""
    if spec.kind == "python":
        return spec.source
    return spec.normalized or normalize_sql(spec.sql or "")


# id(spec) -> (spec, own hash). Holding the spec keeps its id from being reused; specs are frozen,
# so a hash once computed stays true. Planning hashes every model several times per run.
_OWN: dict[int, tuple[ModelSpec, str]] = {}
_OWN_LIMIT = 100_000


def _own(spec: ModelSpec) -> str:
    cached = _OWN.get(id(spec))
    if cached is not None and cached[0] is spec:
        return cached[1]
    if len(_OWN) >= _OWN_LIMIT:
        _OWN.clear()
    digest = _own_uncached(spec)
    _OWN[id(spec)] = (spec, digest)
    return digest


def _own_uncached(spec: ModelSpec) -> str:
    # The JSON of dataclasses.asdict(config) without its deep copy: nested dataclasses are turned
    # into dicts by `default` as they are met, everything else becomes str() as before.
    config = {f.name: getattr(spec.config, f.name) for f in dataclasses.fields(spec.config)
              if f.name not in METADATA_ONLY}
    payload = json.dumps([spec.kind, spec.name, normalized_definition(spec), config], sort_keys=True,
                         default=_jsonable)
    return hashlib.sha256(payload.encode()).hexdigest()


def _jsonable(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


def definitions(models: Mapping[str, ModelSpec]) -> dict[str, str]:
    """Each model's own definition hash (its fingerprint without its upstreams')."""
    return {name: _own(spec)[:32] for name, spec in models.items()}


def fingerprints(models: Mapping[str, ModelSpec], upstream: Mapping[str, tuple[str, ...]],
                 order: tuple[str, ...], functions: Mapping[str, str] | None = None) -> dict[str, str]:
    """The fingerprint of every model (``order`` is a topological order).

    ``functions`` gives, per model, the checksums of the user functions it calls: editing a UDF
    changes exactly its callers' fingerprints (and so their downstream models').
    """
    out: dict[str, str] = {}
    calls = functions or {}
    for name in order:
        own = _own(models[name]) + (f"|fn:{calls[name]}" if name in calls else "")
        parts = [own, *sorted(out[u] for u in upstream.get(name, ()))]
        out[name] = hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
    return out
