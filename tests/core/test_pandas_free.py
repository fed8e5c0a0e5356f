"""Bound parameters do not import pandas; pandas still works exactly as before once imported.

Each case runs in a fresh interpreter: whether pandas is loaded is a property of the process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import write_files


def python(code: str, cwd: Path | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_no_change_run_imports_neither_pandas_nor_numpy(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "config.yaml": "name: p\n",
        "models/a.sql": "SELECT 1 AS id, 'x' AS name",
        "models/b.sql": "SELECT id, name FROM a WHERE id > 0",
    })
    probe = """
        import sys
        from interlace.cli.main import main
        try:
            main(["run"])
        except SystemExit as exit:
            assert not exit.code, exit.code
        sys.stdout = sys.__stdout__
        print(sorted(m for m in ("pandas", "numpy", "pyarrow") if m in sys.modules))
    """
    assert "2 succeeded" in python(probe, cwd=tmp_path)  # builds a and b
    again = python(probe, cwd=tmp_path)
    assert "2 up to" in again
    assert again.endswith("[]"), again


def test_parameters_of_every_type_leave_pandas_unloaded() -> None:
    out = python("""
        import datetime, decimal, sys, uuid
        from interlace.engine.engine import Engine
        engine = Engine(None)
        con = engine.connection
        values = [1, 2**70, 1.5, True, "s", b"b", None, [1, 2], {"k": 1}, decimal.Decimal("1.5"),
                  uuid.uuid4(), datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3),
                  datetime.timedelta(hours=1)]
        for value in values:
            assert con.execute("SELECT ?", [value]).fetchall()[0][0] is not NotImplemented
        print("pandas" in sys.modules, "numpy" in sys.modules)
    """)
    assert out == "False False"


def test_pandas_imported_later_behaves_as_without_the_stand_in() -> None:
    out = python("""
        import sys
        from interlace.engine.engine import Engine
        con = Engine(None).connection
        con.execute("SELECT ?", [1]).fetchall()
        assert "pandas" not in sys.modules
        import pandas as pd
        assert sys.modules["pandas"] is pd and type(pd).__name__ == "module"
        frame = pd.DataFrame({"x": [1, 2, 3]})
        print(con.execute("SELECT ? IS NULL, ? IS NULL, ? IS NULL", [pd.NaT, pd.NA, 1]).fetchall(),
              con.execute("SELECT sum(x) FROM frame").fetchall(),
              type(con.execute("SELECT 1 AS a").df()).__name__)
    """)
    assert out == "[(True, True, False)] [(6,)] DataFrame"


def test_a_dataframe_scan_before_any_pandas_import_loads_the_real_pandas() -> None:
    """The stand-in answers everything but NaT/NA from the real module, importing it if needed."""
    out = python("""
        import sys
        from interlace.engine.engine import Engine
        con = Engine(None).connection
        print(type(con.execute("SELECT 41 + ? AS a", [1]).df()).__name__,
              con.execute("SELECT 41 + ? AS a", [1]).df()["a"][0], "pandas" in sys.modules)
    """)
    assert out == "DataFrame 42 True"


def test_seeding_is_skipped_when_pandas_is_already_imported() -> None:
    out = python("""
        import pandas, sys
        import duckdb
        from interlace.engine.pandas_free import keep_pandas_unloaded
        print(keep_pandas_unloaded(duckdb.connect()), sys.modules["pandas"] is pandas)
    """)
    assert out == "False True"
