"""The notebook session: the kernel's one ``Workspace``, the models its cells declare, and how
errors are shown.

- The workspace opens on first use: the project is ``$INTERLACE_PROJECT_DIR`` when set (``interlace
  notebook run`` sets it), else the nearest directory, from the working directory upward, that
  holds a ``config.yaml``; without one, the working directory with the embedded default
  warehouse (``.interlace/dev.duckdb``). The environment is ``$INTERLACE_ENV`` (default ``dev``).
- ``@model`` functions defined in a cell are collected while the cell runs and declared into the
  workspace when it finishes; ``%%interlace_model`` cells declare theirs directly. A cell that
  is run again replaces its models (and forgets a model it no longer declares).
- An ``InterlaceError`` shows as its message (what, where, fix) without a traceback;
  ``%interlace --traceback`` prints the last one in full.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlace.errors import (
    InterlaceError,
    RunCancelled,
    StateError,
    UnknownModelError,
    did_you_mean,
)
from interlace.kinds import is_persisted
from interlace.project.decorators import collecting
from interlace.project.spec import ModelSpec, Origin

if TYPE_CHECKING:
    from interlace.engine.results import RunResult
    from interlace.options import RunOptions, ServeOptions
    from interlace.workspace import Workspace

__all__ = ["Session", "current_session", "find_project"]


def find_project(start: Path) -> Path:
    """The nearest directory from ``start`` upward holding a ``config.yaml``; else ``start``."""
    for directory in (start, *start.parents):
        if (directory / "config.yaml").is_file():
            return directory
    return start


def current_session() -> Session:
    """The session of the running IPython shell (after ``%load_ext interlace``)."""
    import sys

    shell = None
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
    magics = shell.magics_manager.registry.get("InterlaceMagics") if shell is not None else None
    if magics is None:
        raise StateError(
            "no notebook session: interlace.table() and the magics read from the workspace that "
            "%load_ext interlace opens",
            hint="run %load_ext interlace first, or outside a notebook use "
            "ws = interlace.open(path) and ws.table(name)",
        )
    session: Session = magics.session
    return session


class Session:
    """One kernel's interlace state; the magics are a thin layer over it."""

    def __init__(self, shell: Any, *, path: str | Path | None = None, env: str | None = None) -> None:
        self.shell = shell
        self.path = Path(path) if path is not None else None
        self.env = env
        self.declared: dict[str, ModelSpec] = {}
        self.last_error: BaseException | None = None
        self._workspace: Workspace | None = None
        self._cell_models: dict[str, set[str]] = {}  # cell id -> the models it declared
        self._cell_id: str | None = None
        self._collector: Any = None
        self._collected: list[ModelSpec] = []
        self.last_plan: Any = None  # the plan of the last run (why a model was skipped)
        self._dags: list[tuple[Any, tuple[str, ...], tuple[str, ...]]] = []  # DAG widgets shown, and their selection
        self.comms: Any = None  # the JupyterLab extension's comms (interlace.magics.comm), in a kernel
        self.server: Any = None  # the RunningServer of %interlace serve

    # -- the workspace ---------------------------------------------------------------------------
    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            from interlace.workspace import Workspace

            injected = os.environ.get("INTERLACE_PROJECT_DIR")  # set by `interlace notebook run`
            root = self.path if self.path is not None else Path(injected) if injected else find_project(Path.cwd())
            self._workspace = Workspace(root, self.env)
        return self._workspace

    @property
    def opened(self) -> Workspace | None:
        """The workspace if it is open, without opening it."""
        return self._workspace

    def switch_env(self, env: str) -> Workspace:
        """Close the workspace and open the same project in ``env``; cell models come along."""
        root = self.workspace.root
        self.close()
        self.path, self.env = root, env
        workspace = self.workspace
        for spec in self.declared.values():
            workspace.declare(spec)
        for widget, _, _ in self._dags:  # the graphs on screen follow the new environment's runs
            widget.close_followers()
            widget.follow(workspace.events)
        self.redraw_dags()
        return workspace

    def serve(self, options: ServeOptions) -> str:
        """Start (or ``stop``) the API and dashboard in this kernel, on this session's workspace:
        same models (cells' too), same event bus, same run manager; the kernel answers for the
        warehouse (``interlace run`` in a terminal builds here). Returns what to tell the user."""
        if options.stop:
            if self.server is None:
                return "Not serving (%interlace serve starts it)."
            self.server.stop()
            self.server = None
            return ("Stopped serving: the kernel still holds the warehouse, terminal commands "
                    "cannot reach it.")
        if self.server is not None:
            return f"Already serving at {self.server.url} (%interlace serve --stop stops it)."
        from interlace.server.app import start_in_thread

        ws = self.workspace
        self.server = start_in_thread(ws, "127.0.0.1", options.port,
                                      dashboard=not options.no_dashboard, owner="kernel")
        url = self.server.url
        lines = [f"interlace serving {ws.root.name} ({ws.env}) from this kernel at {url}"]
        if not options.no_dashboard:
            lines.append(f"  dashboard  {url}/dashboard")
        lines += [f"  API docs   {url}/api/docs",
                  "  `interlace run`, `plan`, `info`, ... in this project are sent to this kernel; "
                  "%interlace serve --stop stops serving"]
        return "\n".join(lines)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None

    # -- where cells come from -------------------------------------------------------------------
    def notebook(self) -> str:
        """The notebook's path as origins show it (relative to the project when inside it)."""
        raw = self.shell.user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME")
        if not raw:
            return "<notebook>"
        path = Path(raw)
        root = self._workspace.root if self._workspace is not None else Path.cwd()
        if path.is_absolute():
            return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        return path.as_posix()

    def origin(self) -> Origin:
        """The origin of the cell being run (its line numbers count the cell's first line as 1)."""
        return Origin(self.notebook(), None, self.shell.execution_count)

    def declare(self, specs: Sequence[ModelSpec]) -> None:
        """Declare the models of the running cell; a model the cell declared before and no longer
        declares is forgotten."""
        workspace = self.workspace
        for spec in specs:
            workspace.declare(spec)
            self.declared[spec.name] = spec
        names = {s.name for s in specs}
        if self._cell_id is not None:
            for gone in self._cell_models.get(self._cell_id, set()) - names:
                workspace.undeclare(gone)
                self.declared.pop(gone, None)
            self._cell_models[self._cell_id] = names
        self.redraw_dags()

    def declaring_cells(self) -> dict[str, list[str]]:
        """Each cell model's declaring cell ids (the cell that ran last first)."""
        out: dict[str, list[str]] = {}
        for cell_id, names in reversed(self._cell_models.items()):
            for name in names:
                out.setdefault(name, []).append(cell_id)
        return out

    def forget(self, name: str) -> None:
        """Remove a model a cell declared (its cell was deleted, or it is broken); nothing else changes."""
        if name not in self.declared:
            raise UnknownModelError(
                f"no model named '{name}' was declared by a cell in this session."
                + did_you_mean(name, self.declared),
                hint="models from files are removed by deleting their file; `%interlace info` lists the models",
            )
        self.workspace.undeclare(name)
        del self.declared[name]
        for names in self._cell_models.values():
            names.discard(name)
        self.redraw_dags()

    def show_dag(self, select: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> Any:
        """A ``DagWidget`` of the selected models that follows runs, and is redrawn when cells declare models."""
        from interlace.widgets.dag import DagWidget

        workspace = self.workspace
        graph = workspace.graph()
        only = workspace.select(select or None, exclude=exclude or None, graph=graph) if select or exclude else None
        widget = DagWidget.from_graph(workspace.models, graph, only=only, statuses=self.statuses())
        widget.follow(workspace.events)
        self._dags.append((widget, select, exclude))
        return widget

    def redraw_dags(self) -> None:
        """Bring the DAG widgets on screen up to date with the declared models."""
        self._dags = [d for d in self._dags if d[0].comm is not None]  # closed widgets are dropped
        if not self._dags:
            return
        workspace = self.workspace
        try:
            graph = workspace.graph()
            statuses = self.statuses()
            for widget, select, exclude in self._dags:
                only = (workspace.select(select or None, exclude=exclude or None, graph=graph)
                        if select or exclude else None)
                widget.redraw(workspace.models, graph, only=only, statuses=statuses)
        except InterlaceError:
            return  # the graph does not resolve yet (a model reads what is not declared): the next run says why

    # -- IPython events: collect @model functions while a cell runs ------------------------------
    def pre_run_cell(self, info: Any) -> None:
        self._cell_id = getattr(info, "cell_id", None)
        self._collector = collecting()
        self._collected = self._collector.__enter__()

    def post_run_cell(self, result: Any) -> None:
        collector, self._collector = self._collector, None
        if collector is not None:
            # ipykernel may run the cell in another context than this hook: the collector is then
            # already gone with that context, and resetting it here is neither possible nor needed
            with contextlib.suppress(ValueError):
                collector.__exit__(None, None, None)
        specs, self._collected = self._collected, []
        if not specs or not result.success:
            return
        cell = result.execution_count
        specs = [dataclasses.replace(s, origin=Origin(self.notebook(), s.origin.line, cell)) for s in specs]
        try:
            self.declare(specs)
        except InterlaceError as exc:
            result.error_in_exec = exc  # the cell fails, as if the declaration had raised in it
            self.shell.CustomTB(type(exc), exc, exc.__traceback__)

    # -- running ---------------------------------------------------------------------------------
    def execute(self, options: RunOptions, *, progress: bool = True) -> RunResult:
        """Run with ``options``; a kernel interrupt cancels the run and is raised again afterwards."""
        from IPython.display import display

        workspace = self.workspace
        plan = workspace.plan(options)
        self.last_plan = plan
        unsubscribe = handle = widget = None
        if progress:
            from interlace.widgets.progress import RunProgress

            widget = RunProgress.waiting([s.model for s in plan.builds])
            handle = display(widget, display_id=True)
            unsubscribe = widget.follow(workspace.events)
        say_cancelling = workspace.events.subscribe(lambda e: print(e.describe(), flush=True),  # type: ignore[attr-defined]
                                                    types=["run.cancelling"])
        try:
            result = workspace.apply(plan, trigger="notebook")  # an interrupt inside cancels and rolls back
        finally:
            say_cancelling()
            if unsubscribe is not None:
                unsubscribe()
        if widget is not None:
            widget.finish(result.status, result.summary())
            if handle is not None:
                handle.update(widget)  # refresh the text/HTML fallback kept in the saved notebook
        if result.status == "cancelled":
            raise RunCancelled(f"run {result.run_id} cancelled: the models it was building were "
                               "rolled back and it is recorded as cancelled")
        return result

    def build(self, specs: Sequence[ModelSpec]) -> RunResult:
        """Build the models of a ``%%interlace_model`` cell and what they need that is stale; show
        each one's result; raise the first model error."""
        from IPython.display import display

        from interlace.options import RunOptions

        result = self.execute(RunOptions(select=tuple(f"+{s.name}" for s in specs)), progress=False)
        for spec in specs:
            display(self.result_widget(spec, result))
        shown = {s.name for s in specs}
        for name, outcome in result.results.items():  # in a widget above: the cell fails, saying so once
            if outcome.error is not None and name in shown:
                outcome.error.displayed = True
        return result.raise_for_status()

    def result_widget(self, spec: ModelSpec, result: RunResult) -> Any:
        """The ``ModelResult`` widget of ``spec`` in ``result`` (a preview when it has a table)."""
        from interlace.widgets.model_result import ModelResult

        workspace = self.workspace
        outcome = result.results.get(spec.name)
        if outcome is not None:
            data = outcome.to_dict()
        else:
            step = next((s for s in self.last_plan.steps if s.model == spec.name), None) if self.last_plan else None
            data = {"model": spec.name, "status": "skipped" if step is None or step.action == "skip" else step.action,
                    "reason": step.reason if step else "not in the plan", "materialize": spec.materialize}
        columns: list[str] = []
        rows: list[tuple[Any, ...]] = []
        if is_persisted(spec) and (outcome is None or outcome.status == "success"):  # else it may not exist
            columns, rows, _ = workspace.preview(spec.name, 10, count=False)
        changes = None
        if outcome is not None and outcome.schema_changed:
            latest = workspace.schema_history(spec.name)[0].changes
            changes = None if latest.get("created") else latest  # a new table changed no schema
        return ModelResult.of(data, columns=columns, rows=rows, changes=changes)

    def statuses(self) -> dict[str, str]:
        """Each model's status before a run: ``stale`` if the next run would build it, else ``fresh``."""
        plan = self.workspace.plan()
        shown = {"build": "stale", "skip": "fresh", "error": "failed", "blocked": "skipped"}
        return {s.model: shown.get(s.action, "idle") for s in plan.steps}

    # -- errors ----------------------------------------------------------------------------------
    def show_error(self, shell: Any, etype: type, value: BaseException, tb: Any,
                   tb_offset: int | None = None) -> list[str]:
        """IPython custom exception handler: an ``InterlaceError`` as its message, no traceback."""
        self.last_error = value
        if isinstance(value, RunCancelled):  # one line, not a traceback through interlace's code
            stb = [f"\x1b[0;33mRun cancelled\x1b[0m: {value}"]
            shell._showtraceback(KeyboardInterrupt, value, stb)
            return stb
        if getattr(value, "displayed", False):
            where = f"model '{value.model}' " if getattr(value, "model", None) else ""  # type: ignore[attr-defined]
            stb = [f"\x1b[0;31m{etype.__name__}\x1b[0m: {where}failed; its error is shown above "
                   "(%interlace --traceback shows the traceback)"]
        else:
            stb = [f"\x1b[0;31m{etype.__name__}\x1b[0m: {value}", "(%interlace --traceback shows the traceback)"]
        shell._showtraceback(etype, value, stb)  # ipykernel sends it as the cell's error output
        return stb

    def last_traceback(self) -> str:
        if self.last_error is None:
            return "No interlace error in this session yet."
        return "".join(traceback.format_exception(self.last_error)).rstrip()
