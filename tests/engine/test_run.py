from __future__ import annotations

import threading
from pathlib import Path

import pytest

from interlace.errors import ExecutionError


def test_shop_builds_end_to_end(shop: Path, open_ws) -> None:
    ws = open_ws(shop)
    result = ws.run()
    assert result.ok, result.errors
    assert result.succeeded == 7 and result.failed == 0
    assert result["stg_orders"].rows == 300
    assert result["customers"].rows == 100
    kinds = dict(ws.sql("SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'main'").fetchall())
    assert kinds == {
        "stg_customers": "VIEW", "stg_orders": "BASE TABLE", "orders": "BASE TABLE",
        "customers": "BASE TABLE", "payments_by_method": "BASE TABLE", "daily_revenue": "VIEW",
        "customer_segments": "BASE TABLE",
    }  # stg_payments is ephemeral: never persisted
    paid = ws.sql("SELECT round(sum(amount), 2) FROM orders").fetchone()[0]
    raw = ws.sql("SELECT round(sum(amount) / 100.0, 2) FROM read_csv('seeds/raw_payments.csv')").fetchone()[0]
    assert paid == raw
    assert ws.sql("SELECT sum(customers) FROM customer_segments").fetchone()[0] == 100


def test_running_a_model_builds_what_it_needs(make_project, open_ws) -> None:
    root = make_project({
        "models/a.sql": "SELECT 1 AS x",
        "models/b.sql": "SELECT x + 1 AS x FROM a",
        "models/c.sql": "SELECT x + 1 AS x FROM b",
    })
    ws = open_ws(root)
    first = ws.run("c")
    assert [s.model for s in first.results.values()] == ["a", "b", "c"]
    assert first["a"].reason == "needed by b: its table does not exist yet"
    assert ws.sql("SELECT x FROM c").fetchone() == (3,)
    second = ws.run("c")
    assert list(second.results) == [] and second.up_to_date == ("c",)
    forced = ws.run("c", force=True)
    assert list(forced.results) == ["c"]


def test_failed_model_skips_downstream_and_independent_branch_goes_on(make_project, open_ws) -> None:
    root = make_project({
        "models/a.sql": "SELECT 1 AS x",
        "models/bad.sql": "SELECT x, no_such_column FROM a",
        "models/after_bad.sql": "SELECT * FROM bad",
        "models/after_after.sql": "SELECT * FROM after_bad",
        "models/good.sql": "SELECT x FROM a",
    })
    ws = open_ws(root)
    result = ws.run()
    assert result.status == "failed"
    statuses = {n: r.status for n, r in result.results.items()}
    assert statuses == {"a": "success", "bad": "failed", "after_bad": "skipped", "after_after": "skipped", "good": "success"}
    assert result["after_bad"].skip_reason == "upstream_failed"
    assert result["after_bad"].reason == "upstream model 'bad' failed"
    error = result["bad"].error
    assert isinstance(error, ExecutionError)
    text = str(error)
    assert text.startswith("model 'bad' (models/bad.sql:1): DuckDB error: Binder Error: Referenced column \"no_such_column\" not found")
    assert text.endswith("Fix: fix the model's SQL (the message above is DuckDB's)")
    rows = [r.to_dict() for r in ws.model_runs(run_id=result.run_id)]
    assert {r["model"]: (r["status"], r["skip_reason"]) for r in rows} == {
        "a": ("success", None), "bad": ("failed", None), "after_bad": ("skipped", "upstream_failed"),
        "after_after": ("skipped", "upstream_failed"), "good": ("success", None),
    }
    assert ws.run_record(result.run_id).status == "failed"


def test_failing_replace_leaves_the_table_as_before(make_project, open_ws) -> None:
    root = make_project({"models/t.sql": "SELECT range AS x FROM range(5)"})
    ws = open_ws(root)
    assert ws.run().ok
    (root / "models/t.sql").write_text("SELECT CAST(CASE WHEN r.n < 3 THEN '1' ELSE 'oops' END AS INTEGER) AS y FROM range(10) AS r(n)")
    ws.reload()
    result = ws.run()
    assert result["t"].status == "failed"
    assert "Conversion Error" in str(result["t"].error)
    assert ws.sql("SELECT count(*), sum(x) FROM t").fetchone() == (5, 10)
    assert [c for c, _ in ws.columns("t")] == ["x"]
    assert len(ws.schema_history("t")) == 1


