"""``Workspace``: one project directory and environment, bound to its engine, state and events.

Every face (CLI, magics, server, runner, docs) calls a Workspace; none does core work itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import warnings
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlace.config import ENGINE_TYPES, LoadedConfig, load_config
from interlace.engine.compile import Resolved
from interlace.engine.engine import Engine
from interlace.engine.preview import SchemaPreview, schema_previews
from interlace.engine.relation import Relation
from interlace.engine.results import RunResult
from interlace.engine.run import Run, RunContext
from interlace.engine.schema_modes import ColumnChange, compare_columns
from interlace.errors import (
    ConfigError,
    InterlaceWarning,
    InvalidOptionError,
    ReadOnlyError,
    StalePlanError,
    StateError,
    UnknownRunError,
)
from interlace.events import EventBus
from interlace.functions.discovery import FunctionSpec, calls, changed_functions, discover_functions
from interlace.health import Health
from interlace.kinds import is_inlined, is_persisted, materialization_of, strategy_of
from interlace.lineage.graph import LineageGraph
from interlace.lineage.project import project_lineage
from interlace.migrations.runner import MigrationStatus, MigrationStep, Migrator
from interlace.options import (
    ExportOptions,
    MigrateOptions,
    PromoteOptions,
    RunOptions,
    check_window,
)
from interlace.planner.fingerprint import definitions, fingerprints
from interlace.planner.inputs import file_stats
from interlace.planner.plan import Plan, PlanBasis, PlanState, quality_plan
from interlace.planner.plan import plan as make_plan
from interlace.project.graph import Graph, build_graph
from interlace.project.project import Project
from interlace.project.selectors import select
from interlace.project.spec import NOT_YET_ACTED_ON, ModelSpec
from interlace.project.watch import SourceWatch
from interlace.quality.checks import Check
from interlace.runs import RunManager, Trigger
from interlace.schedules import ScheduleDef, project_schedules
from interlace.state.scheduling import FireRecord, NotebookRunRecord, ScheduleRecord
from interlace.state.store import (
    CatalogRecord,
    ModelRunRecord,
    QualityRecord,
    RunRecord,
    SchemaVersion,
    StateStore,
)

if TYPE_CHECKING:
    from interlace.dlq import DeadLetters
    from interlace.engine.export import ExportResult
    from interlace.engine.lake import Maintenance, Snapshot
    from interlace.promote import PromoteResult
    from interlace.state.reliability import BreakerRecord
    from interlace.streams.manager import Streams
    from interlace.streams.writer import PublishResult

__all__ = ["RunOptions", "SchemaPreview", "Workspace", "open"]


class Workspace:
    """A project opened in one environment.

    >>> import interlace, tempfile
    >>> ws = interlace.open(tempfile.mkdtemp())
    >>> ws.sql("SELECT 42 AS answer").fetchall()
    [(42,)]
    >>> ws.close()
    """

    def __init__(self, path: str | Path = ".", env: str | None = None, *,
                 state_path: str | Path | None = None) -> None:
        self.root = Path(path).resolve()
        if not self.root.is_dir():
            raise StateError(f"project directory {self.root} does not exist",
                             hint="pass an existing directory (--project-dir / interlace.open(path))")
        self.loaded: LoadedConfig = load_config(self.root, env)
        self.env = self.loaded.env
        config = self.loaded.config
        main = self.loaded.default_connection
        attach = [*main.attach, *self._attached_connections()]
        if state_path is not None and main.type != "ducklake":
            raise InvalidOptionError(
                f"state_path= applies to a DuckLake warehouse; the default connection "
                f"'{config.default_connection}' is type {main.type} and keeps its state in its own file",
                hint="omit state_path=, or make the default connection type: ducklake")
        self.engine = Engine(
            self.root / state_path if state_path is not None else self.loaded.warehouse_path(self.root),
            read_only=main.access == "read",
            settings=dict(main.settings), attach=attach, project_dir=self.root,
            lake=config.default_connection if main.type == "ducklake" else None,
        )
        try:
            self.state = StateStore(self.engine.connection, read_only=self.engine.read_only)
            if not self.engine.read_only:
                self.state.mark_interrupted()
        except BaseException:
            self.engine.close()
            raise
        from interlace.backends import Backends

        self.backends = Backends(self.loaded, self.root)  # engines by name (type pyspark / ibis)
        self.engine.backends = self.backends or None
        self.events = EventBus()
        self.max_workers = config.run.max_workers
        self.runs = RunManager(prepare=self._prepare, execute=self._execute, history=self.state.runs,
                               record=self.state.run, queue=self._record_queued, policy=config.run.policy)
        from interlace.keys import KeyStore

        self.keys = KeyStore(self.state)
        from interlace.reliability import Reliability

        self.reliability = Reliability(self.loaded, self.state)
        self._project: Project | None = None
        self._streams: Streams | None = None
        self._declared: dict[str, ModelSpec] = {}  # models declared interactively (notebook cells)
        self._functions: dict[str, FunctionSpec] | None = None  # functions/, registered on first use
        # a long-lived owner (server, notebook) sees the user's edits: see `project`
        self._sources = SourceWatch(self.root, config.models_paths)
        self._project_lock = threading.RLock()
        # a config edit that does not load (the last good one stays in use)
        self.config_error: ConfigError | None = None
        from interlace.observability import observe

        self.observers = observe(self.events, config, secrets=self._secrets())

    def _secrets(self) -> tuple[str, ...]:
        """Values no log line may show: the API keys configured through environment variables."""
        import os

        keys = self.loaded.config.service.auth.keys
        return tuple(os.environ[k.env] for k in keys if os.environ.get(k.env))

    def _attached_connections(self) -> list[Any]:
        conf = self.loaded.config
        # a DuckLake warehouse is attached too: the models' tables live in it (interlace.engine.lake)
        return [c.as_attachment(name, str(self.loaded.database_path(self.root, c)))
                for name, c in conf.connections.items()
                if (name != conf.default_connection or c.type == "ducklake")
                and c.type not in ENGINE_TYPES]  # engines run models themselves (interlace.backends)

    # -- the project -----------------------------------------------------------------------------
    @property
    def project(self) -> Project:
        """The project's models, discovered on first use and again when its files change (looked at
        at most once a second; ``reload()`` reads them now)."""
        with self._project_lock:
            # a run keeps the project it planned
            if self._project is not None and not self.runs.active():
                self._see_edits(self._sources.poll())
            if self._project is None:
                self._project = Project.discover(self.root, self.loaded, tolerant=True,
                                                 functions=self.functions)
                for spec in self._declared.values():  # cells declared them: they outlive a reload()
                    self._project.declare(spec)
                self._sources.looked()  # a slow discovery is not followed at once by another walk
            return self._project

    def _see_edits(self, changed: frozenset[str]) -> None:
        """Forget what ``changed`` (config, functions, models) so that it is read again; a config
        that no longer loads is kept in ``config_error`` and the last good one stays in use."""
        if "config" in changed:
            try:
                self.loaded = load_config(self.root, self.env)
            except ConfigError as exc:
                self.config_error = exc
            else:
                self.config_error = None
                self.max_workers = self.loaded.config.run.max_workers
                self.runs.policy = self.loaded.config.run.policy
                self._sources.model_paths = list(self.loaded.config.models_paths)
        if changed:
            self._project = None
        if "functions" in changed:
            self._functions = None

    def reload(self) -> Project:
        self._project = None
        self._functions = None
        return self.project

    @property
    def models(self) -> dict[str, ModelSpec]:
        return self.project.models

    def graph(self) -> Graph:
        return self._graph(self.engine.relations())

    def _graph(self, relations: dict[tuple[str, str, str], str]) -> Graph:
        if self._streams is None and not self.engine.read_only and (
                self.loaded.config.streams or self.project.streams):
            _ = self.streams  # creates the stream tables, which models read as sources
            relations = self.engine.relations()
        return build_graph(
            self.models, default_schema=self.loaded.config.run.default_schema,
            relation_exists=lambda ref: self.engine.reference_exists(ref, relations),
            catalogs=self.engine.catalogs,
            tolerate_unknown=True, broken=self.project.broken,
            waits_for={name: tuple(t for c in checks for t in c.waits_for)
                       for name, checks in self.checks().items()},
        )

    def select(self, selector: str | tuple[str, ...] | None = None, *,
               exclude: str | tuple[str, ...] | None = None, graph: Graph | None = None) -> set[str]:
        graph = graph or self.graph()
        return select(self.models, graph, selector, exclude, modified=lambda: self._modified(graph))

    def declare(self, spec: ModelSpec) -> ModelSpec | None:
        """Add or replace a model declared interactively (a notebook cell); returns the one it replaced.

        The model replaces one of the same name declared in the same notebook (an edited cell) and
        stays declared across :meth:`reload`. Its downstream models become stale through their
        fingerprints, so the next run rebuilds them. A model of that name from anywhere else is a
        :class:`DuplicateModelError` naming both origins.
        """
        replaced = self.project.declare(spec)
        self._declared[spec.name] = spec
        return replaced

    def undeclare(self, name: str) -> None:
        """Forget a model a cell declared (the cell now declares another name, or was deleted)."""
        spec = self._declared.pop(name, None)
        if spec is not None and self.project.models.get(name) == spec:
            del self.project.models[name]

    # -- planning and running --------------------------------------------------------------------
    def plan(self, selector: str | tuple[str, ...] | RunOptions | None = None, *,
             exclude: str | tuple[str, ...] | None = None, force: bool = False,
             since: str | None = None, until: str | None = None) -> Plan:
        """What ``run`` with the same arguments would do, and why; writes nothing.

        Pass a :class:`RunOptions` to plan exactly what a command asked for; hand the plan to
        :meth:`apply` to execute it.
        """
        options = selector if isinstance(selector, RunOptions) else RunOptions(
            select=_tuple(selector), exclude=_tuple(exclude), force=force, since=since, until=until)
        relations = self.engine.relations()
        graph = self._graph(relations)
        made = self._plan(graph, options, relations)
        return dataclasses.replace(made, options=options, basis=self._basis(graph, relations))

    def apply(self, plan: Plan, *, trigger: Trigger | str = "python") -> RunResult:
        """Execute exactly ``plan`` on this thread and return what happened.

        Refused with :class:`StalePlanError` when the project or state changed since the plan was
        made (plan again); with :class:`RunInProgressError` while another run is going (policy
        ``reject``). Model failures do not raise: inspect the result or ``raise_for_status()``.
        """
        self._warn_not_acted_on(plan)
        return self.runs.run(plan, trigger=trigger)

    def _warn_not_acted_on(self, plan: Plan) -> None:
        """Keywords validated but not acted on yet: said on every run, not only when first parsed."""
        for keyword in sorted(NOT_YET_ACTED_ON):
            names = sorted(s.model for s in plan.builds if getattr(self.models[s.model].config, keyword, None))
            if names:
                warnings.warn(
                    f"{keyword}= on {', '.join(names[:5])}{' and more' if len(names) > 5 else ''} is validated "
                    "and stored but not acted on by this version of interlace yet", InterlaceWarning, stacklevel=3)

    def run(self, selector: str | tuple[str, ...] | RunOptions | None = None, *,
            exclude: str | tuple[str, ...] | None = None, force: bool = False,
            since: str | None = None, until: str | None = None, quality_only: bool = False,
            max_workers: int | None = None, trigger: Trigger | str = "python") -> RunResult:
        """Plan, then apply: build the selected models that need it (and what they need).

        ``since``/``until`` backfill a window of incremental (cursor) models without using or
        moving their watermark. Model failures do not raise: inspect the result, or call
        ``result.raise_for_status()``.
        """
        options = selector if isinstance(selector, RunOptions) else RunOptions(
            select=_tuple(selector), exclude=_tuple(exclude), force=force, since=since, until=until,
            quality_only=quality_only, max_workers=max_workers)
        return self.apply(self.plan(options), trigger=trigger)

    def _plan(self, graph: Graph, options: RunOptions, relations: dict[tuple[str, str, str], str]) -> Plan:
        check_window(options.since, options.until)
        chosen = self.select(options.select or None, exclude=options.exclude or None, graph=graph)
        project = self.project
        if options.quality_only:
            checks = self.checks()
            return quality_plan(self.models, graph, chosen,
                                is_built=lambda spec: self.engine.key(project.relation(spec)) in relations,
                                has_checks=lambda name: bool(checks.get(name)))
        state = PlanState(
            is_built=lambda spec: self.engine.key(project.relation(spec)) in relations,
            last_builds=self.state.last_builds(),
            fingerprints=self._fingerprints(graph),
            file_stats=lambda spec: file_stats(self.root, spec),
            definitions=definitions(self.models),
            watermarked=self.state.watermarked(),
            why_changed=self._why_changed(),
        )
        return make_plan(self.models, graph, chosen, state=state, force=options.force,
                         backfill=options.since is not None or options.until is not None)

    def _basis(self, graph: Graph, relations: dict[tuple[str, str, str], str]) -> PlanBasis:
        project = self.project
        return PlanBasis(
            fingerprints=self._fingerprints(graph),
            built=frozenset(n for n, s in self.models.items() if self.engine.key(project.relation(s)) in relations),
            last_run=self.state.latest_run_id(),
        )

    def _prepare(self, plan: Plan, trigger: Trigger, run_id: str | None) -> Run:
        """The :class:`Run` of ``plan`` (the run manager calls this when it accepts the plan)."""
        if self.engine.read_only:
            raise ReadOnlyError("this environment's warehouse is opened read-only (access: read)",
                                hint="use an environment whose connection has access: write")
        from interlace.engine.connections import check_writable

        check_writable(self.models, self.loaded.config, self.engine.attached)
        self.state.see_functions([(f.name, f.checksum, f.path) for f in self.functions.values()])
        relations = self.engine.relations()
        graph = self._graph(relations)
        context = RunContext(
            engine=self.engine, state=self.state, bus=self.events, models=dict(self.models),
            upstream=graph.upstream, relation_of=self.project.relation,
            default_schema=self.loaded.config.run.default_schema, env=self.env, existing=relations,
            checks=self.checks(), resolve=self.resolve, max_workers=self.max_workers, broken=graph.broken,
            retry_of=self.reliability.retry_of, connection_of=self.reliability.connection_of,
            breakers=self.reliability.breakers, clock=self.reliability.clock,
            dead_letter=self.reliability.dead_letter,
        )
        if self.backends:
            from interlace.backends.build import dispatcher

            context = dataclasses.replace(context, build=dispatcher(self.backends, self.engine_of))
        run = Run(plan, context, run_id=run_id, trigger=str(trigger))
        if plan.basis is not None:  # what _execute checks the plan against, unless the run waits
            run.prepared_basis = self._basis(graph, relations)
        return run

    def engine_of(self, spec: ModelSpec) -> str:
        """The connection a model runs on: its ``connection=``, else ``engine:``, else the default."""
        config = self.loaded.config
        return spec.config.connection or config.engine or config.default_connection

    def _record_queued(self, run: Run) -> None:
        self.state.queue_run(run.run_id, env=self.env, selector=run.plan.selector, trigger=run.trigger,
                             total=len(run.plan.builds))

    def _execute(self, run: Run, waited: bool) -> RunResult:
        """Check that the plan still holds, then execute it (on the thread the manager chose).

        A plan that went stale is refused — unless the run waited in the queue behind another
        one, which made it stale: such a run is planned again from the same options.
        """
        if run.plan.basis is not None:
            # the catalog and graph read when the run was accepted, a moment ago (one catalog scan
            # per run less); a run that waited in the queue reads them again
            current = run.prepared_basis if not waited else None
            if current is None:
                relations = self.engine.relations()
                current = self._basis(self._graph(relations), relations)
            changes = run.plan.basis.changes_since(current)
            if changes and waited:
                fresh = self._prepare(self.plan(run.plan.options), Trigger.of(run.trigger), run.run_id)
                run.rebase(fresh)
            elif changes:
                error = StalePlanError(
                    "the plan is out of date: " + "; ".join(changes) + " since it was made",
                    hint="plan again (interlace plan / ws.plan()) and apply the new plan",
                )
                if self.state.run(run.run_id) is not None:  # a queued record ends as failed, with why
                    self.state.finish_run(run.run_id, status="failed", succeeded=0, failed=0, skipped=0,
                                          error=str(error))
                raise error
        return run.execute()

    def prepare_run(self, options: RunOptions, *, trigger: str = "python") -> Run:
        """A :class:`Run` of a fresh plan of ``options``, ready to ``execute()`` outside the run
        manager (tests and benchmarks; faces use :meth:`apply` or ``runs.start``)."""
        return self._prepare(self.plan(options), Trigger.of(trigger), None)

    def checks(self) -> dict[str, tuple[Check, ...]]:
        """The quality checks of every model (declared on it, in config.yaml, and the defaults)."""
        project = self.project
        configured = project.configured_checks()
        return {name: project.checks_for(spec, configured) for name, spec in project.models.items()}

    def resolve(self, name: str) -> Relation | None:
        """The relation a name in a check refers to: a model's table, or an existing table."""
        spec = self.models.get(name)
        if spec is not None:
            return self.project.relation(spec)
        parts = name.split(".")
        relation = Relation(parts[-2] if len(parts) > 1 else "main", parts[-1],
                            catalog=parts[0] if len(parts) == 3 else None)
        return relation if self.engine.exists(relation) else None

    def reset_cursor(self, name: str) -> bool:
        """Forget an incremental model's watermark: its next run reads all input rows again."""
        spec = self.project.get(name)
        if not spec.config.cursor:
            raise StateError(f"model '{name}' has no cursor, so it has no watermark to reset",
                             model=name, origin=str(spec.origin),
                             hint="only models declared with cursor='column' keep a watermark")
        return self.state.reset_cursor(name)

    def resolved(self, graph: Graph | None = None) -> Resolved:
        """The project resolved against its graph (what compiling a model needs)."""
        graph = graph or self.graph()
        return Resolved(self.models, graph.upstream, self.project.relation, self.loaded.config.run.default_schema)

    def plan_diff(self, plan: Plan, *, edited_only: bool = False) -> dict[str, SchemaPreview]:
        """For each model the plan builds (``edited_only``: each edited one): how its columns would
        change, and which changes break a downstream model that reads the column (found through
        lineage). Writes no model data."""
        steps = [s for s in plan.builds if not edited_only or s.reason.startswith("edited")]
        return schema_previews(steps, self.resolved(), self.engine, self.lineage)

    # -- lineage -----------------------------------------------------------------------------------
    def lineage(self, *, refresh: bool = False) -> LineageGraph:
        """Column lineage of the project. SQL models are analysed when their fingerprint changed
        since their lineage was stored (or with ``refresh``); Python models at each build. On a
        read-only warehouse the analysis is used but not stored."""
        graph = self.graph()
        lineage, updates = project_lineage(
            self.resolved(graph), graph.order, self._fingerprints(graph),
            engine=self.engine, stored_fingerprints=self.state.lineage_fingerprints(),
            stored_edges=self.state.lineage_edges(), resolve=self.resolve, refresh=refresh,
        )
        if not self.engine.read_only:
            self.state.store_lineages([(u.model, u.fingerprint, u.edges) for u in updates])
        return lineage

    # -- data access -----------------------------------------------------------------------------
    def table(self, name: str, *, at: int | datetime | str | None = None) -> Any:
        """A model's table or view as an ibis table (over this workspace's engine); in a DuckLake
        warehouse ``at`` reads it as of a snapshot (its id, or a time: see ``snapshots()``)."""
        import ibis

        spec = self.project.get(name)
        self._require_table(spec)
        relation = self.project.relation(spec)
        if relation.catalog is not None and relation.catalog in self.backends:  # kept on an engine
            if self.engine.key(relation) not in self.backends.relations():
                raise StateError(f"model '{name}' has not been built yet ({relation} does not exist)",
                                 model=name, hint=f"run `interlace run {name}` first")
            return self.backends.get(relation.catalog).ibis().table(relation.name, database=relation.schema)
        if not self.engine.exists(relation):
            raise StateError(f"model '{name}' has not been built yet ({relation} does not exist)",
                             model=name, hint=f"run `interlace run {name}` first")
        backend = ibis.duckdb.from_connection(self.engine.cursor())
        if at is not None:
            from interlace.engine.lake import at_clause

            self._require_lake(f"ws.table('{name}', at=...)")
            return backend.sql(f"SELECT * FROM {relation.sql} {at_clause(at)}")
        return backend.table(relation.name, database=(relation.catalog or self.engine.database, relation.schema))

    # -- a DuckLake warehouse (interlace.engine.lake) ----------------------------------------------
    def _require_lake(self, what: str) -> str:
        if self.engine.lake is None:
            raise InvalidOptionError(
                f"{what} needs a DuckLake warehouse; the default connection "
                f"'{self.loaded.config.default_connection}' is type {self.loaded.default_connection.type}",
                hint="set the default connection to type: ducklake in config.yaml")
        return self.engine.lake

    def snapshots(self) -> list[Snapshot]:
        """The lake's snapshots, oldest first (one per committed write)."""
        from interlace.engine.lake import snapshots

        return snapshots(self.engine.reader(), self._require_lake("snapshots"))

    def lake_checkpoint(self) -> Maintenance:
        """Flush rows inlined in the lake's catalog to Parquet files and merge small files."""
        from interlace.engine.lake import checkpoint

        lake = self._require_lake("interlace lake checkpoint")
        cursor = self.engine.cursor()
        try:
            return checkpoint(cursor, lake)
        finally:
            cursor.close()

    def lake_expire(self, older_than: datetime) -> Maintenance:
        """Expire the snapshots older than ``older_than`` and delete files nothing reads any more."""
        from interlace.engine.lake import expire

        lake = self._require_lake("interlace lake expire")
        cursor = self.engine.cursor()
        try:
            return expire(cursor, lake, older_than=older_than, keep_from=self._change_feed_from())
        finally:
            cursor.close()

    def _change_feed_from(self) -> int | None:
        """The oldest lake snapshot a model reading ``table_changes`` resumes from (None: none)."""
        from interlace.engine.lake import CHANGES_COLUMN, uses_table_changes

        needed = []
        for name, spec in self.project.models.items():
            if spec.config.cursor == CHANGES_COLUMN and uses_table_changes(spec.sql):
                mark = self.state.cursor_value(name)
                needed.append(int(mark[1]) + 1 if mark and mark[0] == CHANGES_COLUMN and mark[1] else 0)
        return min(needed, default=None)

    def preview(self, name: str, limit: int = 10, *, count: bool = True) -> tuple[list[str], list[tuple[Any, ...]], int | None]:
        """The first ``limit`` rows of a model: (column names, rows, total row count).

        A table or view is read through DuckDB directly (no ibis), so a notebook cell can show a
        result cheaply; a model whose result lives only during a run (ephemeral Python,
        ``materialize='none'``, ``strategy='none'``) shows its last result in this process.
        ``count=False`` leaves out the row count (None) when the caller knows it already.
        """
        spec = self.project.get(name)
        relation = self.project.relation(spec)
        if not is_persisted(spec) and not (self.engine.exists(relation) and not is_inlined(spec)):
            return self._last_result(spec, limit)
        try:
            return self.engine.head(relation, limit, count=count)
        except LookupError:
            raise StateError(f"model '{name}' has not been built yet ({relation} does not exist)",
                             model=name, hint=f"run `interlace run {name}` (or %interlace run {name}) first") from None

    def _last_result(self, spec: ModelSpec, limit: int) -> tuple[list[str], list[tuple[Any, ...]], int | None]:
        kept = self.runs.last_result(spec.name)
        if kept is not None:
            head, total = kept
            rows = head.slice(0, max(limit, 0)).to_pylist()
            return head.column_names, [tuple(r.values()) for r in rows], total
        what = (f"strategy='{spec.strategy}': it writes no table" if not strategy_of(spec).writes
                else f"materialize='{spec.materialize}': its result only exists during a run")
        raise StateError(
            f"model '{spec.name}' has {what}, and no run in this session produced a result to show",
            model=spec.name, origin=str(spec.origin),
            hint=f"run it in this session (`%interlace run {spec.name}` / ws.run('{spec.name}')) to see its "
            "last result, or read a model materialized as a table or view",
        )

    def _require_table(self, spec: ModelSpec) -> None:
        if not materialization_of(spec).persisted:
            raise StateError(f"model '{spec.name}' is {spec.materialize}: it has no table to read",
                             model=spec.name, origin=str(spec.origin),
                             hint="read a model materialized as a table or view")

    def sql(self, query: str, params: list[Any] | None = None) -> Any:
        """Run ad-hoc SQL on the engine; returns a DuckDB relation (``.df()``, ``.arrow()``, ...)."""
        self.functions  # noqa: B018 - the project's UDFs and macros are callable here too
        cursor = self.engine.cursor()
        if params:
            return cursor.execute(query, params)
        return cursor.sql(query)

    def columns(self, name: str) -> list[tuple[str, str]]:
        spec = self.project.get(name)
        return self.engine.columns(self.project.relation(spec))

    def schema_history(self, name: str) -> list[SchemaVersion]:
        self.project.get(name)
        return self.state.schema_history(name)

    def schema_histories(self) -> dict[str, list[SchemaVersion]]:
        """Every model's schema history (newest first), in one read (the docs site's model pages)."""
        return self.state.schema_histories()

    def schema_diff(self, name: str, from_version: int | None = None,
                    to_version: int | None = None) -> tuple[int, int, list[ColumnChange]]:
        """How a model's columns changed between two recorded versions (default: the last two)."""
        history = {v.version: v for v in self.schema_history(name)}
        if not history:
            raise StateError(f"no schema versions are recorded for '{name}'", model=name,
                             hint=f"run `interlace run {name}` first")
        latest = max(history)
        to_version = to_version or latest
        from_version = from_version or max(to_version - 1, 1)
        for version in (from_version, to_version):
            if version not in history:
                raise StateError(f"'{name}' has no schema version {version} (versions: 1..{latest})", model=name,
                                 hint="see `interlace schema history " + name + "`")
        return from_version, to_version, compare_columns(history[from_version].columns, history[to_version].columns)

    def info(self) -> dict[str, Any]:
        models = self.models
        by_kind: dict[str, int] = {}
        for spec in models.values():
            key = f"{spec.kind}/{spec.materialize}"
            by_kind[key] = by_kind.get(key, 0) + 1
        last = [r.to_dict() for r in self.runs.history(1)]
        return {
            "project_dir": str(self.root),
            "name": self.loaded.config.name or self.root.name,
            "env": self.env,
            "config_files": [str(p.relative_to(self.root)) for p in self.loaded.files] or ["(embedded default)"],
            "warehouse": str(self.engine.path) if self.engine.path else ":memory:",
            "models": len(models),
            "models_by_kind": dict(sorted(by_kind.items())),
            "model_names": sorted(models),
            "engines": self._engines(models),
            "last_run": last[0] if last else None,
        }

    def _engines(self, models: dict[str, ModelSpec]) -> dict[str, int]:
        """'name (type)' of each connection models run on -> how many models run there."""
        kinds = {n: c.type if c.type != "ibis" else f"ibis/{c.backend}"
                 for n, c in self.loaded.config.connections.items()}
        out: dict[str, int] = {}
        for spec in models.values():
            name = self.engine_of(spec)
            label = f"{name} ({kinds.get(name, 'duckdb')})"
            out[label] = out.get(label, 0) + 1
        return dict(sorted(out.items()))

    # -- what happened (typed records; faces never read the state store themselves) -----------------
    def run_record(self, run_id: str) -> RunRecord:
        """One run's record; :class:`UnknownRunError` for an id no run has."""
        record = self.runs.status(run_id)
        if record is None:
            raise UnknownRunError(f"no run with id '{run_id}'",
                                  hint="`interlace info` shows the last run; GET /api/v1/runs lists recent runs")
        return record

    def model_runs(self, *, run_id: str | None = None, model: str | None = None, status: str | None = None,
                   limit: int = 100) -> list[ModelRunRecord]:
        """Per-model outcomes, newest first, of one run, one model, or all."""
        if model is not None and model not in self.models and not self.state.model_runs(model=model, limit=1):
            self.project.get(model)  # an unknown name, with "did you mean"
        if run_id is not None:
            self.run_record(run_id)
        return self.state.model_runs(run_id=run_id, model=model, status=status, limit=limit)

    def quality_results(self, model: str | None = None, *, latest: bool = True,
                        limit: int = 500) -> list[QualityRecord]:
        """Stored check results, newest first (``latest``: the last result of each check)."""
        if model is not None:
            self.project.get(model)
        return self.state.quality_results(model=model, latest=latest, limit=limit)

    def health(self, days: int = 14, *, slowest: int = 5) -> Health:
        """Runs per day, failure rate and slowest models over the last ``days`` days."""
        from interlace.health import health

        return health(self.state, days=days, slowest=slowest)

    def catalog(self) -> dict[str, CatalogRecord]:
        """What the catalogue recorded of each model at its last successful build."""
        return {r.name: r for r in self.state.models()}

    @property
    def catalog_version(self) -> int:
        """Changes each time this process records built models in the catalogue: a cache key for
        what is read from it (this process holds the warehouse, so no one else writes it)."""
        return self.state.catalog_version

    def snapshot(self) -> contextlib.AbstractContextManager[None]:
        """Within the block, this thread's reads of runs, model runs and the catalogue see one
        committed state, even while a run commits (reads in other threads run alongside)."""
        return self.state.snapshot()

    # -- notebook runs and schedules (interlace.runner and interlace.scheduler record here) -----------
    def begin_notebook_run(self, run_id: str, *, notebook: str, parameters: dict[str, Any], trigger: str,
                           kernel: str, output_path: str) -> None:
        self.state.start_notebook_run(run_id, notebook=notebook, parameters=parameters, trigger=trigger,
                                      kernel=kernel, output_path=output_path)

    def end_notebook_run(self, run_id: str, *, status: str, duration_ms: float, error: str | None,
                         failed_cell: dict[str, Any] | None) -> NotebookRunRecord:
        self.state.finish_notebook_run(run_id, status=status, duration_ms=duration_ms, error=error,
                                       failed_cell=failed_cell)
        record = self.state.notebook_run(run_id)
        assert record is not None
        return record

    def notebook_runs(self, *, notebook: str | None = None, limit: int = 50) -> list[NotebookRunRecord]:
        """Recorded notebook runs, newest first."""
        return self.state.notebook_runs(notebook=notebook, limit=limit)

    def notebook_run(self, run_id: str) -> NotebookRunRecord | None:
        """One recorded notebook run (None for an unknown id)."""
        return self.state.notebook_run(run_id)

    def schedules(self, *, errors: dict[str, str] | None = None) -> dict[str, ScheduleDef]:
        """The project's schedules (models' ``schedule=`` and config's ``schedules:``); a bad one
        raises, or with ``errors`` is left out and its message stored there."""
        return project_schedules(self.root, self.loaded, self.models, errors=errors)

    def schedule_records(self) -> dict[str, ScheduleRecord]:
        """What state holds of each schedule a scheduler has loaded (next / last fire, last status)."""
        return {r.name: r for r in self.state.schedules()}

    def schedule_fires(self, name: str | None = None, *, limit: int = 100) -> list[FireRecord]:
        return self.state.fires(name, limit=limit)

    @property
    def dlq(self) -> DeadLetters:
        """The dead-letter queue: failures that exhausted their retries (list, retry, resolve)."""
        from interlace.dlq import DeadLetters

        return DeadLetters(self)

    def breakers(self) -> list[BreakerRecord]:
        """The circuit breaker of every connection that has failed (closed, open or half_open)."""
        return self.reliability.breakers.states()

    def reset_breaker(self, connection: str) -> bool:
        """Close ``connection``'s breaker by hand; False if it has none."""
        return self.reliability.breakers.reset(connection)

    # -- user functions, migrations, export and promote (logic in their own modules) --------------
    @property
    def functions(self) -> dict[str, FunctionSpec]:
        """The project's functions (functions/*.py UDFs, functions/*.sql macros), registered on the engine."""
        if self._functions is None:
            from interlace.functions.register import register_functions

            found = {f.name: f for f in discover_functions(self.root)}
            register_functions(self.engine, found.values())
            self._functions = found
        return self._functions

    def function_calls(self) -> dict[str, tuple[str, ...]]:
        """{model: the user functions it calls}, for models that call any."""
        functions = self.functions
        return {n: used for n, s in self.models.items() if (used := calls(s.sql or s.source, functions))}

    def python_udf_models(self) -> tuple[str, ...]:
        """Models whose SQL needs a Python UDF: only a process with this project's functions can run them."""
        python = {n for n, f in self.functions.items() if f.kind == "python"}
        return tuple(sorted(m for m, used in self.function_calls().items() if python & set(used)))

    def _fingerprints(self, graph: Graph) -> dict[str, str]:
        checksums = {m: "|".join(f"{n}:{self.functions[n].checksum}" for n in used)
                     for m, used in self.function_calls().items()}
        return fingerprints(self.models, graph.upstream, graph.order, checksums)

    def _modified(self, graph: Graph) -> set[str]:
        """``state:modified``: models whose fingerprint differs from their last build (or never built)."""
        last, current = self.state.last_builds(), self._fingerprints(graph)
        return {n for n, fp in current.items() if n not in last or last[n].fingerprint != fp}

    def _why_changed(self) -> Any:
        used, seen, functions = self.function_calls(), self.state.function_first_seen(), self.functions
        return lambda name, last: changed_functions(used.get(name, ()), functions, seen, last.finished_at)

    def migrations(self) -> list[MigrationStatus]:
        """The migrations under migrations/, applied or pending (applied checksums verified)."""
        return Migrator(self.root, self.engine, self.state).status()

    def migrate(self, options: MigrateOptions | None = None) -> tuple[MigrationStep, ...]:
        """Apply pending migrations (or roll back, per ``options``); returns the steps run (or, with
        ``dry_run``, that would run)."""
        options = options or MigrateOptions()
        self.functions  # noqa: B018 - migrations may call the project's macros
        migrator = Migrator(self.root, self.engine, self.state)
        steps = migrator.steps(rollback=options.rollback, to=options.to)
        if not options.dry_run:
            migrator.apply(steps)
        return steps

    def export(self, options: ExportOptions) -> ExportResult:
        """Write a model's table to a file (DuckDB COPY); format and path default to its export=."""
        from interlace.engine.export import export_relation, format_of

        spec = self.project.get(options.model)
        configured = dict(spec.config.export or {})
        path = options.path or configured.get("path")
        if path is None:
            raise InvalidOptionError(f"model '{spec.name}' has no export= to take the path from",
                                     model=spec.name, hint=f"give --path, e.g. interlace export {spec.name} "
                                     f"--path exports/{spec.name}.parquet")
        fmt = format_of(path, options.format or (configured.get("format") if not options.path else None))
        relation = self.project.relation(spec)
        if not is_persisted(spec) or not self.engine.exists(relation):
            raise StateError(f"model '{spec.name}' has no table to export ({relation} does not exist)",
                             model=spec.name, hint=f"run `interlace run {spec.name}` first")
        target = Path(path).expanduser()
        cursor = self.engine.cursor()
        try:
            return export_relation(cursor, relation, model=spec.name, fmt=fmt,
                                   path=target if target.is_absolute() else self.root / target,
                                   partition_by=options.partition_by or tuple(configured.get("partition_by", ())))
        finally:
            cursor.close()

    def promote(self, options: PromoteOptions) -> PromoteResult:
        """Copy the selected table models from one environment's warehouse to another's (engine-side)."""
        from interlace.promote import promote

        return promote(self, options)

    # -- lifetime --------------------------------------------------------------------------------
    # -- streams -------------------------------------------------------------------------------
    @property
    def streams(self) -> Streams:
        """The project's streams (``streams:`` and ``stream(...)``): publish, tail, consume, ack."""
        if self._streams is None:
            from interlace.streams.manager import Streams

            if self.engine.read_only:
                raise ReadOnlyError(
                    "streams need a writable warehouse: this environment's connection has "
                    "access: read", origin="connections.<default>.access",
                    hint="publish and consume in an environment whose warehouse is writable")

            self._streams = Streams(self)
        return self._streams

    def enforce_stream_retention(self, now: Any = None) -> dict[str, int]:
        """Delete stream events past their ``retention`` (the scheduler calls it); {} without
        streams."""
        if self.engine.read_only or not (self.loaded.config.streams or self.project.streams):
            return {}
        return self.streams.enforce_retention(now)

    def publish(self, stream: str, events: Any, *, source: str = "python") -> PublishResult:
        """Publish one event (a dict) or many to ``stream``; returns once they are durable."""
        return self.streams.publish(stream, events, source=source)

    def close(self) -> None:
        if self._streams is not None:
            self._streams.close()
        self.runs.shutdown()
        self.observers.close()
        self.state.close()
        self.engine.close()
        self.backends.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _tuple(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def open(path: str | Path | None = None, env: str | None = None) -> Workspace:  # noqa: A001 - public API name
    """Open the project at ``path`` (default: $INTERLACE_PROJECT_DIR, else the working directory)
    in ``env`` (default: $INTERLACE_ENV, else ``dev``). ``interlace notebook run`` sets both
    variables, so a notebook it executes opens the project and environment it was run for."""
    return Workspace(path if path is not None else os.environ.get("INTERLACE_PROJECT_DIR") or ".", env)
