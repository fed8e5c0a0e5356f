from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import write_files

CHAIN = {
    "models/a.sql": "SELECT range AS id FROM range(3)",
    "models/b.sql": "SELECT id * 2 AS id FROM a",
    "models/c.sql": '-- @model(materialize="view")\nSELECT id + 1 AS id FROM b',
    "models/other.sql": "SELECT 1 AS x",
}


def built(result) -> set[str]:
    return {n for n, r in result.results.items() if r.status == "success"}


def edit(ws, root: Path, rel: str, text: str) -> None:
    (root / rel).write_text(text)
    ws.reload()


def test_nothing_changed_builds_nothing(make_project, open_ws) -> None:
    ws = open_ws(make_project(CHAIN))
    assert built(ws.run()) == {"a", "b", "c", "other"}
    again = ws.run()
    assert built(again) == set() and set(again.up_to_date) == {"a", "b", "c", "other"}
    assert again.summary().endswith("0 succeeded, 0 failed, 0 skipped, 4 up to date")


def test_whitespace_comment_and_case_edits_are_not_changes(make_project, open_ws) -> None:
    root = make_project(CHAIN)
    ws = open_ws(root)
    ws.run()
    edit(ws, root, "models/b.sql", "-- doubled\nselect   id*2 as ID\n  from A  ;\n")
    assert built(ws.run()) == set()


def test_logic_edit_rebuilds_the_model_and_its_downstream(make_project, open_ws) -> None:
    root = make_project(CHAIN)
    ws = open_ws(root)
    ws.run()
    edit(ws, root, "models/b.sql", "SELECT id * 3 AS id FROM a")
    plan = ws.plan()
    assert {s.model: s.action for s in plan.steps} == {"a": "skip", "b": "build", "c": "build", "other": "skip"}
    assert plan.step("b").reason == "edited since the last build"
    assert plan.step("c").reason == "upstream 'b' was edited since the last build"
    result = ws.run()
    assert built(result) == {"b", "c"}
    assert ws.sql("SELECT max(id) FROM c").fetchone() == (7,)


def test_metadata_edit_does_not_rebuild(make_project, open_ws) -> None:
    root = make_project(CHAIN)
    ws = open_ws(root)
    ws.run()
    edit(ws, root, "models/b.sql", '-- @model(description="doubled", tags=["x"], owner="me")\nSELECT id * 2 AS id FROM a')
    assert built(ws.run()) == set()


def test_upstream_new_data_rebuilds_downstream(make_project, open_ws) -> None:
    ws = open_ws(make_project(CHAIN))
    ws.run()
    ws.run("a", force=True)
    plan = ws.plan()
    assert plan.step("b").reason == "upstream 'a' has new data since the last build"
    assert plan.step("c").action == "build"  # a view over b: b is being rebuilt
    assert built(ws.run()) == {"b", "c"}


def test_edited_view_is_recreated(make_project, open_ws) -> None:
    root = make_project(CHAIN)
    ws = open_ws(root)
    ws.run()
    edit(ws, root, "models/c.sql", '-- @model(materialize="view")\nSELECT id + 100 AS id FROM b')
    assert built(ws.run()) == {"c"}
    assert ws.sql("SELECT min(id) FROM c").fetchone() == (100,)


def test_running_a_model_pulls_in_stale_upstreams(make_project, open_ws) -> None:
    root = make_project(CHAIN)
    ws = open_ws(root)
    ws.run()
    edit(ws, root, "models/a.sql", "SELECT range AS id FROM range(5)")
    plan = ws.plan("b")
    assert plan.step("a").reason == "needed by b: its definition changed since the last build"
    assert built(ws.run("b")) == {"a", "b"}