def test_failing_append_adds_no_rows(make_project, open_ws) -> None:
    root = make_project({
        "models/events.py": """
            from interlace import model

            FAIL = False

            @model(strategy="append")
            def events():
                def rows():
                    for i in range(200_000):
                        if FAIL and i == 150_000:
                            raise RuntimeError("source went away")
                        yield {"id": i}
                return rows()
        """,
    })
    ws = open_ws(root)
    assert ws.run().ok
    assert ws.sql("SELECT count(*) FROM events").fetchone() == (200_000,)
    import sys

    sys.modules["interlace_models.models.events"].FAIL = True
    ws.project.models["events"].func.__globals__["FAIL"] = True
    result = ws.run()
    assert result["events"].status == "failed"
    assert "source went away" in str(result["events"].error)
    assert ws.sql("SELECT count(*) FROM events").fetchone() == (200_000,)


def test_python_error_shows_only_user_traceback(make_project, open_ws) -> None:
    root = make_project({
        "models/boom.py": """
            from interlace import model


            def helper(x):
                return 1 / x


            @model
            def boom():
                return {"x": [helper(0)]}
        """,
        "models/fine.sql": "SELECT 1 AS ok",
    })
    ws = open_ws(root)
    result = ws.run()
    assert result["fine"].status == "success"
    error = result["boom"].error
    assert error is not None
    assert error.message == "the Python model raised ZeroDivisionError: division by zero"
    assert str(error.origin) == "models/boom.py:8"
    details = error.details or ""
    assert 'boom.py", line 10, in boom' in details and 'boom.py", line 5, in helper' in details
    assert "ZeroDivisionError: division by zero" in details
    assert "interlace/engine" not in details and "concurrent/futures" not in details


def test_unsupported_return_type(make_project, open_ws) -> None:
    root = make_project({"models/odd.py": "from interlace import model\n\n@model\ndef odd():\n    return 42\n"})
    result = open_ws(root).run()
    assert str(result["odd"].error) == (
        "model 'odd' (models/odd.py:3): returned a builtins.int; a model must return an ibis table "
        "expression, a pandas or polars DataFrame, a pyarrow Table, RecordBatch or RecordBatchReader, "
        "a DuckDB relation, a list of dicts, a dict of lists, a generator of rows (dicts) or batches, "
        "or None\nFix: convert the result to one of the supported types"
    )


RETURN_TYPES = {
    "ibis": "return src.mutate(y=src.x * 2)",
    "pandas": "import pandas as pd\n    return pd.DataFrame({'x': [1, 2, 3], 'y': [2, 4, 6]})",
    "polars": "import polars as pl\n    return pl.DataFrame({'x': [1, 2, 3], 'y': [2, 4, 6]})",
    "arrow_table": "import pyarrow as pa\n    return pa.table({'x': [1, 2, 3], 'y': [2, 4, 6]})",
    "record_batch": "import pyarrow as pa\n    return pa.record_batch({'x': [1, 2, 3], 'y': [2, 4, 6]})",
    "reader": "import pyarrow as pa\n    t = pa.table({'x': [1, 2, 3], 'y': [2, 4, 6]})\n    return pa.RecordBatchReader.from_batches(t.schema, t.to_batches())",
    "list_of_dicts": "return [{'x': i, 'y': 2 * i} for i in (1, 2, 3)]",
    "dict_of_lists": "return {'x': [1, 2, 3], 'y': [2, 4, 6]}",
    "row_generator": "return ({'x': i, 'y': 2 * i} for i in (1, 2, 3))",
    "batch_generator": "import pyarrow as pa\n    return (pa.record_batch({'x': [i], 'y': [2 * i]}) for i in (1, 2, 3))",
    "dataframe_generator": "import pandas as pd\n    return (pd.DataFrame({'x': [i], 'y': [2 * i]}) for i in (1, 2, 3))",
    "duckdb_relation": "import duckdb\n    return duckdb.sql('SELECT range + 1 AS x, 2 * (range + 1) AS y FROM range(3)')",
}


@pytest.mark.parametrize("kind", sorted(RETURN_TYPES))
def test_every_supported_return_type(kind: str, make_project, open_ws) -> None:
    root = make_project({
        "models/src.sql": "SELECT * FROM (VALUES (1), (2), (3)) AS t(x)",
        "models/out.py": f"from interlace import model\n\n@model\ndef out(src):\n    {RETURN_TYPES[kind]}\n",
    })
    ws = open_ws(root)
    result = ws.run()
    assert result.ok, result.errors
    assert ws.sql("SELECT x, y FROM out ORDER BY x").fetchall() == [(1, 2), (2, 4), (3, 6)]


