"""The core façade: faces call the Workspace, never its state store; plan → apply; kinds as data;
a read-only workspace answers without writing; runs in core."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import duckdb
import pytest

import interlace
from interlace.engine.strategies import WriteRequest, WriteStats
from interlace.errors import RunInProgressError, StalePlanError, StateError
from interlace.kinds import Strategy, register_strategy, unregister_strategy

FACES = ("cli", "magics", "server", "widgets", "runner", "docs")
PACKAGE = Path(interlace.__file__).parent
# `.state` on these is Starlette's app state or Panel's session state, not the workspace's store
FOREIGN_STATE = {"app", "pn", "request.app"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


def test_faces_never_touch_the_state_store() -> None:
    offences = []
    for face in FACES:
        for path in sorted((PACKAGE / face).rglob("*.py")) if (PACKAGE / face).is_dir() else []:
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "state" and _dotted(node.value) not in FOREIGN_STATE:
                    offences.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {_dotted(node)}")
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("interlace.state") \
                        and any(a.name == "StateStore" for a in node.names):
                    offences.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: imports StateStore")
    assert offences == []


def test_apply_runs_the_plan_and_refuses_a_stale_one(make_project, open_ws) -> None:
    root = make_project({"config.yaml": "name: t\n", "models/a.sql": "SELECT 1 AS x",
                         "models/b.sql": "SELECT x + 1 AS y FROM a"})
    ws = open_ws(root)
    plan = ws.plan()
    assert [s.model for s in plan.builds] == ["a", "b"]
    result = ws.apply(plan)
    assert result.ok and list(result.results) == ["a", "b"]
    (root / "models/a.sql").write_text("SELECT 2 AS x")
    ws.reload()
    with pytest.raises(StalePlanError) as caught:
        ws.apply(plan)
    assert str(caught.value) == (
        f"the plan is out of date: models 'a', 'b' were edited (or an upstream of it); run {result.run_id} "
        "finished; the table of 'a', 'b' was created since it was made\n"
        "Fix: plan again (interlace plan / ws.plan()) and apply the new plan")
    fresh = ws.plan()
    assert ws.apply(fresh).ok
    assert ws.run_record(ws.runs.history(1)[0].run_id).trigger == "python"


def test_a_strategy_registered_from_a_test_builds_a_model(make_project, open_ws) -> None:
    """Adding a strategy is a write function plus one registry line."""

    def insert_twice(request: WriteRequest) -> WriteStats:
        request.execute(f"CREATE OR REPLACE TABLE {request.relation.sql} AS SELECT * FROM ({request.sql}) "
                        f"UNION ALL SELECT * FROM ({request.sql})")
        rows = request.cursor.execute(f"SELECT count(*) FROM {request.relation.sql}").fetchall()[0][0]
        return WriteStats(rows=rows, inserted=rows)

    register_strategy(Strategy("twice", insert_twice, needs_key=True, keeps_history=True))
    try:
        root = make_project({"config.yaml": "name: t\n",
                             "models/t.sql": '-- @model(strategy="twice", primary_key="id")\nSELECT 1 AS id'})
        ws = open_ws(root)
        result = ws.run()
        assert result.ok, result.errors
        assert result["t"].inserted == 2
        assert ws.sql("SELECT count(*) FROM t").fetchall() == [(2,)]
        with pytest.raises(interlace.errors.ModelDefinitionError, match="strategy 'twice' needs a primary_key"):
            def keyless() -> None:
                return None

            interlace.model(strategy="twice")(keyless)
    finally:
        unregister_strategy("twice")


def _readonly_project(make_project) -> Path:
    root = make_project({
        "config.yaml": "name: t\n",
        "config.ro.yaml": "connections:\n  default:\n    type: duckdb\n    path: .interlace/dev.duckdb\n    access: read\n",
        "models/a.sql": "SELECT 1 AS x, 'a' AS label",
        "models/b.sql": "SELECT x, label FROM a",
    })
    with interlace.open(root) as ws:
        assert ws.run().ok
    return root


def _state_snapshot(root: Path) -> list[tuple]:
    con = duckdb.connect(str(root / ".interlace/dev.duckdb"), read_only=True)
    try:
        return [con.execute(f"SELECT count(*) FROM interlace.{t}").fetchall()[0]
                for t in ("runs", "model_runs", "column_lineage", "models", "quality_results")]
    finally:
        con.close()


def test_a_read_only_workspace_plans_previews_and_traces_lineage_without_writing(make_project) -> None:
    root = _readonly_project(make_project)
    with interlace.open(root) as ws:  # forget the stored lineage so the read-only side must compute it
        ws.sql("DELETE FROM interlace.column_lineage")
    before = _state_snapshot(root)
    with interlace.open(root, env="ro") as ws:
        assert ws.engine.read_only
        assert [s.action for s in ws.plan().steps] == ["skip", "skip"]
        assert ws.preview("b")[0] == ["x", "label"]
        tree = ws.lineage().trees("b", "x")[0].to_dict()
        assert tree["children"][0]["relation"] == "a" and tree["children"][0]["column"] == "x"
        with pytest.raises(interlace.errors.ReadOnlyError, match="opened read-only"):
            ws.run()
    assert _state_snapshot(root) == before


def test_a_none_model_previews_its_last_result_or_says_why_not(make_project, open_ws) -> None:
    root = make_project({"config.yaml": "name: t\n",
                         "models/side.sql": '-- @model(strategy="none")\nSELECT 42 AS answer'})
    ws = open_ws(root)
    with pytest.raises(StateError) as caught:
        ws.preview("side")
    assert str(caught.value) == (
        "model 'side' (models/side.sql:1): model 'side' has strategy='none': it writes no table, and no run in "
        "this session produced a result to show\n"
        "Fix: run it in this session (`%interlace run side` / ws.run('side')) to see its last result, or read a "
        "model materialized as a table or view")
    assert ws.run().ok
    assert ws.preview("side") == (["answer"], [(42,)], 1)


def test_a_second_run_is_refused_or_queued(make_project, open_ws) -> None:
    root = make_project({"config.yaml": "name: t\n",
                         "models/slow.sql": "SELECT count(*) AS n FROM range(3000000000)"})
    ws = open_ws(root)
    handle = ws.runs.start(ws.plan(), trigger="api:ci")
    assert ws.runs.status(handle.run_id).status in ("queued", "running")  # recorded at once
    with pytest.raises(RunInProgressError) as caught:
        ws.runs.start(ws.plan(force=True), trigger="dashboard:ann")
    assert caught.value.run_id == handle.run_id
    handle.cancel()
    result = handle.wait(60)
    assert result is not None and result.status == "cancelled"
    assert ws.run_record(handle.run_id).status == "cancelled"
    assert ws.run_record(handle.run_id).trigger == "api:ci"

    ws.runs.policy = "queue"
    first = ws.runs.start(ws.plan(force=True), trigger="schedule:nightly")
    second = ws.runs.start(ws.plan(force=True), trigger="api")
    assert ws.runs.status(second.run_id).status == "queued"
    first.cancel()
    threading.Timer(0.5, second.cancel).start()
    assert first.wait(60) is not None and second.wait(60) is not None
    assert [h.status for h in (first, second)] == ["cancelled", "cancelled"]
