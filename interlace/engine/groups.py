"""Which models of a run may share one transaction, and the frontier that hands them out.

A commit costs about as much as building a tiny table (DuckDB writes and syncs its WAL), and run
bookkeeping adds a statement per model. So a worker that has built a small *groupable* model (SQL,
``replace`` table or view, in the warehouse: see :func:`groupable`) keeps its transaction open and
builds the next groupable model it may take — one whose upstream models are all committed or in
its own open group — then inserts the group's run records in one statement and commits once. The
data and records of a group commit together or not at all (the SIGKILL test covers it); a failure
anywhere rolls the whole group back, and the run builds its models again one by one (each in its
own transaction), so a failing model leaves nothing behind and its neighbours still build.

A worker commits early when that lets other work go on: when a model it cannot take (not
groupable) waits only for the group, or when another worker is idle and at least two models wait
for it; and at :data:`MAX_GROUP` models.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from interlace.kinds import is_in_memory, materialization_of, strategy_of
from interlace.planner.plan import Step, upstream_through_inlined
from interlace.project.spec import ModelSpec

__all__ = ["MAX_GROUP", "Frontier", "GroupRules", "groupable"]

MAX_GROUP = 256  # models in one transaction at most


@dataclass(frozen=True, slots=True)
class GroupRules:
    """What the run knows about where a model writes and how it is retried."""

    models: Mapping[str, ModelSpec]
    upstream: Mapping[str, tuple[str, ...]]
    in_warehouse: Callable[[ModelSpec], bool]  # writes the warehouse's own database (not connection=)
    retried: Callable[[ModelSpec], bool]  # has a retry policy of more than one attempt


def groupable(step: Step, rules: GroupRules) -> bool:
    """Whether ``step`` may be built inside a transaction shared with other models."""
    spec = rules.models[step.model]
    materialization = materialization_of(spec)
    if step.action != "build" or spec.kind != "sql" or not materialization.groups:
        return False
    if materialization.takes_strategy and not strategy_of(spec).groups:
        return False
    config = spec.config
    if config.cursor or config.export or not rules.in_warehouse(spec) or rules.retried(spec):
        return False
    ups = upstream_through_inlined(spec.name, rules.models, rules.upstream)
    return not any(is_in_memory(rules.models[u]) for u in ups)


class Frontier:
    """The run's scheduling state, shared by the scheduler thread and the workers (one lock).

    ``waiting[m]``: upstream models of ``m`` not yet settled as successes (committed). A model is
    *claimed* by exactly one task (alone, or as a member of a group) before it is built.
    """

    def __init__(self, steps: Mapping[str, Step], can_group: Callable[[str], bool], workers: int) -> None:
        self.waiting = {n: set(s.upstream) for n, s in steps.items()}
        self.downstream: dict[str, list[str]] = {n: [] for n in steps}
        for name, ups in self.waiting.items():
            for up in ups:
                self.downstream[up].append(name)
        self._order = {n: i for i, n in enumerate(steps)}
        self._groups = {n: can_group(n) for n in steps}
        self._workers = workers
        self._lock = threading.Lock()
        self._ready = [n for n, ups in self.waiting.items() if not ups]
        self._claimed: set[str] = set()
        self._settled: set[str] = set()
        self.busy = 0  # tasks submitted and not yet collected by the scheduler

    def groups(self, name: str) -> bool:
        return self._groups[name]

    def take_ready(self) -> str | None:
        """The next ready model nobody claimed (scheduler thread), claimed."""
        with self._lock:
            while self._ready:
                name = self._ready.pop(0)
                if name not in self._claimed and name not in self._settled:
                    self._claimed.add(name)
                    return name
            return None

    def settle(self, name: str, success: bool, *, stop: bool = False) -> None:
        """``name`` has its result; on success its downstream models may become ready."""
        with self._lock:
            self._settled.add(name)
            if not success or stop:
                return
            fresh = []
            for child in self.downstream[name]:
                self.waiting[child].discard(name)
                if not self.waiting[child] and child not in self._claimed and child not in self._settled:
                    fresh.append(child)
            self._ready.extend(fresh)
            self._ready.sort(key=self._order.__getitem__)

    def unsettled_claims(self) -> list[str]:
        with self._lock:
            return sorted(self._claimed - self._settled)

    def next_member(self, built: set[str], near: set[str]) -> str | None:
        """The next model a group should build in its open transaction, claimed; None: commit now.

        ``built``: the group's members so far (all built); ``near``: the caller's set of their
        downstream models (grown by :meth:`children` as members are built; pruned here).
        """
        if len(built) >= MAX_GROUP:
            return None
        with self._lock:
            behind, blocked_other = [], False  # models that wait for this group only
            for child in list(near):
                if child in self._claimed or child in self._settled:
                    near.discard(child)
                    continue
                if self.waiting[child] <= built:
                    behind.append(child)
                    blocked_other = blocked_other or not self._groups[child]
            if blocked_other:
                return None  # a model that cannot join waits for this commit
            idle = self.busy < self._workers and not any(
                n not in self._claimed and n not in self._settled for n in self._ready)
            if idle and len(behind) > 1:
                return None  # let an idle worker share what this group holds back
            choice = min(behind, key=self._order.__getitem__, default=None)
            if choice is None:
                choice = next((n for n in self._ready if self._groups[n] and n not in self._claimed
                               and n not in self._settled), None)
            if choice is not None:
                self._claimed.add(choice)
            return choice
