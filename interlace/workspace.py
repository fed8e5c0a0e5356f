"""``Workspace``: one project directory and environment, bound to its engine, state and events.

Every face (CLI, magics, server, runner, docs) calls a Workspace; none does core work itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from interlace.config import LoadedConfig, load_config
from interlace.engine.engine import Engine
from interlace.engine.results import RunResult
from interlace.engine.run import Run
from interlace.errors import StateError
from interlace.events import EventBus
from interlace.options import RunOptions
from interlace.planner.plan import Plan, is_inlined
from interlace.planner.plan import plan as make_plan
from interlace.project.graph import Graph, build_graph
from interlace.project.project import Project
from interlace.project.selectors import select
from interlace.project.spec import ModelSpec
from interlace.state.store import SchemaVersion, StateStore

__all__ = ["RunOptions", "Workspace", "open"]


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
        )

    def select(self, selector: str | tuple[str, ...] | None = None, *,
               exclude: str | tuple[str, ...] | None = None, graph: Graph | None = None) -> set[str]:
        return select(self.models, graph or self.graph(), selector, exclude)

    # -- planning and running --------------------------------------------------------------------
    def plan(self, selector: str | tuple[str, ...] | None = None, *,
             exclude: str | tuple[str, ...] | None = None, force: bool = False) -> Plan:
        """What ``run`` with the same arguments would do, and why; writes nothing."""
        graph = self.graph()
        return self._plan(graph, selector, exclude, force)

    def _plan(self, graph: Graph, selector: Any, exclude: Any, force: bool,
              relations: dict[tuple[str, str, str], str] | None = None) -> Plan:
        chosen = self.select(selector, exclude=exclude, graph=graph)
        relations = relations if relations is not None else self.engine.relations()
        project = self.project

        def is_built(spec: ModelSpec) -> bool:
            return self.engine.key(project.relation(spec)) in relations

        return make_plan(self.models, graph, chosen, is_built=is_built, force=force)

    def run(self, selector: str | tuple[str, ...] | None = None, *,
            exclude: str | tuple[str, ...] | None = None, force: bool = False,
            max_workers: int | None = None, trigger: str = "python") -> RunResult:
        """Build the selected models (and what they need) and return what happened.

        Model failures do not raise: inspect the result, or call ``result.raise_for_status()``.
        """
        run = self.prepare_run(RunOptions(select=_tuple(selector), exclude=_tuple(exclude), force=force,
                                          max_workers=max_workers), trigger=trigger)
        return run.execute()

    def prepare_run(self, options: RunOptions, *, trigger: str = "python") -> Run:
        """A :class:`Run` ready to ``execute()`` (the caller may keep it to ``cancel()`` it)."""
        if self.engine.read_only:
            raise StateError("this environment's warehouse is opened read-only (access: read)",
                             hint="use an environment whose connection has access: write")
        relations = self.engine.relations()
        graph = self._graph(relations)
        plan = self._plan(graph, options.select or None, options.exclude or None, options.force, relations)
        return Run(
            plan, engine=self.engine, state=self.state, bus=self.events, models=dict(self.models),
            upstream=graph.upstream, relation_of=self.project.relation,
            default_schema=self.loaded.config.run.default_schema, env=self.env,
            selector=" ".join(options.select) or None, trigger=trigger,
            max_workers=options.max_workers or self.max_workers, existing=relations,
        )

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
