"""The pytest plugin (entry point ``pytest11``): fixtures, and a project's declared unit tests as items.

Fixtures:

- ``interlace_project(files=None)`` writes a project into a temporary directory from
  ``{relative path: text}`` and returns its path;
- ``interlace_workspace(files_or_path=None)`` opens a Workspace over such a project (or an
  existing directory); every workspace it opened is closed when the test ends.

``pytest --interlace-project PATH`` collects the unit tests declared in ``PATH/tests/*.yaml``
(dbt 1.8's ``unit_tests:`` are the anchor)::

    unit_tests:
      - name: doubles_every_number
        model: doubled                # a model of the project
        given:
          - input: numbers            # or ref('numbers')
            rows: [{n: 1}, {n: 2}]
        expect:
          rows: [{n: 1, twice: 2}, {n: 2, twice: 4}]

Each becomes an item that builds the model on the given rows (:func:`interlace.testing.run_model`)
and compares the result with ``expect.rows`` on the columns ``expect`` names, ignoring row order
(``ordered: true`` to compare in order). A mismatch shows the missing and the unexpected rows.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

__all__ = ["UnitTestFile", "UnitTestItem", "UnitTestMismatch", "compare_rows"]

_REF = re.compile(r"""^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$""")
_TEST_KEYS = frozenset({"name", "model", "given", "expect", "ordered", "description"})


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("interlace")
    group.addoption("--interlace-project", metavar="PATH", default=None,
                    help="collect the unit tests declared in PATH/tests/*.yaml of an interlace project")


@pytest.fixture
def interlace_project(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Write ``{relative path: text}`` (dedented) into a new temporary project; returns its directory."""

    def make(files: dict[str, str] | None = None) -> Path:
        root = tmp_path_factory.mktemp("interlace-project")
        for rel, text in (files or {}).items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return root

    return make


@pytest.fixture
def interlace_workspace(interlace_project: Callable[..., Path]) -> Iterator[Callable[..., Any]]:
    """Open a Workspace over a project made from files (or over a directory); closed after the test."""
    from interlace.workspace import Workspace

    opened: list[Workspace] = []

    def open_(files_or_path: dict[str, str] | str | Path | None = None, env: str | None = None) -> Workspace:
        root = Path(files_or_path) if isinstance(files_or_path, str | Path) else interlace_project(files_or_path)
        ws = Workspace(root, env)
        opened.append(ws)
        return ws

    yield open_
    for ws in reversed(opened):
        ws.close()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    project = config.getoption("interlace_project")
    if not project:
        return
    root = Path(project).resolve()
    if not (root / "tests").is_dir():
        raise pytest.UsageError(f"--interlace-project {project}: {root / 'tests'} does not exist. "
                                "Fix: declare unit tests in tests/*.yaml of the project, or pass the project's directory")
    for path in sorted((root / "tests").glob("*.y*ml")):
        collector = UnitTestFile.from_parent(session, path=path, project=root)
        items.extend(collector.collect())


class UnitTestMismatch(AssertionError):
    """A unit test whose model produced other rows than it expected (the message is the diff)."""


class UnitTestFile(pytest.File):
    """One ``tests/*.yaml`` file of a project: its ``unit_tests:`` entries."""

    def __init__(self, *, project: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.project = project

    def collect(self) -> Iterator[UnitTestItem]:
        data = yaml.safe_load(self.path.read_text()) or {}
        tests = data.get("unit_tests") if isinstance(data, dict) else None
        if not isinstance(tests, list):
            raise self.CollectError(f"{self.path}: expected a top-level 'unit_tests:' list. "
                                    "Fix: start the file with 'unit_tests:' followed by '- name: ...' entries")
        for index, test in enumerate(tests):
            where = f"{self.path}, unit_tests[{index}]"
            if not isinstance(test, dict) or "name" not in test or "model" not in test:
                raise self.CollectError(f"{where}: each unit test needs 'name' and 'model'")
            unknown = sorted(set(test) - _TEST_KEYS)
            if unknown:
                raise self.CollectError(f"{where} ('{test['name']}'): unknown key(s) {', '.join(unknown)} "
                                        f"(valid keys: {', '.join(sorted(_TEST_KEYS))})")
            yield UnitTestItem.from_parent(self, name=str(test["name"]), spec=test, where=where)


class UnitTestItem(pytest.Item):
    """One declared unit test: build its model on the given rows, compare with the expected rows."""

    def __init__(self, *, spec: dict[str, Any], where: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.where = where

    def runtest(self) -> None:
        from interlace.testing import run_model

        assert isinstance(self.parent, UnitTestFile)
        deps = {}
        for entry in self.spec.get("given") or []:
            name = str(entry.get("input", ""))
            match = _REF.match(name)
            if entry.get("format", "dict") != "dict":
                raise UnitTestMismatch(f"{self.where}: input '{name}' uses format '{entry['format']}'; "
                                       "only 'dict' (rows: [...]) is supported. Fix: give the rows as mappings")
            deps[match.group(1) if match else name] = list(entry.get("rows") or [])
        result = run_model(str(self.spec["model"]), deps, project=self.parent.project)
        expected = list((self.spec.get("expect") or {}).get("rows") or [])
        problem = compare_rows(result.rows, expected, ordered=bool(self.spec.get("ordered", False)))
        if problem:
            raise UnitTestMismatch(f"unit test '{self.name}' of model '{self.spec['model']}' "
                                   f"({self.where}):\n{problem}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, UnitTestMismatch | AssertionError):
            return str(excinfo.value)
        from interlace.errors import InterlaceError

        if isinstance(excinfo.value, InterlaceError):
            return f"unit test '{self.name}' ({self.where}): the model failed:\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"unit test {self.name} (model {self.spec['model']})"


def compare_rows(actual: list[dict[str, Any]], expected: list[dict[str, Any]], *, ordered: bool = False) -> str:
    """The difference between rows on the columns ``expected`` names ('' when they agree)."""
    columns = list(dict.fromkeys(k for row in expected for k in row))
    have = list(actual[0]) if actual else []
    absent = [c for c in columns if actual and c not in have]
    if absent:
        return (f"expected column(s) {', '.join(absent)} missing from the result "
                f"(it has: {', '.join(have)})")
    got = [{c: row.get(c) for c in columns} for row in actual]
    want = [{c: row.get(c) for c in columns} for row in expected]
    if ordered:
        if got == want:
            return ""
        lines = [f"rows differ in order or content ({len(got)} produced, {len(want)} expected):"]
        for i in range(max(len(got), len(want))):
            g, w = (got[i] if i < len(got) else None), (want[i] if i < len(want) else None)
            if g != w:
                lines.append(f"  row {i}: expected {w}, got {g}")
        return "\n".join(lines)
    missing, unexpected = list(want), []
    for row in got:
        if row in missing:
            missing.remove(row)
        else:
            unexpected.append(row)
    if not missing and not unexpected:
        return ""
    lines = [f"{len(got)} row(s) produced, {len(want)} expected (compared on {', '.join(columns)}):"]
    lines += [f"  - missing:    {row}" for row in missing]
    lines += [f"  + unexpected: {row}" for row in unexpected]
    return "\n".join(lines)
