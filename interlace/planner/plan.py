"""``plan``: decide for each model whether a run builds it, inlines it, or leaves it, and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from interlace.project.graph import Graph
from interlace.project.spec import ModelSpec

__all__ = ["Plan", "Step", "is_in_memory", "is_inlined", "plan", "upstream_through_inlined"]


def is_inlined(spec: ModelSpec) -> bool:
    """A SQL ephemeral model: never executed on its own, inlined into the SQL of its readers."""
    return spec.materialize == "ephemeral" and spec.kind == "sql"


def is_in_memory(spec: ModelSpec) -> bool:
    """A model whose result only lives during a run (Python ephemeral, or materialize='none')."""
    return spec.materialize == "none" or (spec.materialize == "ephemeral" and spec.kind == "python")


@dataclass(frozen=True, slots=True)
class Step:
    model: str
    action: str  # build | inline
    reason: str
    upstream: tuple[str, ...] = ()  # the build steps this one waits for

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "action": self.action, "reason": self.reason, "upstream": list(self.upstream)}


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    selected: frozenset[str]

    @property
    def builds(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.action == "build")

    def explain(self) -> str:
        if not self.steps:
            return "Nothing to do: the selection matched no models."
        width = max(len(s.model) for s in self.steps)
        lines = [f"{s.model:<{width}}  {s.action:<6}  {s.reason}" for s in self.steps]
        n = len(self.builds)
        return "\n".join([*lines, f"{n} model{'s' if n != 1 else ''} to build."])

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [s.to_dict() for s in self.steps], "selected": sorted(self.selected)}


def plan(
    models: Mapping[str, ModelSpec],
    graph: Graph,
    selected: set[str],
    *,
    is_built: Callable[[ModelSpec], bool],
    force: bool = False,
) -> Plan:
    """The steps that building ``selected`` takes, in dependency order.

    Unselected upstreams join the plan when a selected model cannot run without them: a table or
    view that does not exist yet, or a result that only lives in memory during a run.
    """
    reasons: dict[str, tuple[str, str]] = {}
    for name in selected:
        spec = models[name]
        if is_inlined(spec):
            reasons[name] = ("inline", "ephemeral: inlined into the models that read it")
        else:
            reasons[name] = ("build", "forced (--force)" if force else "selected")
    pending = [n for n in selected if reasons[n][0] == "build" or is_inlined(models[n])]
    while pending:
        consumer = pending.pop()
        for up in graph.upstream[consumer]:
            if up in reasons:
                continue
            spec = models[up]
            if is_inlined(spec):
                reasons[up] = ("inline", f"ephemeral: inlined into {consumer}")
            elif is_in_memory(spec):
                reasons[up] = ("build", f"needed by {consumer}: its result only exists during a run")
            elif not is_built(spec):
                reasons[up] = ("build", f"needed by {consumer}: its {spec.materialize} does not exist yet")
            else:
                continue
            pending.append(up)
    builds = {n for n, (action, _) in reasons.items() if action == "build"}
    steps = tuple(
        Step(n, reasons[n][0], reasons[n][1],
             tuple(sorted(upstream_through_inlined(n, models, graph.upstream) & builds)) if n in builds else ())
        for n in graph.order if n in reasons
    )
    return Plan(steps=steps, selected=frozenset(selected))


def upstream_through_inlined(
    name: str, models: Mapping[str, ModelSpec], upstream: Mapping[str, tuple[str, ...]]
) -> set[str]:
    """Upstream models of ``name``, looking through inlined ephemerals to what they read."""
    out: set[str] = set()
    stack = list(upstream.get(name, ()))
    while stack:
        up = stack.pop()
        if is_inlined(models[up]):
            stack.extend(upstream.get(up, ()))
        else:
            out.add(up)
    return out
