"""Build a group of models in one transaction (see :mod:`interlace.engine.groups`), falling
back to one transaction per model when anything in the group fails."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING

from interlace.engine.build import BuildOutcome, Cancelled, build_grouped, build_model
from interlace.engine.groups import Frontier
from interlace.engine.relation import Relation
from interlace.engine.results import ModelResult
from interlace.planner.plan import Step
from interlace.state.store import ModelRunRecord

if TYPE_CHECKING:
    from interlace.engine.run import Run

__all__ = ["KEEP_ON_CANCEL_MS", "build_group"]

KEEP_ON_CANCEL_MS = 1000.0  # a cancelled group's finished members are written again up to this much work


def build_group(run: Run, first: Step, steps: Mapping[str, Step], frontier: Frontier) -> list[ModelResult]:
    """Build ``first`` and the models the frontier hands this group, committing once.

    On any failure (a model's error, a failed blocking check, an open circuit breaker, a cancel)
    the transaction rolls back — no table of the group is written — and every member is built
    again alone, in the order it was claimed, so the run's results and records are exactly those
    of one-by-one builds. A member whose upstream member then fails is left to the scheduler,
    which skips it as ``upstream_failed``.
    """
    members: list[str] = [first.model]
    built: set[str] = set()
    near: set[str] = set()  # downstream models of the members
    done: list[tuple[Step, Relation, BuildOutcome]] = []
    records: list[ModelRunRecord] = []
    cursor = run._cursor()
    breakers, connection_of = run._ctx.breakers, run._ctx.connection_of
    checked: set[str] = set()  # connections whose breaker this group asked about
    try:
        with run._engine.transaction(cursor):
            name: str | None = first.model
            while name is not None:
                step, spec = steps[name], run._models[name]
                relation = run._relation_of(spec)
                run._announce(spec, relation)
                if breakers is not None and connection_of(spec) not in checked:
                    breakers.before(connection_of(spec), spec.name)  # a state read: once per group
                    checked.add(connection_of(spec))
                outcome, record = build_grouped(run._context(step, spec, relation, 1))
                if run.cancelled:
                    raise Cancelled
                done.append((step, relation, outcome))
                records.append(record)
                built.add(name)
                near.update(frontier.downstream[name])
                if breakers is not None and set(breakers.open_connections()) & checked:
                    break  # a half-open breaker's trial is one model: it commits alone
                name = frontier.next_member(built, near)
                if name is not None:
                    members.append(name)
            run._state.record_model_runs(records, cursor=cursor)  # one statement, same transaction
    except BaseException:  # noqa: BLE001 - rolled back; each member is built again on its own
        for connection in checked:
            breakers.end_trial(connection)  # type: ignore[union-attr]  # checked only with breakers
        if run.cancelled:
            return _keep_built(run, done, [steps[m] for m in members])
        return _one_by_one(run, [steps[m] for m in members])
    for connection in sorted(checked):
        breakers.success(connection)  # type: ignore[union-attr]  # checked only with breakers
    return [run._succeeded(step, run._models[step.model], relation, outcome)
            for step, relation, outcome in done]


def _one_by_one(run: Run, members: list[Step]) -> list[ModelResult]:
    results: dict[str, ModelResult] = {}
    names = {s.model for s in members}
    for step in members:
        ups = [u for u in step.upstream if u in names]
        if all(u in results and results[u].status == "success" for u in ups):
            results[step.model] = run._build(step, announced=True)
    return list(results.values())


def _keep_built(run: Run, done: list[tuple[Step, Relation, BuildOutcome]], members: list[Step]) -> list[ModelResult]:
    """A cancel rolled the group back: the members it had finished (small by then: at most
    :data:`KEEP_ON_CANCEL_MS` of building) are written again, each in its own transaction on a
    cursor the cancel does not interrupt — as if they had committed before the cancel, like
    models built alone; the others end cancelled."""
    results: dict[str, ModelResult] = {}
    if sum(outcome.duration_ms for _, _, outcome in done) <= KEEP_ON_CANCEL_MS:
        cursor = run._engine.cursor()
        try:
            for step, relation, _ in done:
                spec = run._models[step.model]
                ctx = dataclasses.replace(run._context(step, spec, relation, 1), cursor=cursor,
                                          is_cancelled=lambda: False)
                try:
                    results[step.model] = run._succeeded(step, spec, relation, build_model(ctx))
                except Exception as exc:  # noqa: BLE001 - becomes the model's result
                    results[step.model] = run._failed(ctx, exc)
        finally:
            cursor.close()
    for step in members:
        if step.model not in results:
            results[step.model] = run._build(step, announced=True)  # cancelled: recorded as such
    return list(results.values())
