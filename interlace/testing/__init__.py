"""Test helpers for interlace models: build one model on given inputs, check what it produced.

:func:`run_model` builds a model — a ``@model`` function, a plain function, SQL text, or a model of
a project by name — on inputs you give (lists of dicts, pandas or polars DataFrames, Arrow tables)
in a throwaway in-memory warehouse, through the same Workspace → plan → run path as ``interlace
run``. Its inputs become models of their own (:func:`mock_dependency`), so the model under test
reads them exactly as it reads real upstreams.

    >>> from interlace.testing import run_model
    >>> def doubled(numbers):
    ...     return numbers.mutate(twice=numbers.n * 2)
    >>> run_model(doubled, deps={"numbers": [{"n": 1}, {"n": 2}]}).rows
    [{'n': 1, 'twice': 2}, {'n': 2, 'twice': 4}]

The pytest plugin (:mod:`interlace.testing.plugin`, registered as a ``pytest11`` entry point) adds
the ``interlace_project`` and ``interlace_workspace`` fixtures and ``--interlace-project PATH``.

Core: imports no face library (pandas and polars are imported only when asked for ``.df``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlace.errors import CheckFailedError, ModelDefinitionError
from interlace.origin import Origin
from interlace.project.decorators import model as model_decorator
from interlace.project.decorators import spec_of
from interlace.project.spec import ModelSpec, make_spec

__all__ = ["ModelRun", "assert_checks_pass", "mock_dependency", "run_model", "temporary_workspace"]

MEMORY_CONFIG = "connections:\n  default:\n    path: ':memory:'\n"


def mock_dependency(name: str, rows: Any, *, materialize: str = "table") -> ModelSpec:
    """A model called ``name`` whose result is ``rows`` (records, a DataFrame, an Arrow table).

    Hand it to :func:`run_model` (``deps=[mock_dependency(...)]``) or declare it on a workspace
    (``ws.declare(mock_dependency("orders", rows))``) to stand in for a real upstream.
    """

    def given() -> Any:
        return rows

    given.__name__ = name
    return make_spec(kind="python", origin=Origin(f"<mock_dependency {name}>"),
                     keywords={"name": name, "materialize": materialize}, default_name=name,
                     declared_by="mock_dependency()", func=given, source=f"mock_dependency({name!r})")


@dataclass(frozen=True, slots=True)
class ModelRun:
    """What :func:`run_model` built: the model's outcome and its rows (as an Arrow table)."""

    name: str
    result: Any  # the engine's ModelResult (status, rows written, checks, error)
    arrow: Any  # pyarrow.Table of the model's rows; None when its error-severity checks failed

    @property
    def status(self) -> str:
        return str(self.result.status)

    @property
    def checks(self) -> tuple[Any, ...]:
        return tuple(self.result.checks)

    @property
    def columns(self) -> list[str]:
        return list(self._table().column_names)

    @property
    def rows(self) -> list[dict[str, Any]]:
        return list(self._table().to_pylist())

    @property
    def df(self) -> Any:
        """The rows as a pandas DataFrame."""
        return self._table().to_pandas()

    @property
    def pl(self) -> Any:
        """The rows as a polars DataFrame."""
        import polars as pl

        return pl.from_arrow(self._table())

    def _table(self) -> Any:
        if self.arrow is None:
            raise AssertionError(f"model '{self.name}' has no rows to show: {self.result.error}\n"
                                 "Fix: see the failing checks with assert_checks_pass(result)")
        return self.arrow