def test_seed_files_are_checked_by_size_and_mtime(make_project, open_ws) -> None:
    root = make_project({
        "seeds/people.csv": "id,name\n1,ann\n",
        "models/people.sql": "SELECT * FROM read_csv('seeds/people.csv', header = true)",
        "models/count_people.sql": "SELECT count(*) AS n FROM people",
    })
    ws = open_ws(root)
    ws.run()
    assert built(ws.run()) == set()
    assert ws.plan().step("people").reason == "up to date (input files unchanged)"
    seed = root / "seeds/people.csv"
    seed.write_text("id,name\n1,ann\n2,bob\n")
    os.utime(seed, ns=(seed.stat().st_atime_ns, seed.stat().st_mtime_ns + 10_000_000))
    assert ws.plan().step("people").reason == "input file seeds/people.csv changed since the last build"
    assert built(ws.run()) == {"people", "count_people"}
    assert ws.sql("SELECT n FROM count_people").fetchone() == (2,)


def test_python_source_models_rebuild_unless_cached(make_project, open_ws) -> None:
    root = make_project({"models/api.py": """
        from interlace import model

        @model
        def fetched():
            return {"x": [1]}

        @model(cache={"ttl": "1h"})
        def cached():
            return {"x": [2]}
    """})
    ws = open_ws(root)
    ws.run()
    again = ws.run()
    assert built(again) == {"fetched"}
    assert again["fetched"].reason.startswith("a Python source model: rebuilt every run")
    assert ws.plan().step("cached").reason.startswith("cached: built at ")


def test_shop_rebuild_with_no_change_does_no_sql_work(shop: Path, open_ws) -> None:
    ws = open_ws(shop)
    assert ws.run().ok
    second = ws.run()
    assert second.results == {} and len(second.up_to_date) == 7  # no model ran a statement
    write_files(shop, {"models/staging/stg_orders.sql": (shop / "models/staging/stg_orders.sql").read_text()
                       .replace("status\n", "lower(status) AS status\n")})
    ws.reload()
    assert built(ws.run()) == {"stg_orders", "orders", "customers", "daily_revenue", "customer_segments"}


def test_plan_names_the_upstream_that_was_edited_even_after_it_was_rebuilt(make_project, open_ws) -> None:
    root = make_project(CHAIN)
    ws = open_ws(root)
    ws.run()
    edit(ws, root, "models/b.sql", "SELECT id * 3 AS id FROM a")
    ws.run("b")  # b rebuilt on its own: c is now behind it
    assert ws.plan().step("c").reason == "upstream 'b' was edited since the last build"
    assert ws.plan().to_dict()["steps"][0]["upstream"] == []  # a reads nothing
    assert next(s for s in ws.plan().to_dict()["steps"] if s["model"] == "c")["upstream"] == ["b"]


def test_quality_only_leaves_change_detection_alone(make_project, open_ws) -> None:
    files = dict(CHAIN)
    files["models/b.sql"] = '-- @model(quality_checks=[{"not_null": "id"}])\n' + CHAIN["models/b.sql"]
    root = make_project(files)
    ws = open_ws(root)
    ws.run()
    checked = ws.run(quality_only=True)
    assert {m: r.action for m, r in checked.results.items()} == {"b": "check"}
    assert checked.summary().endswith("1 succeeded, 0 failed, 0 skipped, 3 up to date")
    assert [s.action for s in ws.plan().steps] == ["skip"] * 4


def test_a_reset_watermark_rebuilds_the_model(make_project, open_ws) -> None:
    root = make_project({
        "models/raw.sql": "SELECT range AS id, TIMESTAMP '2026-01-01' + INTERVAL (range) HOUR AS at FROM range(3)",
        "models/inc.sql": '-- @model(strategy="append", cursor="at")\nSELECT * FROM raw',
    })
    ws = open_ws(root)
    ws.run()
    assert ws.plan("inc").step("inc").action == "skip"
    assert ws.reset_cursor("inc")
    step = ws.plan("inc").step("inc")
    assert (step.action, step.reason) == ("build", "its watermark was reset: all input rows are read again")