def test_in_memory_results_reach_downstream_models(make_project, open_ws) -> None:
    root = make_project({
        "models/fetch.py": """
            from interlace import model

            @model(materialize="ephemeral")
            def fetched():
                return {"id": [1, 2, 3]}

            @model(materialize="none")
            def side_effect(fetched):
                return fetched.filter(fetched.id > 1)
        """,
        "models/from_ephemeral.sql": "SELECT count(*) AS n FROM fetched",
        "models/from_none.sql": "SELECT sum(id) AS s FROM side_effect",
    })
    ws = open_ws(root)
    result = ws.run()
    assert result.ok, result.errors
    assert ws.sql("SELECT n FROM from_ephemeral").fetchone() == (3,)
    assert ws.sql("SELECT s FROM from_none").fetchone() == (5,)
    tables = {r[0] for r in ws.sql("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
    assert tables == {"from_ephemeral", "from_none"}


def test_ephemeral_sql_is_inlined_for_sql_and_python_readers(make_project, open_ws) -> None:
    root = make_project({
        "models/eph.sql": '-- @model(materialize="ephemeral")\nSELECT range AS id FROM range(4)',
        "models/sql_reader.sql": "SELECT count(*) AS n FROM eph AS e WHERE e.id > 0",
        "models/py_reader.py": "from interlace import model\n\n@model\ndef py_reader(eph):\n    return eph.aggregate(n=eph.count())\n",
    })
    ws = open_ws(root)
    assert ws.run().ok
    assert ws.sql("SELECT n FROM sql_reader").fetchone() == (3,)
    assert ws.sql("SELECT n FROM py_reader").fetchone() == (4,)
    assert (ws.engine.database, "main", "eph") not in ws.engine.relations()


def test_models_in_other_schemas_are_referenced_by_bare_name(make_project, open_ws) -> None:
    root = make_project({
        "models/a.sql": '-- @model(schema="staging")\nSELECT 1 AS x',
        "models/b.sql": "SELECT x FROM a",
        "models/c.sql": "SELECT x FROM staging.a",
    })
    ws = open_ws(root)
    assert ws.run().ok
    assert ws.sql("SELECT x FROM staging.a").fetchone() == (1,)
    assert ws.sql("SELECT x FROM b").fetchone() == (1,)
    assert ws.sql("SELECT x FROM c").fetchone() == (1,)


def test_view_can_become_a_table_and_back(make_project, open_ws) -> None:
    root = make_project({"models/m.sql": '-- @model(materialize="view")\nSELECT 1 AS x'})
    ws = open_ws(root)
    assert ws.run().ok
    (root / "models/m.sql").write_text('-- @model(materialize="table")\nSELECT 2 AS x')
    ws.reload()
    assert ws.run().ok
    assert ws.engine.kind(ws.project.relation(ws.models["m"])) == "table"
    (root / "models/m.sql").write_text('-- @model(materialize="view")\nSELECT 3 AS x')
    ws.reload()
    assert ws.run().ok
    assert ws.sql("SELECT x FROM m").fetchone() == (3,)


def test_append_strategy_adds_rows(make_project, open_ws) -> None:
    root = make_project({"models/log.sql": '-- @model(strategy="append")\nSELECT 1 AS x'})
    ws = open_ws(root)
    first = ws.run()
    second = ws.run(force=True)
    assert first["log"].inserted == 1 and second["log"].inserted == 1
    assert ws.sql("SELECT count(*) FROM log").fetchone() == (2,)


def test_fields_and_column_mapping(make_project, open_ws) -> None:
    root = make_project({
        "models/typed.sql": '-- @model(column_mapping={"a": "amount"}, fields={"amount": "DECIMAL(10,2)", "id": "INTEGER"}, strict=True)\nSELECT 1 AS id, 2.5 AS a',
        "models/loose.sql": '-- @model(fields={"id": "VARCHAR"}, strict=True)\nSELECT 1 AS id, 2 AS extra',
    })
    ws = open_ws(root)
    result = ws.run()
    assert ws.columns("typed") == [("id", "INTEGER"), ("amount", "DECIMAL(10,2)")]
    assert result["loose"].error is not None
    assert result["loose"].error.message == "the output does not match fields=: not declared (strict=True) extra"


def test_table_model_returning_none(make_project, open_ws) -> None:
    root = make_project({"models/m.py": "from interlace import model\n\n@model\ndef m():\n    return None\n"})
    result = open_ws(root).run()
    assert result["m"].error.message == "returned None, but materialize='table' needs rows"


def test_independent_models_run_in_parallel(make_project, open_ws) -> None:
    files = {f"models/slow_{i}.py": f"""
        import threading, time
        from interlace import model

        @model
        def slow_{i}():
            start = time.monotonic()
            time.sleep(0.3)
            return {{"start": [start], "end": [time.monotonic()], "thread": [threading.get_ident()]}}
    """ for i in range(4)}
    ws = open_ws(make_project(files))
    assert ws.run(max_workers=4).ok
    spans = [ws.sql(f"SELECT start, \"end\", thread FROM slow_{i}").fetchone() for i in range(4)]
    overlapping = sum(1 for a in spans for b in spans if a is not b and a[0] < b[1] and b[0] < a[1])
    assert overlapping > 0
    assert len({s[2] for s in spans}) > 1


def test_events_and_a_broken_listener(make_project, open_ws, caplog) -> None:
    root = make_project({"models/a.sql": "SELECT 1 AS x", "models/b.sql": "SELECT * FROM a"})
    ws = open_ws(root)
    seen: list[tuple[str, str | None]] = []
    ws.events.subscribe(lambda e: seen.append((e.type, e.model)))
    ws.events.subscribe(lambda e: 1 / 0)
    result = ws.run()
    assert result.ok
    assert seen[0] == ("run.started", None)
    assert seen[-1] == ("run.finished", None)
    # b reads a, so it starts after a; both share one transaction (interlace.engine.groups), so
    # their model.finished events come in order when it commits
    assert seen.index(("model.started", "a")) < seen.index(("model.started", "b"))
    assert seen.index(("model.finished", "a")) < seen.index(("model.finished", "b"))
    assert "event handler" in caplog.text


def test_cancel_interrupts_and_rolls_back(make_project, open_ws) -> None:
    root = make_project({"models/big.sql": "SELECT count(*) AS n FROM range(100000000000)"})
    ws = open_ws(root)
    from interlace.options import RunOptions

    run = ws.prepare_run(RunOptions())
    started = threading.Event()
    ws.events.subscribe(lambda e: started.set(), types=["model.started"])
    holder: dict = {}
    thread = threading.Thread(target=lambda: holder.setdefault("result", run.execute()))
    thread.start()
    assert started.wait(30)
    run.cancel()
    thread.join(60)
    result = holder["result"]
    assert result.status == "cancelled"
    assert result["big"].status == "cancelled"
    assert not ws.engine.exists(ws.project.relation(ws.models["big"]))
    assert ws.run_record(result.run_id).status == "cancelled"


def test_state_records_runs_models_and_schema_history(make_project, open_ws) -> None:
    root = make_project({"models/m.sql": "SELECT 1 AS a"})
    ws = open_ws(root)
    first = ws.run()
    (root / "models/m.sql").write_text("SELECT 1 AS a, 'x' AS b")
    ws.reload()
    ws.run()
    (root / "models/m.sql").write_text("SELECT 'one' AS a, 'x' AS b")
    ws.reload()
    ws.run()
    history = ws.schema_history("m")
    assert [v.version for v in history] == [3, 2, 1]
    assert history[0].changes == {"added": [], "removed": [], "retyped": [["a", "INTEGER", "VARCHAR"]]}
    assert history[1].changes == {"added": [["b", "VARCHAR"]], "removed": [], "retyped": []}
    assert history[2].changes == {"created": True}
    catalog = ws.catalog()["m"]
    assert catalog.relation == "main.m" and catalog.materialize == "table"
    assert catalog.fingerprint == ws.plan("m").step("m").fingerprint  # recorded, not NULL
    assert ws.runs.history()[-1].run_id == first.run_id


def test_two_thousand_model_dag_runs(make_project, open_ws) -> None:
    files = {"models/m0000.sql": "SELECT 1 AS x"}
    for i in range(1, 2000):
        parents = sorted({(i - 1) // 2, max(i - 7, 0)})
        files[f"models/m{i:04d}.sql"] = "SELECT " + " + ".join(f"m{p:04d}.x" for p in parents) + " AS x FROM " + ", ".join(f"m{p:04d}" for p in parents)
    ws = open_ws(make_project(files))
    result = ws.run()
    assert result.ok, result.errors[:1]
    assert result.succeeded == 2000


def test_no_transaction_is_left_open_so_checkpoints_can_happen(shop: Path, open_ws) -> None:
    # a result read only in part (fetchone) keeps its transaction open; DuckDB then refuses to
    # checkpoint and the write-ahead log grows until the workspace closes
    ws = open_ws(shop)
    assert ws.run().ok
    ws.lineage()
    ws.plan_diff(ws.plan())
    ws.run(quality_only=True)
    ws.engine.cursor().execute("CHECKPOINT")  # raises "other write transactions active" otherwise
