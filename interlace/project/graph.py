"""The dependency graph: which models read which, in what order they can run.

References that are not models (raw tables, attached catalogs) are *sources*; a reference that is
neither a model nor an existing relation is an error with a "did you mean".
"""

from __future__ import annotations

import graphlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from interlace.errors import CycleError, InterlaceError, UnknownModelError, did_you_mean
from interlace.project.spec import ModelSpec

__all__ = ["Graph", "build_graph"]


@dataclass(frozen=True, slots=True)
class Graph:
    upstream: Mapping[str, tuple[str, ...]]  # model -> models it reads
    downstream: Mapping[str, tuple[str, ...]]  # model -> models that read it
    sources: Mapping[str, tuple[str, ...]]  # model -> non-model relations it reads
    order: tuple[str, ...]  # a topological order of all models
    # models that cannot be built as declared (a name that is neither a model nor a relation):
    # they stay in the graph, shown as errors, while every other model keeps working
    broken: Mapping[str, InterlaceError] = field(default_factory=dict)

    def blocked_by(self, name: str) -> str | None:
        """The first broken model among ``name``'s ancestors (it cannot be built while that is broken)."""
        return next((a for a in sorted(self.ancestors(name)) if a in self.broken), None)

    def ancestors(self, name: str) -> set[str]:
        return _walk(name, self.upstream)

    def descendants(self, name: str) -> set[str]:
        return _walk(name, self.downstream)


def _walk(start: str, edges: Mapping[str, tuple[str, ...]]) -> set[str]:
    seen: set[str] = set()
    stack = list(edges.get(start, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges.get(node, ()))
    return seen


def build_graph(
    models: Mapping[str, ModelSpec],
    *,
    default_schema: str,
    relation_exists: Callable[[str], bool],
    catalogs: Iterable[str] = (),
    waits_for: Mapping[str, tuple[str, ...]] | None = None,
    tolerate_unknown: bool = False,
    broken: Mapping[str, InterlaceError] | None = None,
) -> Graph:
    """Resolve every model's references and order the models; raise on unknown names and cycles.

    With ``tolerate_unknown``, a model reading an unknown name is recorded in ``Graph.broken``
    (with the error that names it) instead of failing the whole graph.

    ``waits_for`` adds edges that are not data dependencies, e.g. the target of a model's
    ``relationships`` check, which must be built before the check runs.
    """
    by_name = {name.lower(): spec for name, spec in models.items()}
    attached = {c.lower() for c in catalogs}
    upstream: dict[str, tuple[str, ...]] = {}
    sources: dict[str, tuple[str, ...]] = {}
    problems: dict[str, InterlaceError] = dict(broken or {})  # known broken (files that do not load)
    for name, spec in models.items():
        deps: dict[str, None] = {}
        external: dict[str, None] = {}
        for ref in (*spec.dependencies, *(waits_for or {}).get(name, ())):
            target = _resolve(ref, by_name, default_schema, attached)
            if target is not None:
                if target != name:  # a model reading its own existing table is not a cycle
                    deps.setdefault(target, None)
            elif ref.split(".")[0].lower() in attached or relation_exists(ref):
                external.setdefault(ref, None)
            elif tolerate_unknown:
                problems.setdefault(name, _unknown(spec, ref, models))
            else:
                raise _unknown(spec, ref, models)
        upstream[name] = tuple(deps)
        sources[name] = tuple(external)
    downstream: dict[str, list[str]] = {name: [] for name in models}
    for name, ups in upstream.items():
        for dep in ups:
            downstream[dep].append(name)
    sorter = graphlib.TopologicalSorter({n: upstream[n] for n in sorted(models)})
    try:
        order = tuple(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = list(reversed(exc.args[1]))
        raise CycleError(
            "models depend on each other in a cycle: " + " → ".join(cycle),
            details="\n".join(f"  {n}: {models[n].origin}" for n in cycle[:-1]),
            hint="remove one of these dependencies so the models form a chain",
        ) from None
    return Graph(upstream=upstream, downstream={k: tuple(v) for k, v in downstream.items()},
                 sources=sources, order=order, broken=problems)


def _resolve(ref: str, by_name: Mapping[str, ModelSpec], default_schema: str, attached: set[str]) -> str | None:
    parts = ref.lower().split(".")
    spec = by_name.get(parts[-1])
    if spec is None:
        return None
    schema = (spec.config.schema or default_schema).lower()
    if len(parts) == 1:
        return spec.name
    if len(parts) == 2 and parts[0] == schema and parts[0] not in attached:
        return spec.name
    return None


def _unknown(spec: ModelSpec, ref: str, models: Mapping[str, ModelSpec]) -> UnknownModelError:
    return UnknownModelError(
        f"reads '{ref}', which is neither a model nor a table or view in the warehouse."
        + did_you_mean(ref.split(".")[-1], models),
        model=spec.name,
        origin=str(spec.origin),
        hint="correct the name, add a model with that name, or create the table first "
        "(a model, a migration or an attached database)",
    )