def run_model(model: Callable[..., Any] | ModelSpec | str, deps: Mapping[str, Any] | Iterable[ModelSpec] = (),
              *, project: str | Path | None = None) -> ModelRun:
    """Build one model on ``deps`` in a throwaway in-memory warehouse and return what it produced.

    Args:
        model: a ``@model`` function or a plain one (its parameters name its inputs), a
            :class:`ModelSpec`, SQL text (optionally with a ``-- @model(...)`` header), or the name
            of a model of ``project``.
        deps: each input the model reads: ``{name: rows}`` or ``[mock_dependency(...)]``.
        project: a project directory to take a named model from (its files are only read).

    Raises:
        AssertionError: an input the model reads is not in ``deps``.
        InterlaceError: the model failed for a reason other than its quality checks (the model's
            own error, e.g. :class:`ExecutionError` naming the SQL).
    """
    spec = _spec_of(model, project)
    mocks = [d if isinstance(d, ModelSpec) else None for d in ([] if isinstance(deps, Mapping) else deps)]
    given = ({n: mock_dependency(n, rows) for n, rows in deps.items()} if isinstance(deps, Mapping)
             else {m.name: m for m in mocks if m is not None})
    missing = [d for d in spec.dependencies if d not in given]
    if missing:
        listed = ", ".join(f"'{d}'" for d in missing)
        raise AssertionError(
            f"run_model('{spec.name}'): it reads {listed}, which deps= does not give ({spec.origin}).\n"
            f"Fix: pass deps={{{', '.join(f'{d!r}: [...]' for d in missing)}}} (rows as records, a "
            "DataFrame or an Arrow table)")
    with temporary_workspace() as ws:
        for mock in given.values():
            ws.declare(mock)
        ws.declare(spec)
        run = ws.run(f"+{spec.name}", force=True, trigger="python:testing")
        outcome = run[spec.name]
        if outcome.status != "success" and not isinstance(outcome.error, CheckFailedError):
            for name, other in run.results.items():  # an input that could not be loaded explains it
                if name != spec.name and other.error is not None:
                    raise other.error
            if outcome.error is not None:
                raise outcome.error
        table = None
        if outcome.status == "success":
            table = _read(ws, spec)
        return ModelRun(spec.name, outcome, table)


def assert_checks_pass(result: ModelRun, *, warnings: bool = False) -> None:
    """Fail with each failing check, its failing-row count and sample rows unless every quality
    check of the model passed (``warnings=True``: warn-severity failures fail the test too)."""
    failing = [c for c in result.checks if c.status != "pass" and (warnings or c.check.severity == "error")]
    if not result.checks and result.status != "success":
        raise AssertionError(f"model '{result.name}' {result.status} before its checks ran: {result.result.error}")
    if failing:
        lines = [f"model '{result.name}': {len(failing)} of {len(result.checks)} quality checks failed"]
        for check in failing:
            lines.append(f"  {check.check.name} [{check.check.severity}]: {check.status}, "
                         f"{check.message or f'{check.failing} failing row(s)'}")
            lines += [f"    {row}" for row in check.samples[:5]]
        raise AssertionError("\n".join(lines))


class temporary_workspace:  # noqa: N801 - used as a context manager, like tempfile.TemporaryDirectory
    """A Workspace over an empty project whose warehouse lives in memory; removed on exit."""

    def __init__(self, files: Mapping[str, str] | None = None) -> None:
        self._files = dict(files or {})

    def __enter__(self) -> Any:
        from interlace.workspace import Workspace

        self._dir = Path(tempfile.mkdtemp(prefix="interlace-test-"))
        (self._dir / "config.yaml").write_text(self._files.pop("config.yaml", MEMORY_CONFIG))
        for rel, text in self._files.items():
            path = self._dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        try:
            self.workspace = Workspace(self._dir)
        except BaseException:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise
        return self.workspace

    def __exit__(self, *exc: object) -> None:
        try:
            self.workspace.close()
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)


def _spec_of(model: Callable[..., Any] | ModelSpec | str, project: str | Path | None) -> ModelSpec:
    if isinstance(model, ModelSpec):
        return model
    if callable(model):
        return spec_of(model) or spec_of(model_decorator(model)) or _never(model)
    text = str(model)
    if text.isidentifier():
        if project is None:
            raise ModelDefinitionError(
                f"run_model('{text}'): a model name needs the project it belongs to",
                hint=f"pass project='path/to/project', or give the SQL text or the function of '{text}'")
        from interlace.config import load_config
        from interlace.project.project import Project

        root = Path(project).resolve()
        return Project.discover(root, load_config(root)).get(text)
    from interlace.project.sql_header import parse_sql_models

    specs = parse_sql_models(text, path="<run_model sql>", stem="model_under_test")
    if len(specs) != 1:
        raise ModelDefinitionError(f"run_model() builds one model; this SQL declares {len(specs)}",
                                   origin="<run_model sql>", hint="pass one model's SQL")
    return specs[0]


def _never(model: Any) -> ModelSpec:
    raise ModelDefinitionError(f"{model!r} is not a model", hint="pass a @model function, SQL text or a name")


def _read(ws: Any, spec: ModelSpec) -> Any:
    from interlace.kinds import is_persisted

    declared = ws.models[spec.name]
    if is_persisted(declared):
        relation = ws.project.relation(declared)
        return ws.engine.cursor().sql(f"SELECT * FROM {relation}").to_arrow_table()
    kept = ws.runs.last_result(spec.name)
    return kept[0] if kept is not None else None
