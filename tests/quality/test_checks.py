from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlace.errors import CheckFailedError, ConfigError, ModelDefinitionError
from interlace.quality.checks import CheckDefinitionError, parse_check
from tests.conftest import run_cli, write_files

DATA = "SELECT * FROM (VALUES (1, 'a', 10.0, 'x@y.z', 1), (2, 'b', -5.0, 'nope', 1), (3, NULL, 7.0, 'q@r.s', 9)) t(id, status, amount, email, parent_id)"


@pytest.mark.parametrize(("check", "failing"), [
    ({"not_null": "status"}, 1),
    ({"not_null": ["status", "id"]}, 1),
    ({"unique": "parent_id"}, 1),
    ({"unique": ["id", "parent_id"]}, 0),
    ({"accepted_values": {"column": "status", "values": ["a", "c"]}}, 1),
    ({"relationships": {"column": "parent_id", "to": "parents", "field": "id"}}, 1),
    ({"row_count": {"min": 5}}, 1),
    ({"row_count": {"min": 1, "max": 3}}, 0),
    ({"freshness": {"column": "seen", "max_age": "1d"}}, 1),
    ({"range": {"column": "amount", "min": 0}}, 1),
    ({"range": {"column": "amount", "min": -10, "max": 10}}, 0),
    ({"pattern": {"column": "email", "regex": "^[^@]+@[^@]+$"}}, 1),
    ({"expression": "amount > 0 OR status = 'b'"}, 0),
    ({"expression": "amount > 0"}, 1),
    ({"sql": "SELECT * FROM t WHERE id > 1"}, 2),
])
def test_each_check_type(check: dict, failing: int, make_project, open_ws) -> None:
    check = {**check, "severity": "warn"}
    root = make_project({
        "models/parents.sql": "SELECT 1 AS id",
        "models/t.sql": f"-- @model(quality_checks=[{check!r}])\nSELECT *, TIMESTAMP '2020-01-01' AS seen FROM ({DATA})",
    })
    ws = open_ws(root)
    result = ws.run()
    assert result.ok, result.errors
    [outcome] = result["t"].checks
    assert (outcome.status, outcome.failing) == ("fail" if failing else "pass", failing)
    assert len(outcome.samples) == min(failing, 10)
    if failing:
        assert outcome.sql and ws.sql(f"SELECT count(*) FROM ({outcome.sql})").fetchone() == (failing,)


def test_error_check_fails_the_model_keeps_the_old_table_and_skips_downstream(make_project, open_ws) -> None:
    root = make_project({
        "models/t.sql": "-- @model(quality_checks=['not_null(v)'])\nSELECT 1 AS v",
        "models/after.sql": "SELECT * FROM t",
        "models/other.sql": "SELECT 2 AS w",
    })
    ws = open_ws(root)
    assert ws.run().ok
    write_files(root, {"models/t.sql": "-- @model(quality_checks=['not_null(v)'])\nSELECT * FROM (VALUES (NULL), (2)) x(v)"})
    ws.reload()
    result = ws.run()
    assert {n: r.status for n, r in result.results.items()} == {"t": "failed", "after": "skipped"}
    assert result.up_to_date == ("other",)
    error = result["t"].error
    assert isinstance(error, CheckFailedError)
    assert str(error) == (
        "model 't' (models/t.sql:1): 1 quality check of severity error failed; the new data was not written\n"
        "  not_null(v): 1 failing row\n"
        "Fix: fix the data or the model (`interlace quality t` shows failing rows), or set severity='warn' on the check"
    )
    assert ws.sql("SELECT v FROM t").fetchall() == [(1,)]  # the failing data never landed
    stored = [r.to_dict() for r in ws.quality_results("t")]
    assert [(r["check_name"], r["status"], r["failing"]) for r in stored] == [("not_null(v)", "fail", 1)]
    assert stored[0]["samples"] == [{"v": None}]


