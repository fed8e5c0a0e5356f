"""A CLI run killed with SIGKILL at random moments never leaves a table half-written or the state
inconsistent with the data, and the next run completes."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import interlace

MODELS = {
    # replace: every row carries the generation it was built from
    "models/snap.sql": "SELECT id, v, (SELECT max(gen) FROM raw) AS built_gen FROM raw",
    # merge: upserts every raw row
    "models/merged.sql": '-- @model(strategy="merge_by_key", primary_key="id")\nSELECT id, v, gen FROM raw',
    # append with a cursor: each raw row appended exactly once, the watermark moving with the data
    "models/appended.sql": '-- @model(strategy="append", cursor="gen")\nSELECT id, gen FROM raw',
    # a chain of replace models and a view after snap: built in snap's transaction (engine.groups),
    # so a kill leaves all three of the old generation or all three of the new one
    "models/snap_gens.sql": "SELECT built_gen, count(*) AS n FROM snap GROUP BY built_gen",
    "models/snap_view.sql": '-- @model(materialize="view")\nSELECT built_gen, n FROM snap_gens',
}
ROWS_PER_GENERATION = 200_000


def feed(db: Path, generation: int) -> None:
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE IF NOT EXISTS raw (id BIGINT, v VARCHAR, gen INTEGER)")
    con.execute("INSERT INTO raw SELECT range + ? * ?, 'v' || ?, ? FROM range(?)",
                [generation, ROWS_PER_GENERATION, generation, generation, ROWS_PER_GENERATION])
    con.execute("UPDATE raw SET v = 'u' || ? WHERE id % 5 = ? % 5", [generation, generation])
    con.close()


def check_invariants(root: Path) -> dict[str, int]:
    with interlace.open(root) as ws:  # opening marks a killed run 'interrupted'
        q = lambda sql: ws.sql(sql).fetchone()[0]  # noqa: E731
        assert q("SELECT count(*) FROM interlace.runs WHERE status = 'running'") == 0
        seen = {}
        tables = {r[0] for r in ws.sql("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        if "snap" in tables:
            assert q("SELECT count(DISTINCT built_gen) FROM snap") == 1
            assert q("SELECT count(*) FROM snap") == q("SELECT count(*) FROM raw WHERE gen <= (SELECT max(built_gen) FROM snap)")
            seen["snap"] = q("SELECT max(built_gen) FROM snap")
        views = {r[0] for r in ws.sql("SELECT view_name FROM duckdb_views() WHERE schema_name = 'main'").fetchall()}
        assert ("snap" in tables) == ("snap_gens" in tables) == ("snap_view" in views)  # one commit
        if "snap_gens" in tables:
            assert ws.sql("SELECT built_gen, n FROM snap_view").fetchall() == \
                ws.sql("SELECT built_gen, count(*) FROM snap GROUP BY built_gen").fetchall()
            latest = dict(ws.sql(
                "SELECT model, rows_affected FROM interlace.model_runs WHERE status = 'success' "
                "QUALIFY row_number() OVER (PARTITION BY model ORDER BY finished_at DESC) = 1").fetchall())
            assert latest["snap"] == q("SELECT count(*) FROM snap")  # each record is its data's
            assert latest["snap_gens"] == q("SELECT count(*) FROM snap_gens")
            assert q("SELECT count(DISTINCT run_id) FROM (SELECT run_id FROM interlace.model_runs "
                     "WHERE status = 'success' AND model IN ('snap', 'snap_gens', 'snap_view') "
                     "QUALIFY row_number() OVER (PARTITION BY model ORDER BY finished_at DESC) = 1)") == 1
            seen["snap_gens"] = q("SELECT max(built_gen) FROM snap_gens")
        if "merged" in tables:
            assert q("SELECT count(*) - count(DISTINCT id) FROM merged") == 0
            assert q("SELECT count(*) FROM merged") == q("SELECT count(*) FROM raw WHERE gen <= (SELECT max(gen) FROM merged)")
            seen["merged"] = q("SELECT max(gen) FROM merged")
        if "appended" in tables:
            assert q("SELECT count(*) - count(DISTINCT id) FROM appended") == 0
            watermark = ws.state.cursor_value("appended")
            assert watermark is not None and int(watermark[1]) == q("SELECT max(gen) FROM appended")
            assert q("SELECT count(*) FROM appended") == q(f"SELECT count(*) FROM raw WHERE gen <= {int(watermark[1])}")
            recorded = q("SELECT coalesce(sum(inserted), 0) FROM interlace.model_runs WHERE model = 'appended' AND status = 'success'")
            assert recorded == q("SELECT count(*) FROM appended")  # run records commit with the data
            seen["appended"] = q("SELECT max(gen) FROM appended")
        return seen


@pytest.mark.slow
def test_sigkill_at_random_moments_never_corrupts(make_project) -> None:
    root = make_project(MODELS)
    db = root / ".interlace/dev.duckdb"
    db.parent.mkdir()
    seed = int(os.environ.get("INTERLACE_CRASH_SEED", time.time()))
    rng = random.Random(seed)
    killed = generation = 0
    while killed < 20:
        generation += 1
        assert generation <= 60, f"only {killed} of {generation - 1} runs could be killed mid-way (seed {seed})"
        feed(db, generation)
        proc = subprocess.Popen([sys.executable, "-m", "interlace", "run", "--force", "-d", str(root)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        proc.stdout.readline()  # "Running 3 models ...": the run has started writing
        time.sleep(rng.uniform(0.0, 0.6))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
        try:
            check_invariants(root)
        except AssertionError as exc:
            raise AssertionError(f"invariant broken after generation {generation} (seed {seed})") from exc
    final = subprocess.run([sys.executable, "-m", "interlace", "run", "-d", str(root)], capture_output=True, text=True)
    assert final.returncode == 0, final.stdout + final.stderr
    seen = check_invariants(root)
    assert seen == {"snap": generation, "snap_gens": generation, "merged": generation, "appended": generation}
