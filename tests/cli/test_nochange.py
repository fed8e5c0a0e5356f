"""The no-change fast path of `interlace run`: instant only while the full plan would be empty.

Each test builds a real project with the real CLI in subprocesses, reaches the fast path (a run
that builds, then a no-change run that records the answer), changes one input and checks that
the next `interlace run` is the full one again (it says "Running", the fast path says "Nothing").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from interlace.nochange import read_nochange

PROBE = """
import json, sys
from interlace.cli.main import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
sys.stdout = sys.__stdout__
print("MODULES=" + json.dumps(sorted(sys.modules)))
sys.exit(code)
"""
HEAVY = ("duckdb", "sqlglot", "pydantic", "pandas", "interlace.workspace", "interlace.state.store")


def cli(project: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=project, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stdout + done.stderr
    output, _, modules = done.stdout.rpartition("MODULES=")
    return output, set(json.loads(modules))


def make(tmp_path: Path, config: str = "", **models: str) -> Path:
    project = tmp_path / "p"
    (project / "models").mkdir(parents=True)
    (project / "config.yaml").write_text(textwrap.dedent("""\
        name: p
        connections:
          default:
            type: duckdb
            path: .interlace/{env}.duckdb
        """) + config)
    for name, sql in (models or {"a": "SELECT 1 AS x", "b": "SELECT x + 1 AS y FROM a"}).items():
        (project / "models" / f"{name}.sql").write_text(sql)
    return project


def fast(project: Path, env: dict[str, str] | None = None) -> Path:
    """Build, then a no-change run that records the answer; the next run takes the fast path."""
    assert "Running 2 models" in cli(project, "run", env=env)[0]
    assert "Running 0 models" in cli(project, "run", env=env)[0]
    output, modules = cli(project, "run", env=env)
    assert output.startswith("Nothing to do: 2 up to date"), output
    assert not {m for m in modules if m.startswith(HEAVY)}
    return project


def history(project: Path) -> int:
    with duckdb.connect(str(project / ".interlace" / "dev.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM interlace.runs").fetchone()[0]


def test_an_unchanged_project_is_answered_without_the_engine(tmp_path: Path) -> None:
    project = fast(make(tmp_path))
    runs = history(project)
    assert cli(project, "run")[0].startswith("Nothing to do")
    assert history(project) == runs  # the fast path records no run (it opens no warehouse)


def test_an_edit_of_the_same_size_is_seen(tmp_path: Path) -> None:
    project = fast(make(tmp_path))
    model = project / "models" / "a.sql"
    before = model.stat()
    model.write_text("SELECT 7 AS x")  # the same size and, as within one mtime tick, the same mtime
    os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert "Running 2 models" in cli(project, "run")[0]


def test_a_write_by_another_process_makes_it_stale(tmp_path: Path) -> None:
    project = fast(make(tmp_path))
    assert "Running 1 model " in cli(project, "run", "--force", "a")[0]
    output = cli(project, "run")[0]
    assert "Running 1 model " in output and "b" in output  # upstream a has new data


def test_a_raw_write_to_the_warehouse_makes_it_stale(tmp_path: Path) -> None:
    project = fast(make(tmp_path))
    with duckdb.connect(str(project / ".interlace" / "dev.duckdb")) as con:
        con.execute("CREATE TABLE main.other AS SELECT 1 AS z")
    assert "Running 0 models" in cli(project, "run")[0]


def test_force_and_selectors_bypass_it(tmp_path: Path) -> None:
    project = fast(make(tmp_path))
    assert "Running 2 models" in cli(project, "run", "--force")[0]
    fast_again = cli(project, "run")[0]
    assert "Running 0 models" in fast_again  # the forced run wrote the warehouse
    assert cli(project, "run")[0].startswith("Nothing to do")
    assert "Running 0 models" in cli(project, "run", "b")[0]


def test_json_bypasses_it(tmp_path: Path) -> None:
    project = fast(make(tmp_path))
    data = json.loads(cli(project, "run", "--json")[0])
    assert data["status"] == "success" and data["run_id"]  # the full run's answer, recorded


def test_config_variables_and_interlace_variables_are_part_of_the_key(tmp_path: Path) -> None:
    project = make(tmp_path, config="run:\n  max_workers: ${WORKERS}\n")
    fast(project, env={"WORKERS": "2"})
    assert "Running 0 models" in cli(project, "run", env={"WORKERS": "3"})[0]
    fast_path = cli(project, "run", env={"WORKERS": "3"})[0]
    assert fast_path.startswith("Nothing to do")
    assert "Running 0 models" in cli(project, "run", env={"WORKERS": "3", "INTERLACE_X": "1"})[0]


def test_another_environment_has_its_own_answer(tmp_path: Path) -> None:
    project = fast(make(tmp_path))
    assert "Running 2 models" in cli(project, "run", "--env", "prod")[0]


@pytest.mark.parametrize(("models", "why"), [
    ({"a": "-- @model(cache={'ttl': '1h'})\nSELECT 1 AS x", "b": "SELECT x FROM a"}, "cache ttl"),
    ({"a": "SELECT * FROM read_csv('data/in.csv')", "b": "SELECT * FROM a"}, "reads local files"),
])
def test_models_whose_decision_the_key_does_not_cover_are_never_answered(
        tmp_path: Path, models: dict[str, str], why: str) -> None:
    project = make(tmp_path, **models)
    (project / "data").mkdir()
    (project / "data" / "in.csv").write_text("x\n1\n")
    for _ in range(3):
        assert "Running" in cli(project, "run")[0]
    assert read_nochange(project, None) is None


def test_python_models_are_never_answered(tmp_path: Path) -> None:
    project = make(tmp_path)
    (project / "models" / "c.py").write_text(textwrap.dedent("""\
        from interlace import model

        @model(dependencies=["a"])
        def c(a):
            return a
        """))
    for _ in range(3):
        assert "Running" in cli(project, "run")[0]
    assert not (project / ".interlace" / "cache" / "nochange-.json").exists()


def test_a_run_in_progress_elsewhere_bypasses_it(tmp_path: Path) -> None:
    project = fast(make(tmp_path))
    assert read_nochange(project, None) is not None
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('open', flush=True); "
        "sys.stdin.read()"), str(project / ".interlace" / "dev.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert read_nochange(project, None) is None  # the full run reports the lock (or forwards)
    finally:
        holder.communicate("", timeout=30)
    assert read_nochange(project, None) is not None


def test_a_broken_snapshot_is_a_miss(tmp_path: Path) -> None:
    project = fast(make(tmp_path))
    (project / ".interlace" / "cache" / "nochange-.json").write_text("{not json")
    assert "Running 0 models" in cli(project, "run")[0]


def test_a_live_owner_wins(tmp_path: Path) -> None:
    from tests.owner.conftest import serving

    project = fast(make(tmp_path))
    with serving(project):
        output = cli(project, "run")[0]  # forwarded: the owner runs it (and records the run)
    assert "Running 0 models" in output, output
