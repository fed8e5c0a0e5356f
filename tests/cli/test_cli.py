"""The real `interlace` command, in a subprocess, on real DuckDB files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.conftest import run_cli, write_files


def test_init_then_run_twice(tmp_path: Path) -> None:
    created = run_cli("init", "demo", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    assert "Next: cd demo && interlace run" in created.stdout
    project = tmp_path / "demo"
    assert (project / "config.yaml").read_text().startswith("# interlace project configuration")
    assert "name: demo" in (project / "config.yaml").read_text()
    first = run_cli("run", cwd=project)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 succeeded, 0 failed, 0 skipped" in first.stdout
    second = run_cli("run", cwd=project)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 succeeded, 0 failed, 0 skipped, 3 up to date" in second.stdout
    con = duckdb.connect(str(project / ".interlace/dev.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM stg_orders").fetchone() == (6,)
    assert con.execute("SELECT count(*) FROM interlace.runs WHERE status = 'success'").fetchone() == (2,)
    con.close()


def test_init_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("x")
    result = run_cli("init", "taken", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: taken already exists and is not empty\n"
        "Fix: choose a new directory name, or empty that directory first"
    )


def test_run_selector_and_plan_json(shop: Path) -> None:
    planned = run_cli("plan", "customers", "--json", "-d", str(shop))
    assert planned.returncode == 0, planned.stderr
    steps = json.loads(planned.stdout)["steps"]
    assert [(s["model"], s["action"]) for s in steps] == [
        ("stg_customers", "build"), ("stg_orders", "build"), ("stg_payments", "inline"),
        ("orders", "build"), ("customers", "build"),
    ]
    assert steps[0]["reason"] == "needed by customers: its view does not exist yet"
    ran = run_cli("run", "customers", "--project-dir", str(shop))
    assert ran.returncode == 0, ran.stderr
    assert "4 succeeded, 0 failed, 0 skipped" in ran.stdout
    text = run_cli("plan", "customers+", "-d", str(shop))
    assert text.stdout.splitlines() == [
        "customers          skip    up to date",
        "customer_segments  build   its table does not exist yet",
        "1 model to build, 1 up to date.",
    ]


def test_run_json_and_failure_exit_status(make_project) -> None:
    root = make_project({"models/ok.sql": "SELECT 1 AS x", "models/bad.sql": "SELECT nope FROM ok", "models/after.sql": "SELECT * FROM bad"})
    result = run_cli("run", "--json", "-d", str(root))
    assert result.returncode == 1
    data = json.loads(result.stdout)
    statuses = {m["model"]: m["status"] for m in data["models"]}
    assert statuses == {"ok": "success", "bad": "failed", "after": "skipped"}
    bad = next(m for m in data["models"] if m["model"] == "bad")
    assert bad["error"]["code"] == "EXECUTION_ERROR"
    assert bad["error"]["origin"] == "models/bad.sql:1"


def test_run_prints_progress_and_the_error(make_project) -> None:
    root = make_project({"models/ok.sql": "SELECT 1 AS x", "models/bad.sql": "SELECT nope FROM ok"})
    result = run_cli("run", "-d", str(root))
    assert result.returncode == 1
    out = result.stdout
    assert "Running 2 models" in out
    assert "✓  ok  table  1 rows" in out
    assert "✗  bad  failed" in out
    assert "model 'bad' (models/bad.sql:1): DuckDB error: Binder Error: Referenced column \"nope\" not found" in out
    assert "1 succeeded, 1 failed, 0 skipped" in out
    assert "Traceback" not in out + result.stderr


def test_info_and_schema_commands(shop: Path) -> None:
    assert run_cli("run", "-d", str(shop)).returncode == 0
    info = run_cli("info", "-d", str(shop))
    assert info.returncode == 0, info.stderr
    assert "models:     8 (2 python/table, 1 sql/ephemeral, 3 sql/table, 2 sql/view)" in info.stdout
    data = json.loads(run_cli("info", "--json", "-d", str(shop)).stdout)
    assert data["config_files"] == ["config.yaml"]
    assert data["last_run"]["status"] == "success"
    listed = json.loads(run_cli("schema", "list", "customers", "--json", "-d", str(shop)).stdout)
    assert [c["name"] for c in listed["customers"]] == [
        "customer_id", "first_name", "last_name", "first_order", "most_recent_order",
        "number_of_orders", "customer_lifetime_value",
    ]
    history = json.loads(run_cli("schema", "history", "customers", "--json", "-d", str(shop)).stdout)
    assert [v["version"] for v in history] == [1]
    assert history[0]["changes"] == {"created": True}


def test_bad_input_errors_have_no_traceback(make_project, tmp_path: Path) -> None:
    root = make_project({
        "config.yaml": "connections:\n  default: {pth: x.duckdb}\n",
        "models/a.sql": "SELECT 1",
    })
    result = run_cli("run", "-d", str(root))
    assert result.returncode == 2
    assert result.stderr.startswith(f"Error: {root / 'config.yaml'}: unknown key 'connections.default.pth'")
    assert "Traceback" not in result.stderr
    (root / "config.yaml").write_text("name: x\n")
    (root / "models/b.sql").write_text("SELECT * FROM aa")
    result = run_cli("run", "-d", str(root))  # the broken model fails; the others still build
    assert result.returncode == 1
    assert "model 'b' (models/b.sql:1): reads 'aa', which is neither a model nor a table or view in the warehouse. Did you mean 'a'?" in result.stdout
    assert "1 succeeded, 1 failed, 0 skipped" in result.stdout
    unknown = run_cli("run", "nope", "-d", str(root))
    assert unknown.returncode == 2
    missing_dir = run_cli("info", "-d", str(tmp_path / "nowhere"))
    assert missing_dir.returncode == 2
    assert "Traceback" not in missing_dir.stderr


def test_shared_flags_are_spelled_the_same_everywhere() -> None:
    for command in (["run"], ["plan"], ["info"], ["schema", "list"], ["schema", "history"]):
        help_text = run_cli(*command, "--help").stdout
        assert "-d, --project-dir DIRECTORY" in help_text, command
        assert "-e, --env TEXT" in help_text, command


def test_locked_warehouse_names_the_holder(make_project) -> None:
    root = make_project({"models/a.sql": "SELECT 1 AS x"})
    db = root / ".interlace" / "dev.duckdb"
    db.parent.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = run_cli("run", "-d", str(root))
        assert result.returncode == 2
        assert result.stderr.startswith(
            f"Error: the warehouse {db} is in use by another process (PID {holder.pid}: "
        )
        assert "DuckDB lets one process at a time write a database file." in result.stderr
        assert "Fix: wait for that process to finish or stop it; if it is `interlace serve`" in result.stderr
        assert "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()


def test_ctrl_c_cancels_and_rolls_back(make_project) -> None:
    root = make_project({
        "models/quick.sql": "SELECT 1 AS x",
        "models/slow.sql": "SELECT count(*) AS n FROM range(1000000000000) AS r(i), quick",
    })
    env = {**os.environ, "NO_COLOR": "1"}
    # a suite started from a background job inherits SIGINT ignored: the child must take it again
    proc = subprocess.Popen([sys.executable, "-m", "interlace", "run", "-d", str(root)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # "Running 2 models (run ...)": the run has started
        assert first.startswith("Running"), first + proc.stderr.read() if proc.stderr else first
        time.sleep(1.5)  # let `slow` start its query
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        out = first + out
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "cancelled" in out
    con = duckdb.connect(str(root / ".interlace/dev.duckdb"), read_only=True)
    assert con.execute("SELECT status FROM interlace.runs").fetchall() == [("cancelled",)]
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'slow'").fetchone() == (0,)
    con.close()


def test_python_module_errors_name_the_file(make_project) -> None:
    root = make_project({"models/broken.py": "from interlace import model\n\n@model\ndef x(:\n    pass\n"})
    result = run_cli("plan", "-d", str(root))  # the broken file is its model's error; plan fails on it
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "broken  error   cannot be built: models/broken.py:4: Python syntax error: invalid syntax")
    assert "✗ models/broken.py:4: Python syntax error: invalid syntax\n  def x(:\nFix: fix the syntax at that line" \
        in result.stdout
    write_files(root, {"models/broken.py": "import no_such_module_here\n"})
    result = run_cli("plan", "-d", str(root))
    assert result.returncode == 1
    assert ("✗ models/broken.py:1: importing the file raised ModuleNotFoundError: No module named "
            "'no_such_module_here'") in result.stdout
    assert "Fix: fix the error in the file (it runs when the project is loaded)" in result.stdout


def test_plan_shows_breaking_changes_of_edited_models_without_diff(make_project) -> None:
    root = make_project({"config.yaml": "name: t\n", "models/a.sql": "SELECT 1 AS id, 'x' AS label",
                         "models/b.sql": "SELECT id, label FROM a"})
    assert run_cli("run", "-d", str(root)).returncode == 0
    (root / "models/a.sql").write_text("SELECT 1 AS id")
    text = run_cli("plan", "-d", str(root)).stdout.splitlines()
    assert text[:3] == ["a  build   edited since the last build",
                        "b  build   upstream 'a' was edited since the last build",
                        "2 models to build."]
    assert text[3:] == ["", "Schema changes:", "  a:", "    label: no longer produced (was VARCHAR)",
                        "BREAKING a.label (removed) is read by b"]
