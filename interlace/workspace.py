"""``Workspace``: one project directory and environment, bound to its engine, state and events.

Every face (CLI, magics, server, runner, docs) calls a Workspace; none does core work itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from interlace.config import LoadedConfig, load_config
from interlace.engine.compile import compile_sql
from interlace.engine.engine import Engine
from interlace.engine.relation import Relation
from interlace.engine.results import RunResult
from interlace.engine.run import Run
from interlace.engine.schema_modes import ColumnChange, compare_columns
from interlace.engine.strategies import system_columns
from interlace.errors import StateError
from interlace.events import EventBus
from interlace.lineage.graph import LineageGraph
from interlace.lineage.sql import LineageError, sql_lineage
from interlace.options import RunOptions, check_window
from interlace.planner.fingerprint import fingerprints
from interlace.planner.plan import Plan, PlanState, is_inlined, quality_plan
from interlace.planner.plan import plan as make_plan
from interlace.project.graph import Graph, build_graph
from interlace.project.project import Project
from interlace.project.selectors import select
from interlace.project.spec import ModelSpec
from interlace.quality.checks import Check
from interlace.state.store import SchemaVersion, StateStore

__all__ = ["RunOptions", "SchemaPreview", "Workspace", "open"]


@dataclass(frozen=True, slots=True)
class SchemaPreview:
    """How a model's columns would change if built now (``plan --diff``)."""

    model: str
    changes: tuple[ColumnChange, ...]
    breaking: tuple[tuple[ColumnChange, tuple[str, ...]], ...]  # (change, downstream models reading it)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "note": self.note,
            "changes": [{"column": c.column, "kind": c.kind, "old_type": c.old_type, "new_type": c.new_type}
                        for c in self.changes],
            "breaking": [{"column": c.column, "kind": c.kind, "read_by": list(readers)} for c, readers in self.breaking],
        }


