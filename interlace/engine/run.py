"""``Run``: execute a plan's build steps in parallel, in dependency order.

A thread pool runs every model whose upstream models have finished; each thread has its own
DuckDB cursor. A failed model's downstream models are skipped (``upstream_failed``) while
independent branches go on. There is no iteration limit: the loop ends when nothing is left.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa

from interlace.breaker import CircuitBreakers
from interlace.engine.build import (
    BuildContext,
    BuildOutcome,
    Cancelled,
    build_model,
    check_model,
    wrap_error,
)
from interlace.engine.engine import Engine
from interlace.engine.group_build import build_group
from interlace.engine.groups import Frontier, GroupRules, groupable
from interlace.engine.relation import Relation
from interlace.engine.results import ModelResult, RunResult
from interlace.errors import CircuitOpenError, ExecutionError, InterlaceError
from interlace.events import (
    CheckFinished,
    EventBus,
    ModelFailed,
    ModelFinished,
    ModelQueued,
    ModelRetrying,
    ModelSkipped,
    ModelStarted,
    RunCancelled,
    RunCancelling,
    RunFailed,
    RunFinished,
    RunStarted,
)
from interlace.kinds import is_persisted
from interlace.planner.plan import Plan, PlanBasis, Step
from interlace.project.spec import ModelSpec
from interlace.quality.checks import Check
from interlace.quality.runner import CheckResult
from interlace.retry import NO_RETRY, Clock, RetryPolicy
from interlace.state.store import CatalogEntry, ModelRunRecord, StateStore

__all__ = ["Run", "RunContext", "new_run_id"]

_POLL_S = 0.2  # how often the scheduler wakes while waiting, to notice cancel() from another thread


@dataclass(frozen=True, slots=True)
class RunContext:
    """Everything a run needs from its workspace, gathered once when a plan is applied."""

    engine: Engine
    state: StateStore
    bus: EventBus
    models: Mapping[str, ModelSpec]
    upstream: Mapping[str, tuple[str, ...]]
    relation_of: Callable[[ModelSpec], Relation]
    default_schema: str
    env: str
    existing: Mapping[tuple[str, str, str], str]  # the catalog when the run was planned
    checks: Mapping[str, tuple[Check, ...]] = dataclasses.field(default_factory=dict)
    resolve: Callable[[str], Relation | None] = lambda name: None
    max_workers: int | None = None
    broken: Mapping[str, InterlaceError] = dataclasses.field(default_factory=dict)  # Graph.broken
    retry_of: Callable[[ModelSpec], RetryPolicy] = lambda spec: NO_RETRY
    connection_of: Callable[[ModelSpec], str] = lambda spec: spec.config.connection or "default"
    breakers: CircuitBreakers | None = None
    clock: Clock = dataclasses.field(default_factory=Clock)
    dead_letter: Callable[[str, str, int, str, str], None] | None = None  # (run, model, attempts, error, trigger)
    build: Callable[[BuildContext], Any] = build_model  # a model's build (interlace.backends: engines)


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


class Run:
    """One execution of a :class:`Plan`. ``execute()`` once; ``cancel()`` from any thread."""

    def __init__(self, plan: Plan, context: RunContext, *, run_id: str | None = None,
                 trigger: str = "python") -> None:
        self.run_id = run_id or new_run_id()
        self.plan = plan
        self.trigger = trigger
        self._ctx = context
        self._engine, self._state, self._bus = context.engine, context.state, context.bus
        self._models, self._upstream, self._relation_of = context.models, context.upstream, context.relation_of
        workers = plan.options.max_workers or context.max_workers
        self._max_workers = workers or min(32, os.cpu_count() or 2)
        self._cancelled = threading.Event()
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursors_lock = threading.Lock()
        self._memory: dict[str, pa.Table] = {}
        self._lineage: dict[str, tuple[Any, ...]] = {}  # Python models' lineage, stored when the run ends
        self._existing = dict(context.existing)
        self._checks = dict(context.checks)
        self._now = datetime.now(UTC)
        self.prepared_basis: PlanBasis | None = None  # the workspace's basis when it accepted the run

    def rebase(self, fresh: Run) -> None:
        """Take the plan and context of ``fresh`` (a new plan of the same options), before executing."""
        cancelled = self.cancelled
        self.__dict__.update({k: v for k, v in fresh.__dict__.items() if k != "run_id"})
        if cancelled:
            self._cancelled.set()

    @property
    def results_in_memory(self) -> dict[str, pa.Table]:
        """The results that lived only during the run (in-memory models, strategy 'none')."""
        return dict(self._memory)

    def cancel(self) -> None:
        """Stop the run: running statements are interrupted and rolled back, queued models not started."""
        self._cancelled.set()
        self._interrupt()

    def _interrupt(self) -> None:
        with self._cursors_lock:
            for cursor in self._cursors:
                cursor.interrupt()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def execute(self) -> RunResult:
        steps = {s.model: s for s in self.plan.builds}
        started = datetime.now(UTC)
        self._state.start_run(self.run_id, env=self._ctx.env, selector=self.plan.selector, trigger=self.trigger,
                              total=len(steps))
        self._bus.emit(RunStarted(run_id=self.run_id, models=tuple(steps), trigger=self.trigger))
        results: dict[str, ModelResult] = {}
        try:
            self._schedule(steps, results)
        except KeyboardInterrupt:
            pass  # cancelled by _schedule; what never finished is recorded as cancelled below
        finally:
            self._close_cursors()
        for name in steps:  # anything never started (cancelled run)
            if name not in results:
                results[name] = self._finish_unstarted(steps[name], "cancelled", "run cancelled")
        for step in self.plan.errors:  # selected, but declared wrongly or behind such a model
            results[step.model] = self._not_runnable(step)
            steps[step.model] = step
        status = "cancelled" if self.cancelled else ("failed" if any(r.status == "failed" for r in results.values()) else "success")
        with self._state.batch():  # the run's bookkeeping and its end: one commit
            self._record_built(results)
            result = RunResult(self.run_id, status, started, datetime.now(UTC),
                               {n: results[n] for n in steps}, up_to_date=tuple(s.model for s in self.plan.skips))
            first_error = next((str(r.error) for r in results.values() if r.error), None)
            self._state.finish_run(self.run_id, status=status, succeeded=result.succeeded, failed=result.failed,
                                   skipped=result.skipped, error=first_error)
        ended = {"success": RunFinished, "failed": RunFailed, "cancelled": RunCancelled}[status]
        self._bus.emit(ended(run_id=self.run_id, status=status, succeeded=result.succeeded,
                             failed=result.failed, skipped=result.skipped, duration_s=result.duration_s))
        return result

    def _record_built(self, results: dict[str, ModelResult]) -> None:
        """Refresh the catalogue, schema history and quality results for the run (one batch each)."""
        self._state.record_quality(self.run_id, [(n, c) for n, r in results.items() for c in r.checks])
        built = [self._models[n] for n, r in results.items() if r.status == "success" and r.action == "build"]
        steps = {s.model: s for s in self.plan.steps}
        relations = {s.name: self._relation_of(s) for s in built if is_persisted(s)}
        columns = self._engine.columns_of(relations.values())
        entries = [
            CatalogEntry(
                name=s.name, kind=s.kind, materialize=s.materialize, strategy=s.strategy,
                relation=str(relations[s.name]) if s.name in relations else None, origin=str(s.origin),
                config=_plain(s.config), fingerprint=steps[s.name].fingerprint,
                description=s.config.description,
                tags=s.tags,
                columns=tuple(columns[relations[s.name]]) if s.name in relations else None,
            )
            for s in built
        ]
        versions = self._state.record_built(entries, run_id=self.run_id)
        self._state.store_lineages([  # one transaction for the run, not one per model
            (name, steps[name].fingerprint,
             [(e.column, _model_name(e.source, self._models), e.source_column, e.kind) for e in edges])
            for name, edges in self._lineage.items()])
        for entry in entries:
            if entry.columns is not None:
                results[entry.name] = dataclasses.replace(
                    results[entry.name], columns=entry.columns, schema_changed=entry.name in versions)

    # -- scheduling ------------------------------------------------------------------------------
    def _schedule(self, steps: dict[str, Step], results: dict[str, ModelResult]) -> None:
        # groups are DuckDB's: a run with other engines (interlace.backends) builds one by one
        duckdb_only = self._ctx.build is build_model
        frontier = Frontier(steps, lambda name: duckdb_only and groupable(steps[name], self._group_rules()),
                            self._max_workers)
        for name in steps:
            self._bus.emit(ModelQueued(run_id=self.run_id, model=name))
        running: dict[Future[list[ModelResult]], str] = {}
        pool = ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix="interlace")
        abandoned = False
        try:
            def dispatch() -> None:
                while len(running) < self._max_workers and not self.cancelled:
                    name = frontier.take_ready()
                    if name is None:
                        return
                    running[pool.submit(self._task, steps[name], steps, frontier)] = name
                    frontier.busy = len(running)

            dispatch()
            while running:
                try:
                    done, _ = wait(list(running), timeout=_POLL_S, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    if self.cancelled:  # a second Ctrl-C: stop waiting for the models still running
                        abandoned = True
                        for name in frontier.unsettled_claims():
                            if name not in results:
                                results[name] = self._finish_unstarted(
                                    steps[name], "cancelled", "abandoned",
                                    reason="abandoned while cancelling (its transaction rolls back when it stops)")
                        return
                    self.cancel()  # Ctrl-C: stop, then keep collecting what the workers report
                    self._bus.emit(RunCancelling(run_id=self.run_id, waiting_for=tuple(frontier.unsettled_claims())))
                    continue
                if self.cancelled:
                    self._interrupt()  # a statement that started after cancel() is stopped too
                for future in done:
                    name = running.pop(future)
                    frontier.busy = len(running)
                    for result in self._results_of(future, steps[name]):
                        results[result.model] = result
                        frontier.settle(result.model, result.status == "success", stop=self.cancelled)
                        if result.status == "failed":
                            self._skip_downstream(result.model, steps, frontier.downstream, results)
                dispatch()
        except BaseException as exc:  # an interrupt outside the wait (while submitting): cancel before joining
            self.cancel()
            if isinstance(exc, KeyboardInterrupt):
                self._bus.emit(RunCancelling(run_id=self.run_id, waiting_for=tuple(frontier.unsettled_claims())))
            raise
        finally:
            # abandoned: the workers still running see the cancel and roll back on their own
            pool.shutdown(wait=not abandoned, cancel_futures=True)

    def _group_rules(self) -> GroupRules:
        rules = getattr(self, "_rules", None)
        if rules is None:
            database = self._engine.database
            rules = self._rules = GroupRules(
                self._models, self._upstream,
                in_warehouse=lambda spec: self._engine.lake is None
                and self._relation_of(spec).catalog in (None, database),
                retried=lambda spec: self._ctx.retry_of(spec).max_attempts > 1)
        return rules

    def _task(self, step: Step, steps: Mapping[str, Step], frontier: Frontier) -> list[ModelResult]:
        """A worker's task: ``step`` alone, or the group it starts (:mod:`interlace.engine.groups`)."""
        if not frontier.groups(step.model) or self.cancelled:
            return [self._build(step)]
        return build_group(self, step, steps, frontier)

    def _results_of(self, future: Future[list[ModelResult]], step: Step) -> list[ModelResult]:
        """The worker's results; a bug that escaped it fails that model, never the whole run."""
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001
            error = wrap_error(exc, self._models[step.model])
            self._state.record_model_run(ModelRunRecord(run_id=self.run_id, model=step.model, status="failed",
                                                        action=step.action, reason=step.reason, error=str(error)))
            return [ModelResult(step.model, "failed", step.action, step.reason, error=error)]

    def _skip_downstream(self, failed: str, steps: dict[str, Step], downstream: dict[str, list[str]],
                         results: dict[str, ModelResult]) -> None:
        stack = list(downstream[failed])
        while stack:
            name = stack.pop()
            if name in results:
                continue
            results[name] = self._finish_unstarted(steps[name], "skipped", "upstream_failed",
                                                   reason=f"upstream model '{failed}' failed")
            stack.extend(downstream[name])

    def _not_runnable(self, step: Step) -> ModelResult:
        spec = self._models[step.model]
        if step.action == "error":
            error = self._ctx.broken.get(step.model) or ExecutionError(step.reason, model=step.model,
                                                                       origin=spec.origin)
            self._state.record_model_run(ModelRunRecord(run_id=self.run_id, model=step.model, status="failed",
                                                        action="error", reason=step.reason, error=str(error)))
            result = ModelResult(step.model, "failed", "error", step.reason, materialize=spec.materialize,
                                 error=error)
            self._bus.emit(_outcome_event(ModelFailed, self.run_id, result))
            return result
        return self._finish_unstarted(step, "skipped", "upstream_error")

    def _finish_unstarted(self, step: Step, status: str, skip_reason: str, *, reason: str | None = None) -> ModelResult:
        self._state.record_model_run(ModelRunRecord(
            run_id=self.run_id, model=step.model, status=status, action=step.action,
            reason=reason or step.reason, skip_reason=skip_reason,
        ))
        spec = self._models[step.model]
        self._bus.emit(ModelSkipped(run_id=self.run_id, model=step.model, status=status,
                                    skip_reason=skip_reason, reason=reason))
        return ModelResult(step.model, status, step.action, reason or step.reason,
                           materialize=spec.materialize, skip_reason=skip_reason)

    # -- one model -------------------------------------------------------------------------------
    def _build(self, step: Step, *, announced: bool = False) -> ModelResult:
        """Build one model in its own transaction (``announced``: its start was already emitted,
        by a group that rolled back)."""
        spec = self._models[step.model]
        if self.cancelled:
            return self._finish_unstarted(step, "cancelled", "run cancelled")
        if step.action == "check":
            return self._check_only(step)
        relation = self._relation_of(spec)
        if not announced:
            self._announce(spec, relation)
        policy, connection = self._ctx.retry_of(spec), self._ctx.connection_of(spec)
        breakers = self._ctx.breakers
        attempt = 1
        while True:
            ctx = self._context(step, spec, relation, attempt)
            try:
                if breakers is not None:
                    breakers.before(connection, spec.name)
                outcome = self._ctx.build(ctx)
            except BaseException as exc:  # noqa: BLE001 - every failure becomes a model result
                opened = breakers.failure(connection, exc) if breakers is not None else False
                if not self._retries(policy, exc, attempt, opened):
                    result = self._failed(ctx, exc)
                    if policy.max_attempts > 1 and result.status == "failed":
                        self._dead_letter(spec.name, attempt, str(result.error))
                    return result
                delay = policy.delay(attempt)
                self._retried(ctx, exc, delay)
                if self._ctx.clock.sleep(delay, self._cancelled):
                    return self._failed(ctx, Cancelled())
                attempt += 1
                continue
            if breakers is not None:
                breakers.success(connection)
            break
        return self._succeeded(step, spec, relation, outcome)

    def _announce(self, spec: ModelSpec, relation: Relation) -> None:
        self._bus.emit(ModelStarted(run_id=self.run_id, model=spec.name, materialize=spec.materialize,
                                    strategy=spec.strategy, relation=str(relation)))

    def _succeeded(self, step: Step, spec: ModelSpec, relation: Relation, outcome: BuildOutcome) -> ModelResult:
        """The result of a committed build, with its events."""
        persisted = is_persisted(spec)
        result = ModelResult(
            spec.name, "success", step.action, step.reason, relation=str(relation) if persisted else None,
            materialize=spec.materialize, rows=outcome.stats.rows, inserted=outcome.stats.inserted,
            updated=outcome.stats.updated, deleted=outcome.stats.deleted, duration_ms=outcome.duration_ms,
            checks=outcome.checks, nulled={c: n for c, n in outcome.nulled.items() if n},
        )
        self._emit_checks(spec.name, outcome.checks)
        if outcome.lineage is not None:
            self._lineage[spec.name] = outcome.lineage
        self._bus.emit(_outcome_event(ModelFinished, self.run_id, result))
        return result

    def _context(self, step: Step, spec: ModelSpec, relation: Relation, attempt: int) -> BuildContext:
        return BuildContext(
            spec=spec, step=step, relation=relation, engine=self._engine, state=self._state,
            cursor=self._cursor(), run_id=self.run_id, models=self._models, upstream=self._upstream,
            relation_of=self._relation_of, default_schema=self._ctx.default_schema, memory=self._memory,
            ibis_backend=self._ibis_backend, is_cancelled=self._cancelled.is_set,
            existing=self._existing.get(self._engine.key(relation)), window=self.plan.window, now=self._now,
            checks=self._checks.get(spec.name, ()), resolve=self._ctx.resolve, attempt=attempt,
        )

    def _retries(self, policy: RetryPolicy, exc: BaseException, attempt: int, opened: bool) -> bool:
        """Whether failed ``attempt`` is tried again: never once cancelled, for an open breaker
        (or one this failure opened), or an error the policy does not retry."""
        if self.cancelled or opened or isinstance(exc, Cancelled | CircuitOpenError | KeyboardInterrupt):
            return False
        return policy.retries(exc, attempt)

    def _retried(self, ctx: BuildContext, exc: BaseException, delay: float) -> None:
        """Record failed attempt ``ctx.attempt`` as ``retried`` (its transaction rolled back)."""
        error = wrap_error(exc, ctx.spec)
        finished = datetime.now(UTC)
        self._state.record_model_run(ModelRunRecord(
            run_id=self.run_id, model=ctx.spec.name, status="retried", action=ctx.step.action,
            reason=ctx.step.reason, started_at=ctx.started_at, finished_at=finished,
            duration_ms=(finished - ctx.started_at).total_seconds() * 1000, error=str(error),
            attempt=ctx.attempt,
        ))
        self._bus.emit(ModelRetrying(run_id=self.run_id, model=ctx.spec.name, attempt=ctx.attempt,
                                     delay_s=delay, error=error.message))

    def _dead_letter(self, model: str, attempts: int, error: str) -> None:
        """A model that exhausted its retries outside a schedule (a schedule's own entry covers it)."""
        if self._ctx.dead_letter is not None and not self.trigger.startswith("schedule:"):
            self._ctx.dead_letter(self.run_id, model, attempts, error, self.trigger)

    def _check_only(self, step: Step) -> ModelResult:
        """``--quality-only``: run the model's checks on its existing table, no transaction, no write."""
        spec = self._models[step.model]
        relation = self._relation_of(spec)
        self._bus.emit(ModelStarted(run_id=self.run_id, model=spec.name, materialize=spec.materialize,
                                    strategy=spec.strategy, relation=str(relation), action="check"))
        started = datetime.now(UTC)
        try:
            checks = check_model(self._cursor(), spec, relation, self._checks.get(spec.name, ()), self._ctx.resolve)
            error, status = None, "success"
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a model result
            error, status = wrap_error(exc, spec), "failed"
            checks = tuple(getattr(exc, "results", ()))
        finished = datetime.now(UTC)
        duration = (finished - started).total_seconds() * 1000
        self._state.record_model_run(ModelRunRecord(
            run_id=self.run_id, model=spec.name, status=status, action="check", reason=step.reason,
            relation=str(relation), started_at=started, finished_at=finished, duration_ms=duration,
            error=str(error) if error else None,
        ))
        result = ModelResult(spec.name, status, "check", step.reason, relation=str(relation),
                             materialize=spec.materialize, duration_ms=duration, error=error, checks=checks)
        self._emit_checks(spec.name, checks)
        self._bus.emit(_outcome_event(ModelFinished if status == "success" else ModelFailed, self.run_id, result))
        return result

    def _emit_checks(self, model: str, checks: tuple[CheckResult, ...]) -> None:
        for check in checks:
            data = check.to_dict()
            data["check_type"] = data.pop("type")
            self._bus.emit(CheckFinished(run_id=self.run_id, model=model, **data))

    def _failed(self, ctx: BuildContext, exc: BaseException) -> ModelResult:
        spec = ctx.spec
        cancelled = isinstance(exc, Cancelled | duckdb.InterruptException) and self.cancelled
        error = None if cancelled else wrap_error(exc, spec)
        status = "cancelled" if cancelled else "failed"
        finished = datetime.now(UTC)
        duration = (finished - ctx.started_at).total_seconds() * 1000
        self._state.record_model_run(ModelRunRecord(
            run_id=self.run_id, model=spec.name, status=status, action=ctx.step.action, reason=ctx.step.reason,
            started_at=ctx.started_at, finished_at=finished, duration_ms=duration,
            error=str(error) if error else None, skip_reason="run cancelled" if cancelled else None,
            attempt=ctx.attempt,
        ))
        checks = tuple(getattr(exc, "results", ()))
        self._emit_checks(spec.name, checks)
        result = ModelResult(spec.name, status, ctx.step.action, ctx.step.reason, materialize=spec.materialize,
                             duration_ms=duration, error=error,
                             skip_reason="run cancelled" if cancelled else None, checks=checks)
        self._bus.emit(_outcome_event(ModelSkipped if cancelled else ModelFailed, self.run_id, result))
        return result

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._engine.cursor()
            self._local.cursor = cursor
            with self._cursors_lock:
                self._cursors.append(cursor)
        return cursor

    def _ibis_backend(self) -> Any:
        backend = getattr(self._local, "ibis", None)
        if backend is None:
            import ibis

            backend = ibis.duckdb.from_connection(self._cursor())
            self._local.ibis = backend
        return backend

    def _close_cursors(self) -> None:
        with self._cursors_lock:
            for cursor in self._cursors:
                with contextlib.suppress(duckdb.Error):
                    cursor.close()
            self._cursors.clear()


def _plain(value: Any) -> Any:
    """A config as JSON-ready data: ``dataclasses.asdict`` without its deep copy of every value
    (the catalogue only serializes it; the copy was a quarter of a millisecond per model)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _model_name(source: str, models: Mapping[str, ModelSpec]) -> str:
    last = source.split(".")[-1]
    return last if last in models else source


def _outcome_event(kind: type[ModelFinished], run_id: str, result: ModelResult) -> ModelFinished:
    return kind(run_id=run_id, **result.to_dict())
