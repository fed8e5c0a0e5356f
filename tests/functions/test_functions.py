"""User functions: functions/*.py as DuckDB UDFs, functions/*.sql as macros, in fingerprints."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlace.errors import FunctionError
from tests.conftest import run_cli

FUNCTIONS_PY = '''
import pyarrow.compute as pc

import interlace


def slugify(text: str) -> str:
    return text.strip().lower().replace(" ", "-")


@interlace.udf(vectorized=True, parameters=["BIGINT"], returns="BIGINT")
def doubled(values):
    return pc.multiply(values, 2)


@interlace.udf(null_handling="special")
def or_unknown(text: str) -> str:
    return "unknown" if text is None else text
'''

MACROS_SQL = '''
-- scalar and table macros
CREATE MACRO cents(amount) AS CAST(round(amount * 100) AS BIGINT);

CREATE OR REPLACE MACRO first_n(n) AS TABLE SELECT range AS i FROM range(n);
'''


@pytest.fixture
def project(make_project) -> Path:
    return make_project({
        "functions/text.py": FUNCTIONS_PY,
        "functions/money.sql": MACROS_SQL,
        "models/names.sql": "SELECT slugify(' Ada Lovelace ') AS slug, or_unknown(NULL) AS who",
        "models/amounts.sql": "SELECT cents(1.234) AS c, doubled(21) AS d",
        "models/series.sql": '-- @model(cache={"ttl": "1d"})\nSELECT count(*) AS n FROM first_n(5)',
        "models/plain.sql": "SELECT 1 AS one",
        "models/after_names.sql": "SELECT slug FROM names",
    })


def test_udfs_and_macros_are_callable_from_models_and_sql(project: Path, open_ws) -> None:
    ws = open_ws(project)
    ws.run().raise_for_status()
    assert ws.sql("SELECT slug, who FROM names").fetchall() == [("ada-lovelace", "unknown")]
    assert ws.sql("SELECT c, d FROM amounts").fetchall() == [(123, 42)]
    assert ws.sql("SELECT n FROM series").fetchall() == [(5,)]
    assert ws.sql("SELECT cents(2.5), slugify('A B')").fetchall() == [(250, "a-b")]
    assert ws.function_calls() == {"names": ("or_unknown", "slugify"), "amounts": ("cents", "doubled"),
                                   "series": ("first_n",)}
    assert ws.python_udf_models() == ("amounts", "names")


def test_editing_a_udf_rebuilds_exactly_its_callers(project: Path, open_ws) -> None:
    ws = open_ws(project)
    ws.run().raise_for_status()
    path = project / "functions" / "text.py"
    path.write_text(path.read_text().replace('replace(" ", "-")', 'replace(" ", "_")'))
    ws.reload()
    plan = {s.model: (s.action, s.reason) for s in ws.plan().steps}
    assert plan["names"] == ("build", "function 'slugify' (functions/text.py:6) changed since the last build")
    assert plan["after_names"][0] == "build"
    assert {m for m, (a, _) in plan.items() if a == "build"} == {"names", "after_names"}
    result = ws.run()
    assert set(result.results) == {"names", "after_names"}
    assert ws.sql("SELECT slug FROM after_names").fetchall() == [("ada_lovelace",)]
    assert ws.plan().builds == ()


def test_editing_a_macro_rebuilds_its_callers(project: Path, open_ws) -> None:
    ws = open_ws(project)
    ws.run().raise_for_status()
    path = project / "functions" / "money.sql"
    path.write_text(path.read_text().replace("amount * 100", "amount * 1000"))
    ws.reload()
    plan = {s.model: s.reason for s in ws.plan().builds}
    assert plan == {"amounts": "function 'cents' (functions/money.sql:2) changed since the last build"}
    ws.run().raise_for_status()
    assert ws.sql("SELECT c FROM amounts").fetchall() == [(1234,)]


def test_comment_only_edit_rebuilds_nothing(project: Path, open_ws) -> None:
    ws = open_ws(project)
    ws.run().raise_for_status()
    path = project / "functions" / "text.py"
    path.write_text(path.read_text().replace("def slugify(text: str) -> str:\n",
                                             "def slugify(text: str) -> str:  # make a slug\n"))
    ws.reload()
    assert ws.plan().builds == ()


@pytest.mark.parametrize(("files", "message"), [
    ({"functions/bad.py": "def f(x: int) -> int:\n    return x +\n"},
     "functions/bad.py:2: invalid Python: invalid syntax\nFix: fix the syntax at that line"),
    ({"functions/bad.py": "import math\n\nVALUE = 1 / 0\n"},
     "functions/bad.py:3: importing the file failed: ZeroDivisionError: division by zero\n"
     "Fix: fix the error at that line (the file runs when the project loads)"),
    ({"functions/bad.py": "def f(x):\n    return x\n"},
     "functions/bad.py:1: function 'f' needs DuckDB types for x, the return value\n"
     "Fix: annotate every parameter and the return type (x: int) -> int, or give "
     "@interlace.udf(parameters=['BIGINT'], returns='BIGINT')"),
    ({"functions/bad.sql": "CREATE MACRO ok(x) AS x;\n\nCREATE MACRO broken(x, x) AS x;\n"},
     "functions/bad.sql:3: invalid SQL: Parser Error: Duplicate parameter 'x' in macro "
     "definition\nFix: fix the statement at that line"),
    ({"functions/bad.sql": "CREATE MACRO ok(x) AS x;\nCREATE TABLE t (a INT);\n"},
     "functions/bad.sql:2: a functions/*.sql file holds only CREATE MACRO statements\n"
     "Fix: move other statements into a model or a migration (migrations/)"),
    ({"functions/a.sql": "CREATE MACRO twice(x) AS x;\n", "functions/b.py": "def twice(x: int) -> int:\n    return x\n"},
     "functions/a.sql:1: function 'twice' is defined twice (also at functions/b.py:1)\nFix: rename one of them"),
])
def test_a_broken_function_file_names_file_and_line(make_project, open_ws, files: dict[str, str],
                                                     message: str) -> None:
    ws = open_ws(make_project({**files, "models/m.sql": "SELECT 1 AS x"}))
    with pytest.raises(FunctionError) as err:
        ws.run()
    assert str(err.value) == message


def test_cli_run_uses_functions(project: Path) -> None:
    result = run_cli("run", "--project-dir", str(project))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 succeeded" in result.stdout