def test_checks_from_config_defaults_and_per_model(make_project, open_ws) -> None:
    root = make_project({
        "config.yaml": "quality:\n  defaults:\n    - row_count: {min: 1}\n  models:\n    t:\n      - unique: id\n",
        "models/t.sql": "SELECT 1 AS id",
        "models/eph.sql": '-- @model(materialize="ephemeral")\nSELECT 1 AS id',
    })
    result = open_ws(root).run()
    assert [c.check.name for c in result["t"].checks] == ["unique(id)", "row_count(min=1)"]


def test_config_check_on_unknown_model(make_project, open_ws) -> None:
    root = make_project({"config.yaml": "quality:\n  models:\n    tt:\n      - unique: id\n", "models/t.sql": "SELECT 1 AS id"})
    with pytest.raises(ConfigError) as exc:
        open_ws(root).models  # noqa: B018
    assert str(exc.value) == (f"{root / 'config.yaml'}: key 'quality.models.tt' names no model. Did you mean 't'?\n"
                              "Fix: use the name of a model of this project")


def test_unknown_check_type_lists_the_valid_ones() -> None:
    with pytest.raises(CheckDefinitionError) as exc:
        parse_check({"not_nul": "id"})
    assert str(exc.value) == ("unknown check type 'not_nul'. Did you mean 'not_null'? Valid types: not_null, unique, "
                              "accepted_values, relationships, row_count, freshness, range, pattern, expression, sql")


def test_bad_check_in_a_header_names_model_and_keyword() -> None:
    from interlace.project.sql_header import parse_sql_models

    with pytest.raises(ModelDefinitionError) as exc:
        parse_sql_models('-- @model(quality_checks=[{"range": {"column": "x"}}])\nSELECT 1 AS x', path="models/m.sql", stem="m")
    assert str(exc.value).startswith("model 'm' (models/m.sql:1): keyword 'quality_checks' check 'range' needs 'min', 'max' or both")


def test_check_on_missing_column_and_malformed_sql_fail_only_their_model(make_project, open_ws) -> None:
    root = make_project({
        "models/a.sql": "-- @model(quality_checks=['not_null(amont)'])\nSELECT 1 AS amount",
        "models/b.sql": "-- @model(quality_checks=[\"expression('amount > > 0')\"])\nSELECT 1 AS amount",
        "models/c.sql": "SELECT 1 AS fine",
    })
    result = open_ws(root).run()
    assert result["c"].status == "success"
    [a] = result["a"].checks
    assert a.status == "error"
    assert a.message == "column 'amont' does not exist in main.a. Did you mean 'amount'? Its columns: amount"
    assert "  not_null(amont): column 'amont' does not exist in main.a." in str(result["a"].error)
    [b] = result["b"].checks
    assert b.status == "error" and b.message.startswith("the check's SQL failed: Parser Error: syntax error at or near")


def test_quality_only_rechecks_without_building(make_project, open_ws) -> None:
    root = make_project({"models/t.sql": "-- @model(quality_checks=[{'row_count': {'max': 1}, 'severity': 'warn'}])\nSELECT 1 AS x"})
    ws = open_ws(root)
    ws.run()
    ws.sql("INSERT INTO t VALUES (2)")
    result = ws.run(quality_only=True)
    assert result["t"].action == "check"
    [check] = result["t"].checks
    assert (check.status, check.samples) == ("fail", ({"row_count": 2},))
    assert ws.sql("SELECT count(*) FROM t").fetchone() == (2,)  # nothing was rebuilt


def test_quality_cli_and_run_badges(shop: Path) -> None:
    ran = run_cli("run", "-d", str(shop))
    assert ran.returncode == 0, ran.stderr
    assert "stg_orders  table  300 rows" in ran.stdout and "checks 2 ✓ 1 warn" in ran.stdout
    assert "warn stg_orders: accepted_values(status) — 45 failing rows" in ran.stdout
    shown = run_cli("quality", "stg_orders", "--json", "-d", str(shop))
    rows = {r["check_name"]: r for r in json.loads(shown.stdout)}
    assert rows["accepted_values(status)"]["failing"] == 45
    assert len(rows["accepted_values(status)"]["samples"]) == 10
    assert {r["status"] for r in rows.values()} == {"fail", "pass"}
    again = run_cli("run", "--quality-only", "customers", "-d", str(shop))
    assert again.returncode == 0 and "checks 4 ✓" in again.stdout
