"""Small replace/view models share one transaction (interlace.engine.groups); a failure in a group
rolls all of it back and the models are built again one by one."""

from __future__ import annotations

import duckdb

from interlace.engine.groups import Frontier, GroupRules, groupable
from interlace.planner.plan import Step

CHAIN = {
    "models/a.sql": "SELECT range AS id FROM range(3)",
    "models/b.sql": "SELECT id * 2 AS v FROM a",
    "models/c.sql": "-- @model(materialize='view')\nSELECT v + 1 AS w FROM b",
}


def _events(ws) -> list[tuple[str, str | None]]:
    seen: list[tuple[str, str | None]] = []
    ws.events.subscribe(lambda e: seen.append((e.type, e.model)), types=["model.started", "model.finished",
                                                                          "model.failed", "model.skipped"])
    return seen


def test_a_chain_of_replace_models_and_a_view_commits_once(make_project, open_ws) -> None:
    ws = open_ws(make_project(CHAIN))
    seen = _events(ws)
    result = ws.run(max_workers=1)
    assert result.ok, result.errors
    # all three were built before the one commit reported them finished, in order
    assert seen == [("model.started", "a"), ("model.started", "b"), ("model.started", "c"),
                    ("model.finished", "a"), ("model.finished", "b"), ("model.finished", "c")]
    assert ws.sql("SELECT sum(w) FROM c").fetchone()[0] == 9
    runs = ws.sql("SELECT model, status, rows_affected FROM interlace.model_runs ORDER BY model").fetchall()
    assert runs == [("a", "success", 3), ("b", "success", 3), ("c", "success", None)]
    assert sorted(ws.catalog()) == ["a", "b", "c"]


