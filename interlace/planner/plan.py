"""``plan``: decide for each model whether a run builds it, inlines it or skips it, and why.

Pure: it reads the project, the graph and a snapshot of state handed to it, and writes nothing.
A model is built when it is forced, when its table does not exist, when its fingerprint (its own
definition and its upstreams') changed since its last successful build, when an upstream is being
rebuilt or produced new data since then, or — for a source model, which reads no other model —
when its inputs may have changed: external tables always, local files when their size or
modification time changed, nothing when a ``cache`` ttl says the last result is fresh enough.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from interlace.kinds import is_checkable, is_in_memory, is_inlined, materialization_of
from interlace.options import RunOptions
from interlace.project.graph import Graph
from interlace.project.spec import ModelSpec
from interlace.state.store import LastBuild

__all__ = ["Plan", "PlanBasis", "PlanState", "Step", "is_in_memory", "is_inlined", "plan", "quality_plan",
           "upstream_through_inlined"]

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_ttl(ttl: str) -> timedelta:
    return timedelta(**{_UNITS[ttl[-1]]: int(ttl[:-1])})


@dataclass(frozen=True, slots=True)
class Step:
    model: str
    action: str  # build | inline | skip | check | error (cannot be built as declared) | blocked (by an error upstream)
    reason: str
    upstream: tuple[str, ...] = ()  # the build steps this one waits for
    fingerprint: str | None = None
    inputs: tuple[tuple[str, int, int], ...] | None = None  # (path, size, mtime_ns) seen when planned
    definition: str | None = None  # the model's own definition hash (recorded with the build)
    reads: tuple[str, ...] = ()  # the models it reads (through inlined ephemerals), built or not

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "action": self.action, "reason": self.reason, "upstream": list(self.reads),
                "waits_for": list(self.upstream)}


@dataclass(frozen=True, slots=True)
class PlanState:
    """What the planner needs to know about the past, gathered by the caller."""

    is_built: Callable[[ModelSpec], bool]
    last_builds: Mapping[str, LastBuild] = field(default_factory=dict)
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    file_stats: Callable[[ModelSpec], tuple[tuple[str, int, int], ...] | None] = lambda spec: None
    why_changed: Callable[[str, LastBuild], str | None] = lambda name, last: None  # e.g. a UDF it calls
    now: datetime = field(default_factory=lambda: datetime.now().astimezone())
    definitions: Mapping[str, str] = field(default_factory=dict)  # each model's own definition hash
    watermarked: frozenset[str] = frozenset()  # incremental models with a stored watermark


@dataclass(frozen=True, slots=True)
class PlanBasis:
    """What a plan was computed from. ``Workspace.apply`` compares it with the present and refuses
    a plan whose basis moved (SQLMesh's plan → apply: the plan a user saw is the plan that runs)."""

    fingerprints: Mapping[str, str]  # every model's fingerprint (definition + upstreams)
    built: frozenset[str]  # the models whose table or view existed
    last_run: str | None  # the newest run recorded in state

    def changes_since(self, now: PlanBasis) -> list[str]:
        """What changed between this basis and ``now``, one phrase each (empty: still valid)."""
        out: list[str] = []
        before, after = self.fingerprints, now.fingerprints
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        edited = sorted(n for n in set(before) & set(after) if before[n] != after[n])
        for what, names in (("added", added), ("removed", removed), ("edited (or an upstream of it)", edited)):
            if names:
                shown = ", ".join(f"'{n}'" for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
                out.append(f"model{'s' if len(names) > 1 else ''} {shown} {'were' if len(names) > 1 else 'was'} {what}")
        if now.last_run != self.last_run:
            out.append(f"run {now.last_run} finished")
        appeared = sorted(now.built - self.built)
        vanished = sorted(self.built - now.built)
        if appeared:
            out.append("the table of " + ", ".join(f"'{n}'" for n in appeared[:5]) + " was created")
        if vanished:
            out.append("the table of " + ", ".join(f"'{n}'" for n in vanished[:5]) + " was dropped")
        return out


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    selected: frozenset[str]
    options: RunOptions = field(default_factory=RunOptions)  # what was asked (selector, window, workers)
    basis: PlanBasis | None = None  # None: a plan made by hand, applied without a staleness check

    @property
    def builds(self) -> tuple[Step, ...]:
        """The steps a run executes: builds, and check-only steps of ``--quality-only``."""
        return tuple(s for s in self.steps if s.action in ("build", "check"))

    @property
    def skips(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.action == "skip")

    @property
    def errors(self) -> tuple[Step, ...]:
        """Selected models that cannot run: declared wrongly (error) or behind one that is (blocked)."""
        return tuple(s for s in self.steps if s.action in ("error", "blocked"))

    def step(self, model: str) -> Step:
        return next(s for s in self.steps if s.model == model)

    def explain(self) -> str:
        if not self.steps:
            return "Nothing to do: the selection matched no models."
        width = max(len(s.model) for s in self.steps)
        action_width = max(6, *(len(s.action) for s in self.steps))
        lines = [f"{s.model:<{width}}  {s.action:<{action_width}}  {s.reason}" for s in self.steps]
        n, k, e = len(self.builds), len(self.skips), len(self.errors)
        tail = (f"{n} model{'s' if n != 1 else ''} to build" + (f", {k} up to date" if k else "")
                + (f", {e} with errors" if e else "") + ".")
        return "\n".join([*lines, tail])

    def to_dict(self) -> dict[str, Any]:
        return {"steps": [s.to_dict() for s in self.steps], "selected": sorted(self.selected)}

    @property
    def selector(self) -> str | None:
        """The selection as the user wrote it (recorded on the run)."""
        return " ".join(self.options.select) or None

    @property
    def window(self) -> tuple[str | None, str | None]:
        return (self.options.since, self.options.until)


def plan(
    models: Mapping[str, ModelSpec],
    graph: Graph,
    selected: set[str],
    *,
    state: PlanState,
    force: bool = False,
    backfill: bool = False,
) -> Plan:
    """The steps of a run over ``selected``, in dependency order.

    Unselected upstreams join when a selected model needs them: a table or view that does not
    exist yet or whose definition changed, or a result that only lives in memory during a run.
    """
    needed = _needed(models, graph, selected, state)
    decisions: dict[str, tuple[str, str]] = {}
    data_time: dict[str, datetime | None] = {}
    for name in graph.order:
        spec = models[name]
        last = state.last_builds.get(name)
        ups = upstream_through_inlined(name, models, graph.upstream)
        data_time[name] = _data_time(name, spec, last, graph, data_time)
        if name in selected:
            decisions[name] = _decide(name, spec, last, ups, models, graph, decisions, data_time, state,
                                      force=force, backfill=backfill)
        elif name in needed:
            decisions[name] = needed[name]
        else:
            continue
        if name in graph.broken:
            decisions[name] = ("error", f"cannot be built: {str(graph.broken[name]).splitlines()[0]}")
        elif decisions[name][0] == "build" and (blocker := graph.blocked_by(name)) is not None:
            decisions[name] = ("blocked", f"upstream model '{blocker}' has an error")
    pending = [n for n, (action, _) in decisions.items() if action == "build"]
    while pending:  # in-memory inputs of a build must run in the same run
        name = pending.pop()
        for up in upstream_through_inlined(name, models, graph.upstream):
            if is_in_memory(models[up]) and decisions.get(up, ("skip",))[0] != "build":
                decisions[up] = ("build", f"needed by {name}: its result only exists during a run")
                pending.append(up)
    builds = {n for n, (a, _) in decisions.items() if a == "build"}
    steps = tuple(
        Step(n, decisions[n][0], decisions[n][1],
             tuple(sorted(upstream_through_inlined(n, models, graph.upstream) & builds)) if n in builds else (),
             fingerprint=state.fingerprints.get(n),
             inputs=state.file_stats(models[n]) if n in builds else None,
             definition=state.definitions.get(n),
             reads=tuple(sorted(upstream_through_inlined(n, models, graph.upstream))))
        for n in graph.order if n in decisions
    )
    return Plan(steps=steps, selected=frozenset(selected))


def quality_plan(models: Mapping[str, ModelSpec], graph: Graph, selected: set[str], *,
                 is_built: Callable[[ModelSpec], bool], has_checks: Callable[[str], bool] = lambda name: True) -> Plan:
    """``--quality-only``: check each selected table or view that has checks, as it is; build nothing."""
    steps = []
    for name in graph.order:
        spec = models[name]
        if name not in selected or not is_checkable(spec):
            continue
        if not has_checks(name):
            steps.append(Step(name, "skip", "no quality checks declared"))
        elif is_built(spec):
            steps.append(Step(name, "check", "--quality-only: checks on the existing data"))
        else:
            steps.append(Step(name, "skip", f"its {spec.materialize} does not exist yet: nothing to check"))
    return Plan(steps=tuple(steps), selected=frozenset(selected))


def _decide(name: str, spec: ModelSpec, last: LastBuild | None, ups: set[str],
            models: Mapping[str, ModelSpec], graph: Graph,
            decisions: Mapping[str, tuple[str, str]], data_time: Mapping[str, datetime | None],
            state: PlanState, *, force: bool, backfill: bool) -> tuple[str, str]:
    if is_inlined(spec):
        return ("inline", "ephemeral: inlined into the models that read it")
    if force:
        return ("build", "forced (--force)")
    if backfill and spec.config.cursor:
        return ("build", "backfill of the --since/--until window")
    if materialization_of(spec).always_runs:
        return ("build", f"side-effect model (materialize='{spec.materialize}'): runs every time it is selected")
    if is_in_memory(spec):
        return ("skip", "ephemeral: computed only when a model reading it is built")
    if not state.is_built(spec):
        return ("build", f"its {spec.materialize} does not exist yet")
    if last is None:
        return ("build", "no successful build is recorded")
    if last.fingerprint != state.fingerprints.get(name):
        return ("build", state.why_changed(name, last) or _what_changed(name, last, ups, state))
    if spec.config.cursor and name not in state.watermarked:
        return ("build", "its watermark was reset: all input rows are read again")
    rebuilt = sorted(u for u in ups if decisions.get(u, ("",))[0] == "build")
    if rebuilt:
        return ("build", f"upstream '{rebuilt[0]}' is being rebuilt")
    in_memory = sorted(u for u in ups if is_in_memory(models[u]))
    if in_memory:
        return ("build", f"reads '{in_memory[0]}', whose result is recomputed in every run")
    newer = sorted(u for u in ups if (t := data_time.get(u)) is not None and t > last.finished_at)
    if newer:
        return ("build", f"upstream '{newer[0]}' has new data since the last build")
    if ups:
        return ("skip", "up to date")
    return _decide_source(spec, last, graph, state)


def _what_changed(name: str, last: LastBuild, ups: set[str], state: PlanState) -> str:
    """Why a fingerprint moved: the model was edited, or an upstream was (named)."""
    if last.definition is not None and last.definition != state.definitions.get(name):
        return "edited since the last build"
    edited = sorted(u for u in ups if (b := state.last_builds.get(u)) is not None
                    and (b.fingerprint != state.fingerprints.get(u) or b.finished_at > last.finished_at))
    if edited:
        return f"upstream '{edited[0]}' was edited since the last build"
    return "edited since the last build" if last.definition is not None or not ups \
        else "its definition (or an upstream's) changed since the last build"


def _decide_source(spec: ModelSpec, last: LastBuild, graph: Graph, state: PlanState) -> tuple[str, str]:
    """A model that reads no other model: are its inputs fresh?"""
    ttl = (spec.config.cache or {}).get("ttl")
    if ttl and last.finished_at + parse_ttl(ttl) > state.now:
        return ("skip", f"cached: built at {last.finished_at:%Y-%m-%d %H:%M:%S}, ttl {ttl}")
    external = graph.sources.get(spec.name, ())
    if external:
        return ("build", f"source model reading {', '.join(external)}: rebuilt every run "
                         "(cache={'ttl': ...} reuses a recent result)")
    if spec.file_inputs is None:
        what = "a Python source model" if spec.kind == "python" else "it reads external data"
        return ("build", f"{what}: rebuilt every run (cache={{'ttl': ...}} reuses a recent result)")
    now = state.file_stats(spec) or ()
    before = tuple(tuple(x) for x in (last.inputs or ()))
    if now != before:
        changed = sorted({p for p, *_ in set(now) ^ set(before)})
        return ("build", f"input file {changed[0]} changed since the last build" if changed
                else "its input files changed")
    return ("skip", "up to date (input files unchanged)" if now else "up to date")


def _data_time(name: str, spec: ModelSpec, last: LastBuild | None, graph: Graph,
               data_time: Mapping[str, datetime | None]) -> datetime | None:
    """When the data a model exposes last changed: its build, or for views and inlined ephemerals
    also whenever what they read changed."""
    own = last.finished_at if last else None
    if materialization_of(spec).takes_strategy:  # a table: its data changes only when it is built
        return own
    times = [t for t in (own, *(data_time.get(u) for u in graph.upstream[name])) if t is not None]
    return max(times) if times else None


def _needed(models: Mapping[str, ModelSpec], graph: Graph, selected: set[str],
            state: PlanState) -> dict[str, tuple[str, str]]:
    """Unselected upstreams the selection cannot run without."""
    needed: dict[str, tuple[str, str]] = {}
    pending = list(selected)
    while pending:
        consumer = pending.pop()
        for up in graph.upstream[consumer]:
            if up in selected or up in needed:
                continue
            spec = models[up]
            last = state.last_builds.get(up)
            if is_inlined(spec):
                needed[up] = ("inline", f"ephemeral: inlined into {consumer}")
            elif is_in_memory(spec):
                continue  # added when a reader is built
            elif not state.is_built(spec):
                needed[up] = ("build", f"needed by {consumer}: its {spec.materialize} does not exist yet")
            elif last is None or last.fingerprint != state.fingerprints.get(up):
                needed[up] = ("build", f"needed by {consumer}: its definition changed since the last build")
            else:
                continue
            pending.append(up)
    return needed


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