class Workspace:
    """A project opened in one environment.

    >>> import interlace, tempfile
    >>> ws = interlace.open(tempfile.mkdtemp())
    >>> ws.sql("SELECT 42 AS answer").fetchall()
    [(42,)]
    >>> ws.close()
    """

    def __init__(self, path: str | Path = ".", env: str | None = None) -> None:
        self.root = Path(path).resolve()
        if not self.root.is_dir():
            raise StateError(f"project directory {self.root} does not exist",
                             hint="pass an existing directory (--project-dir / interlace.open(path))")
        self.loaded: LoadedConfig = load_config(self.root, env)
        self.env = self.loaded.env
        config = self.loaded.config
        main = self.loaded.default_connection
        attach = [*main.attach, *self._attached_connections()]
        self.engine = Engine(
            self.loaded.database_path(self.root, main), read_only=main.access == "read",
            settings=dict(main.settings), attach=attach, project_dir=self.root,
        )
        try:
            self.state = StateStore(self.engine.connection, read_only=self.engine.read_only)
            if not self.engine.read_only:
                self.state.mark_interrupted()
        except BaseException:
            self.engine.close()
            raise
        self.events = EventBus()
        self.max_workers = config.run.max_workers
        self._project: Project | None = None
        self._declared: dict[str, ModelSpec] = {}  # models declared interactively (notebook cells)

    def _attached_connections(self) -> list[Any]:
        from interlace.config import AttachConfig

        conf = self.loaded.config
        return [
            AttachConfig(name=name, path=str(self.loaded.database_path(self.root, c)), read_only=c.access == "read")
            for name, c in conf.connections.items() if name != conf.default_connection
        ]

    # -- the project -----------------------------------------------------------------------------
    @property
    def project(self) -> Project:
        """The project's models, discovered on first use (``reload()`` to read the files again)."""
        if self._project is None:
            self._project = Project.discover(self.root, self.loaded)
            for spec in self._declared.values():  # cells declared them: they outlive a reload()
                self._project.declare(spec)
        return self._project

    def reload(self) -> Project:
        self._project = None
        return self.project

    @property
    def models(self) -> dict[str, ModelSpec]:
        return self.project.models

    def graph(self) -> Graph:
        return self._graph(self.engine.relations())

    def _graph(self, relations: dict[tuple[str, str, str], str]) -> Graph:
        return build_graph(
            self.models, default_schema=self.loaded.config.run.default_schema,
            relation_exists=lambda ref: self.engine.reference_exists(ref, relations),
            catalogs=self.engine.catalogs,
            waits_for={name: tuple(c.options["to"] for c in checks if c.type == "relationships")
                       for name, checks in self.checks().items()},
        )

    def select(self, selector: str | tuple[str, ...] | None = None, *,
               exclude: str | tuple[str, ...] | None = None, graph: Graph | None = None) -> set[str]:
        return select(self.models, graph or self.graph(), selector, exclude)

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
    def plan(self, selector: str | tuple[str, ...] | None = None, *,
             exclude: str | tuple[str, ...] | None = None, force: bool = False,
             since: str | None = None, until: str | None = None) -> Plan:
        """What ``run`` with the same arguments would do, and why; writes nothing."""
        relations = self.engine.relations()
        options = RunOptions(select=_tuple(selector), exclude=_tuple(exclude), force=force, since=since, until=until)
        return self._plan(self._graph(relations), options, relations)

    def _plan(self, graph: Graph, options: RunOptions, relations: dict[tuple[str, str, str], str]) -> Plan:
        check_window(options.since, options.until)
        chosen = self.select(options.select or None, exclude=options.exclude or None, graph=graph)
        project = self.project
        if options.quality_only:
            return quality_plan(self.models, graph, chosen,
                                is_built=lambda spec: self.engine.key(project.relation(spec)) in relations)
        state = PlanState(
            is_built=lambda spec: self.engine.key(project.relation(spec)) in relations,
            last_builds=self.state.last_builds(),
            fingerprints=fingerprints(self.models, graph.upstream, graph.order),
            file_stats=self._file_stats,
        )
        return make_plan(self.models, graph, chosen, state=state, force=options.force,
                         backfill=options.since is not None or options.until is not None)

    def _file_stats(self, spec: ModelSpec) -> tuple[tuple[str, int, int], ...] | None:
        """(path, size, mtime_ns) of the local files a model reads, globs expanded."""
        if not spec.file_inputs:
            return None if spec.file_inputs is None else ()
        stats = []
        for pattern in spec.file_inputs:
            matches = sorted(self.root.glob(pattern)) if any(c in pattern for c in "*?[") else [self.root / pattern]
            for path in matches:
                try:
                    st = path.stat()
                    stats.append((str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path),
                                  st.st_size, st.st_mtime_ns))
                except OSError:
                    stats.append((pattern, -1, -1))
        return tuple(sorted(stats))

    def run(self, selector: str | tuple[str, ...] | None = None, *,
            exclude: str | tuple[str, ...] | None = None, force: bool = False,
            since: str | None = None, until: str | None = None, quality_only: bool = False,
            max_workers: int | None = None, trigger: str = "python") -> RunResult:
        """Build the selected models that need it (and what they need) and return what happened.

        ``since``/``until`` backfill a window of incremental (cursor) models without using or
        moving their watermark. Model failures do not raise: inspect the result, or call
        ``result.raise_for_status()``.
        """
        run = self.prepare_run(RunOptions(select=_tuple(selector), exclude=_tuple(exclude), force=force,
                                          since=since, until=until, quality_only=quality_only,
                                          max_workers=max_workers), trigger=trigger)
        return run.execute()

    def prepare_run(self, options: RunOptions, *, trigger: str = "python") -> Run:
        """A :class:`Run` ready to ``execute()`` (the caller may keep it to ``cancel()`` it)."""
        if self.engine.read_only:
            raise StateError("this environment's warehouse is opened read-only (access: read)",
                             hint="use an environment whose connection has access: write")
        relations = self.engine.relations()
        graph = self._graph(relations)
        plan = self._plan(graph, options, relations)
        return Run(
            plan, engine=self.engine, state=self.state, bus=self.events, models=dict(self.models),
            upstream=graph.upstream, relation_of=self.project.relation,
            default_schema=self.loaded.config.run.default_schema, env=self.env,
            selector=" ".join(options.select) or None, trigger=trigger,
            max_workers=options.max_workers or self.max_workers, existing=relations,
            window=(options.since, options.until), checks=self.checks(), resolve=self.resolve,
        )

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

    def plan_diff(self, plan: Plan) -> dict[str, SchemaPreview]:
        """For each model the plan builds: how its columns would change, and which changes break
        a downstream model that reads the column (found through lineage). Writes no model data."""
        graph = self.graph()
        lineage: LineageGraph | None = None
        previews: dict[str, SchemaPreview] = {}
        for step in plan.builds:
            spec = self.models[step.model]
            if spec.materialize not in ("table", "view") or step.action != "build":
                continue
            relation = self.project.relation(spec)
            if spec.kind != "sql":
                previews[spec.name] = SchemaPreview(spec.name, (), (), "a Python model: its columns are known once built")
                continue
            if not self.engine.exists(relation):
                previews[spec.name] = SchemaPreview(spec.name, (), (), "new: its table does not exist yet")
                continue
            sql = compile_sql(spec, models=self.models, upstream=graph.upstream, relation_of=self.project.relation,
                              default_schema=self.loaded.config.run.default_schema)
            try:
                new = [(r[0], r[1]) for r in self.engine.reader().execute(f"DESCRIBE {sql}").fetchall()]
            except duckdb.Error as exc:
                previews[spec.name] = SchemaPreview(spec.name, (), (), f"cannot tell: DuckDB says {exc}")
                continue
            hidden = system_columns(spec)
            old = [(c, t) for c, t in self.engine.columns(relation) if c.lower() not in hidden]
            changes = tuple(c for c in compare_columns(old, new) if c.kind != "narrowed")
            if any(c.kind in ("removed", "retyped") for c in changes) and lineage is None:
                lineage = self.lineage()
            breaking = tuple(
                (c, tuple(sorted(lineage.readers(spec.name, c.column) - {spec.name})))
                for c in changes if c.kind in ("removed", "retyped") and lineage is not None
                and lineage.readers(spec.name, c.column) - {spec.name}
            )
            previews[spec.name] = SchemaPreview(spec.name, changes, breaking, "")
        return previews

    # -- lineage -----------------------------------------------------------------------------------
    def lineage(self, *, refresh: bool = False) -> LineageGraph:
        """Column lineage of the project. SQL models are analysed when their fingerprint changed
        since their lineage was stored (or with ``refresh``); Python models at each build."""
        relations = self.engine.relations()
        graph = self._graph(relations)
        current = fingerprints(self.models, graph.upstream, graph.order)
        stored = self.state.lineage_fingerprints()
        for name in graph.order:
            spec = self.models[name]
            if spec.kind != "sql" or (not refresh and stored.get(name) == current[name] and name in stored):
                continue
            try:
                edges = sql_lineage(compile_sql(spec, models=self.models, upstream={}, relation_of=self.project.relation,
                                                default_schema=self.loaded.config.run.default_schema),
                                    self._schema_of(spec.dependencies, graph.upstream))
            except LineageError:
                edges = []  # SQL sqlglot cannot analyse: no lineage rather than wrong lineage
            self.state.store_lineage(name, current[name], [
                (e.column, self._source_model(e.source), e.source_column, e.kind) for e in edges])
        return LineageGraph(self.state.lineage_edges())

    def _schema_of(self, refs: tuple[str, ...], upstream: Mapping[str, tuple[str, ...]]) -> dict[str, dict[str, str]]:
        """{reference: {column: type}} of what a model reads, for star expansion and qualification."""
        schema: dict[str, dict[str, str]] = {}
        for ref in refs:
            spec = self.models.get(ref.split(".")[-1])
            if spec is not None and is_inlined(spec):
                sql = compile_sql(spec, models=self.models, upstream=upstream,
                                  relation_of=self.project.relation, default_schema=self.loaded.config.run.default_schema)
                try:
                    rows = self.engine.reader().execute(f"DESCRIBE {sql}").fetchall()
                except duckdb.Error:
                    continue
                schema[ref] = {r[0]: r[1] for r in rows}
                continue
            relation = self.project.relation(spec) if spec is not None else self.resolve(ref)
            if relation is not None:
                schema[ref] = dict(self.engine.columns(relation))
        return schema

    def _source_model(self, source: str) -> str:
        """A lineage source as a model name when it names a model, else as written."""
        last = source.split(".")[-1]
        return last if last in self.models else source

    # -- data access -----------------------------------------------------------------------------
    def table(self, name: str) -> Any:
        """A model's table or view as an ibis table (over this workspace's engine)."""
        import ibis

        spec = self.project.get(name)
        if is_inlined(spec) or spec.materialize in ("ephemeral", "none"):
            raise StateError(f"model '{name}' is {spec.materialize}: it has no table to read",
                             model=name, origin=str(spec.origin),
                             hint="read a model materialized as a table or view")
        relation = self.project.relation(spec)
        if not self.engine.exists(relation):
            raise StateError(f"model '{name}' has not been built yet ({relation} does not exist)",
                             model=name, hint=f"run `interlace run {name}` first")
        backend = ibis.duckdb.from_connection(self.engine.cursor())
        return backend.table(relation.name, database=(relation.catalog or self.engine.database, relation.schema))

    def preview(self, name: str, limit: int = 10, *, count: bool = True) -> tuple[list[str], list[tuple[Any, ...]], int | None]:
        """The first ``limit`` rows of a model's table or view: (column names, rows, total row count).

        Reads through DuckDB directly (no ibis), so a notebook cell can show a result cheaply;
        ``count=False`` leaves out the row count (None) when the caller knows it already.
        """
        import duckdb

        spec = self.project.get(name)
        relation = self.project.relation(spec)
        if is_inlined(spec) or spec.materialize in ("ephemeral", "none"):
            raise StateError(f"model '{name}' is {spec.materialize}: it has no table to read",
                             model=name, origin=str(spec.origin),
                             hint="read a model materialized as a table or view")
        cursor = self.engine.cursor()
        try:
            head = cursor.execute(f"SELECT * FROM {relation.sql} LIMIT ?", [max(limit, 0)])
            columns = [d[0] for d in head.description or []]
            rows = head.fetchall()
            total = cursor.execute(f"SELECT count(*) FROM {relation.sql}").fetchall()[0] if count else None
        except duckdb.CatalogException:
            if self.engine.exists(relation):
                raise
            raise StateError(f"model '{name}' has not been built yet ({relation} does not exist)",
                             model=name, hint=f"run `interlace run {name}` (or %interlace run {name}) first") from None
        finally:
            cursor.close()
        return columns, rows, int(total[0]) if total else None

    def sql(self, query: str, params: list[Any] | None = None) -> Any:
        """Run ad-hoc SQL on the engine; returns a DuckDB relation (``.df()``, ``.arrow()``, ...)."""
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
        last = self.state.runs(limit=1)
        return {
            "project_dir": str(self.root),
            "name": self.loaded.config.name or self.root.name,
            "env": self.env,
            "config_files": [str(p.relative_to(self.root)) for p in self.loaded.files] or ["(embedded default)"],
            "warehouse": str(self.engine.path) if self.engine.path else ":memory:",
            "models": len(models),
            "models_by_kind": dict(sorted(by_kind.items())),
            "model_names": sorted(models),
            "last_run": last[0] if last else None,
        }

    # -- lifetime --------------------------------------------------------------------------------
    def close(self) -> None:
        self.state.close()
        self.engine.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _tuple(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def open(path: str | Path = ".", env: str | None = None) -> Workspace:  # noqa: A001 - public API name
    """Open the project at ``path`` in ``env`` (default: $INTERLACE_ENV, else ``dev``)."""
    return Workspace(path, env)