def test_a_failing_member_rolls_the_group_back_and_its_neighbours_still_build(make_project, open_ws) -> None:
    root = make_project({
        **CHAIN,
        "models/b.sql": "SELECT CAST('not a number ' || id AS INTEGER) AS v FROM a",  # fails at run time
        "models/d.sql": "SELECT count(*) AS n FROM a",
    })
    ws = open_ws(root)
    result = ws.run(max_workers=1)
    statuses = {name: r.status for name, r in result.results.items()}
    assert statuses == {"a": "success", "b": "failed", "c": "skipped", "d": "success"}
    error = str(result.results["b"].error)
    assert "b" in error and "Could not convert string" in error and "fix the model's SQL" in error
    tables = {r[0] for r in ws.sql("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    assert tables == {"a", "d"}  # b was never left half-written; a and d committed on their own
    assert ws.sql("SELECT n FROM d").fetchone()[0] == 3
    runs = ws.sql("SELECT model, status, skip_reason FROM interlace.model_runs ORDER BY model").fetchall()
    assert runs == [("a", "success", None), ("b", "failed", None), ("c", "skipped", "upstream_failed"),
                    ("d", "success", None)]  # one record each: the rolled-back attempt left none


def test_a_failed_blocking_check_in_a_group_keeps_the_old_table(make_project, open_ws) -> None:
    root = make_project({
        "models/a.sql": "SELECT 1 AS v",
        "models/b.sql": "-- @model(quality_checks=['not_null(v)'])\nSELECT v FROM a",
    })
    ws = open_ws(root)
    assert ws.run(max_workers=1).ok
    (root / "models/a.sql").write_text("SELECT NULL::INTEGER AS v")
    ws.reload()
    result = ws.run(max_workers=1)
    assert result.results["a"].status == "success" and result.results["b"].status == "failed"
    assert "not_null(v): 1 failing row" in str(result.results["b"].error)
    assert ws.sql("SELECT v FROM a").fetchall() == [(None,)]  # a committed alone after the rollback
    assert ws.sql("SELECT v FROM b").fetchall() == [(1,)]  # b kept its last good data


def test_what_may_not_share_a_transaction(make_project, open_ws) -> None:
    root = make_project({
        "models/a.sql": "SELECT 1 AS id",
        "models/m.sql": "-- @model(strategy='merge_by_key', primary_key='id')\nSELECT id FROM a",
        "models/i.sql": "-- @model(strategy='append', cursor='id')\nSELECT id FROM a",
        "models/e.sql": '-- @model(export={"format": "csv", "path": "out/e.csv"})\nSELECT id FROM a',
        "models/p.py": "import interlace\n\n@interlace.model\ndef p(a):\n    return a\n",
        "models/v.sql": "-- @model(materialize='view')\nSELECT id FROM a",
    })
    ws = open_ws(root)
    graph = ws.graph()
    rules = GroupRules(ws.models, graph.upstream, in_warehouse=lambda spec: True, retried=lambda spec: False)
    kinds = {n: groupable(Step(model=n, action="build", reason=""), rules) for n in ws.models}
    assert kinds == {"a": True, "m": False, "i": False, "e": False, "p": False, "v": True}
    retried = GroupRules(ws.models, graph.upstream, in_warehouse=lambda spec: True, retried=lambda spec: True)
    assert not groupable(Step(model="a", action="build", reason=""), retried)
    assert not groupable(Step(model="a", action="check", reason=""), rules)


def test_a_model_that_cannot_join_makes_the_group_commit_first() -> None:
    steps = {n: Step(model=n, action="build", reason="", upstream=ups)
             for n, ups in {"a": (), "b": ("a",), "m": ("a",)}.items()}
    frontier = Frontier(steps, lambda n: n != "m", workers=2)
    assert frontier.take_ready() == "a"
    assert frontier.next_member({"a"}, {"b", "m"}) is None  # m (not groupable) waits only for a's commit
    frontier = Frontier(steps, lambda n: True, workers=1)
    assert frontier.take_ready() == "a"
    frontier.busy = 1  # the one worker builds the group
    near = {"b", "m"}
    assert frontier.next_member({"a"}, near) == "b"
    assert frontier.next_member({"a", "b"}, near) == "m"
    assert frontier.next_member({"a", "b", "m"}, near) is None
    assert near == set()
    frontier.settle("a", True)
    assert frontier.take_ready() is None  # b and m were claimed by the group
    frontier = Frontier(steps, lambda n: True, workers=2)
    assert frontier.take_ready() == "a"
    frontier.busy = 1  # another worker is idle: b and m wait for a, so a commits to share them
    assert frontier.next_member({"a"}, {"b", "m"}) is None


def test_data_and_records_of_a_group_commit_together(make_project, open_ws, monkeypatch) -> None:
    """The group's records are inserted in its transaction: when that insert fails, no table of
    the group is left (and the models are then built one by one, each with its record)."""
    ws = open_ws(make_project(CHAIN))
    calls: list[int] = []
    real = type(ws.state).record_model_runs

    def failing_once(self, records, *, cursor=None):
        calls.append(len(records))
        if len(calls) == 1:
            raise duckdb.IOException("disk full (simulated)")
        return real(self, records, cursor=cursor)

    monkeypatch.setattr(type(ws.state), "record_model_runs", failing_once)
    result = ws.run(max_workers=1)
    assert result.ok, result.errors
    assert calls == [3, 1, 1, 1]  # the group's three records, then one per model built alone
    assert ws.sql("SELECT count(*) FROM interlace.model_runs WHERE status = 'success'").fetchone()[0] == 3


def test_an_open_breaker_stops_a_group_and_a_half_open_one_tries_one_model_alone(make_project, open_ws) -> None:
    from interlace.retry import FakeClock
    from interlace.state.reliability import BreakerRecord

    root = make_project({**CHAIN, "config.yaml": "name: p\ncircuit_breaker:\n  cooldown: 30s\n"})
    ws = open_ws(root)
    clock = FakeClock()
    ws.reliability.use_clock(clock)
    ws.state.save_breaker(BreakerRecord("default", "open", 5, clock.now(), "connection refused", clock.now()))
    result = ws.run(max_workers=1)
    assert {n: r.status for n, r in result.results.items()} == {"a": "failed", "b": "skipped", "c": "skipped"}
    assert "circuit breaker of connection 'default' is open after 5 failures" in str(result.results["a"].error)
    assert ws.sql("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main'").fetchone()[0] == 0

    clock.advance(31)  # half-open: one trial model, committed alone, then a group
    seen = _events(ws)
    result = ws.run(max_workers=1)
    assert result.ok, result.errors
    assert seen == [("model.started", "a"), ("model.finished", "a"), ("model.started", "b"),
                    ("model.started", "c"), ("model.finished", "b"), ("model.finished", "c")]
    assert [(b.status, b.failures) for b in ws.breakers()] == [("closed", 0)]
