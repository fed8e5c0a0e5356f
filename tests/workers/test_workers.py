"""Several `interlace worker` processes build one 200-model plan on one DuckLake whose catalog is
a real PostgreSQL server; one worker is SIGKILLed while it holds a model, its lease expires, another
worker builds that model, and every table equals the single-process build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

import interlace
from tests.conftest import run_cli
from tests.postgres_server import postgres_server
from tests.workers.dag import write_dag

WORKERS = 3
LEASE = "2"  # seconds: how long the killed worker's model stays claimed


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    with postgres_server() as dsn:
        yield dsn


@pytest.fixture
def pg_dsn(pg_server: str, request: pytest.FixtureRequest) -> str:
    """A fresh database on the module's server: one lake catalog (and queue) per test."""
    name = request.node.name[:40].lower().replace("[", "_").replace("]", "_")
    with psycopg.connect(pg_server, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return pg_server.replace("dbname=interlace", f"dbname={name}")


def _lake_config(dsn: str, data: Path) -> str:
    return (f"connections:\n  lake: {{type: ducklake, metadata: postgres, dsn: \"{dsn}\", "
            f"data_path: \"{data}\"}}\ndefault_connection: lake\n")


def _worker(project: Path, n: int, gate: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "INTERLACE_TEST_GATE": str(gate), "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "interlace", "worker", "--queue", "dag", "--lease", LEASE, "--id", f"w{n}",
         "--project-dir", str(project)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate, what: str, timeout: float = 600) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _rows(ws: interlace.Workspace, name: str) -> list[tuple[object, ...]]:
    return sorted(ws.sql(f'SELECT * FROM "{name}"').fetchall())


@pytest.mark.slow  # 200 models: each DuckLake commit on a PostgreSQL catalog costs tens of ms
@pytest.mark.timeout(1200)
def test_workers_build_a_dag_together_and_survive_a_killed_worker(tmp_path: Path, pg_dsn: str) -> None:
    project, single = tmp_path / "lake_project", tmp_path / "single"
    names = write_dag(project, _lake_config(pg_dsn, tmp_path / "lake_data"))
    write_dag(single, "connections:\n  default: {}\n")
    gate = tmp_path / "release"
    procs = {f"w{n}": _worker(project, n, gate) for n in range(WORKERS)}
    try:
        with psycopg.connect(pg_dsn, autocommit=True) as db:
            def holder() -> str | None:
                rows = db.execute("SELECT worker FROM interlace_queue.leases WHERE queue = 'dag' "
                                  "AND model = 'gate' AND state = 'running'").fetchall() \
                    if db.execute("SELECT to_regclass('interlace_queue.leases')").fetchall()[0][0] else []
                return rows[0][0] if rows else None

            _wait_for(lambda: holder() is not None, "a worker to claim the gate model")
            victim = holder()
            assert victim is not None
            procs[victim].send_signal(signal.SIGKILL)
            assert procs[victim].wait(timeout=30) == -signal.SIGKILL
            gate.touch()
            outputs = {name: p.communicate(timeout=900) for name, p in procs.items() if name != victim}
            for name, (out, err) in outputs.items():
                assert procs[name].returncode == 0, f"{name} failed:\n{out}\n{err}"
            queue = db.execute("SELECT model, state, worker, attempts FROM interlace_queue.leases "
                               "WHERE queue = 'dag'").fetchall()
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
    states = {model: (state, worker, attempts) for model, state, worker, attempts in queue}
    assert sorted(states) == sorted(names)
    assert {s for s, _, _ in states.values()} == {"done"}
    # the killed worker's model was taken again after its lease expired, by another worker
    state, worker, attempts = states["gate"]
    assert attempts == 2 and worker != victim
    # every worker that lived built part of the DAG
    assert {w for _, w, _ in states.values()} >= set(outputs)
    # the single-process build of the same project gives the same tables
    gate_env = {"INTERLACE_TEST_GATE": str(gate)}
    done = run_cli("run", "--project-dir", str(single), env=gate_env, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    os.environ["INTERLACE_TEST_GATE"] = str(gate)
    with interlace.open(project) as lake, interlace.open(single) as reference:
        for name in names:
            assert _rows(lake, name) == _rows(reference, name), name


def test_a_second_worker_on_a_finished_queue_has_nothing_to_do(tmp_path: Path, pg_dsn: str) -> None:
    project = tmp_path / "p"
    write_dag(project, _lake_config(pg_dsn, tmp_path / "data"), models=12, gate=False)
    first = run_cli("worker", "--queue", "small", "--id", "a", "--project-dir", str(project))
    assert first.returncode == 0, first.stderr
    assert "a: wrote the plan of queue 'small'" in first.stdout
    assert "a: built 12 model(s), 0 failed; queue 'small': 12 done, 0 failed, 0 skipped" in first.stdout
    second = run_cli("worker", "--queue", "small", "--id", "b", "--project-dir", str(project))
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "b: built 0 model(s), 0 failed; queue 'small': 12 done, 0 failed, 0 skipped"


def test_a_failing_model_skips_its_downstream_and_the_worker_exits_1(tmp_path: Path, pg_dsn: str) -> None:
    project = tmp_path / "p"
    write_dag(project, _lake_config(pg_dsn, tmp_path / "data"), models=14, gate=False)
    (project / "models" / "m011.sql").write_text("SELECT k, v, error('broken on purpose') AS e FROM m003\n")
    out = run_cli("worker", "--queue", "broken", "--id", "a", "--project-dir", str(project))
    assert out.returncode == 1
    assert "a: m011 failed: " in out.stdout and "broken on purpose" in out.stdout
    assert "queue 'broken' finished with failures" in out.stderr
    with psycopg.connect(pg_dsn, autocommit=True) as db:
        rows = dict(db.execute("SELECT model, state FROM interlace_queue.leases WHERE queue = 'broken'").fetchall())
    assert rows["m011"] == "failed"
    assert rows["m012"] == rows["m013"] == "skipped"  # they join m011
    assert rows["m010"] == "done"


def test_worker_needs_a_postgres_catalog_lake(make_project) -> None:
    project = make_project({"models/n.sql": "SELECT 1 AS n"})
    out = run_cli("worker", "--project-dir", str(project))
    assert out.returncode == 2
    assert "interlace worker needs a DuckLake warehouse with a PostgreSQL catalog; the default " \
        "connection 'default' is type duckdb" in " ".join(out.stderr.split())
