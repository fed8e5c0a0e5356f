from __future__ import annotations

import warnings

import pytest

from interlace import model
from interlace.errors import InterlaceWarning, ModelDefinitionError
from interlace.project.decorators import collecting, spec_of

HERE = __file__


def test_decorator_records_a_validated_spec() -> None:
    @model(materialise="view", tags="marts", primary_key=["id", "region"], owner="ana")
    def orders(raw_orders, customers):
        """Orders joined to customers."""
        return raw_orders

    spec = spec_of(orders)
    assert spec is not None
    assert spec.name == "orders"
    assert spec.kind == "python"
    assert spec.materialize == "view"
    assert spec.config.primary_key == ("id", "region")
    assert spec.tags == ("marts",)
    assert spec.dependencies == ("raw_orders", "customers")
    assert spec.config.description == "Orders joined to customers."
    assert spec.origin.path == HERE
    assert spec.origin.line == test_decorator_records_a_validated_spec.__code__.co_firstlineno + 1
    assert orders(1, 2) == 1  # still a plain function


def test_bare_decorator_and_collecting() -> None:
    with collecting() as specs:
        @model
        def a():
            return {"x": [1]}

        @model(name="b_renamed", dependencies=["a"])
        def b(a):
            return a

    assert [s.name for s in specs] == ["a", "b_renamed"]
    assert specs[1].dependencies == ("a",)


def test_parameters_with_defaults_are_not_dependencies() -> None:
    @model
    def m(upstream, limit=10):
        return upstream

    assert spec_of(m).dependencies == ("upstream",)  # type: ignore[union-attr]


def test_unknown_keyword_lists_valid_ones_and_suggests() -> None:
    with pytest.raises(ModelDefinitionError) as exc:
        @model(materalize="table")
        def m():
            return None
    line = exc.value.origin
    assert str(exc.value) == (
        f"model 'm' ({line}): unknown keyword 'materalize' in @model. Did you mean 'materialize'?\n"
        "Fix: use one of: name, schema, connection, materialize, strategy, primary_key, dependencies, "
        "cursor, fields, strict, column_mapping, schema_mode, quality_checks, cache, schedule, "
        "retry_policy, export, tags, description, columns, owner, delete_mode, scd2"
    )
    assert line is not None and line.startswith(HERE + ":")


def test_unknown_value_lists_valid_ones() -> None:
    with pytest.raises(ModelDefinitionError) as exc:
        @model(strategy="upsert")
        def m():
            return None
    assert exc.value.message == (
        "keyword 'strategy' must be one of 'replace', 'append', 'merge_by_key', 'scd_type_2', 'none' "
        "(got 'upsert')"
    )
    assert exc.value.hint == "correct 'strategy=' in @model"


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"materialize": "tabel"}, "keyword 'materialize' must be one of 'table', 'view', 'ephemeral', 'none' (got 'tabel')"),
        ({"primary_key": 3}, "keyword 'primary_key' must be a string or a list of strings (got 3)"),
        ({"strict": "yes"}, "keyword 'strict' must be True or False (got 'yes')"),
        ({"schema": "my schema"}, "keyword 'schema' must be a name of letters, digits and underscores, not starting with a digit (got 'my schema')"),
        ({"cache": {"ttl": "7 days"}}, "keyword 'cache' key 'ttl' must be a duration like '30s', '15m', '6h', '7d' or '2w' (got '7 days')"),
        ({"schedule": {"cron": "0 6 * * *", "every": "1h"}}, "keyword 'schedule' needs exactly one of 'cron' or 'every'"),
        ({"schedule": {"cron": "0 25 * * *"}}, "keyword 'schedule' has an invalid cron expression '0 25 * * *': use five fields, minute hour day month weekday, such as '0 6 * * *' (06:00 every day)"),
        ({"schedule": {"every": "15m", "timezone": "UTC"}}, "keyword 'schedule' 'timezone' applies to 'cron' only ('every' counts real seconds)"),
        ({"export": {"format": "xlsx", "path": "x"}}, "keyword 'export' key 'format' must be one of 'parquet', 'csv', 'json' (got 'xlsx')"),
        ({"fields": {"id": 1}}, "keyword 'fields' must be a mapping of strings to strings (got {'id': 1})"),
        ({"strategy": "merge_by_key"}, "strategy 'merge_by_key' needs a primary_key"),
        ({"materialize": "view", "strategy": "append"}, "strategy 'append' needs materialize='table' (this model is 'view')"),
        ({"materialize": "view", "materialise": "table"}, "keyword 'materialize' is given twice (once as 'materialise')"),
        ({"cursor": "updated_at"}, "cursor='updated_at' needs strategy 'append', 'merge_by_key' or 'scd_type_2' (with 'replace', each run would keep only the new rows)"),
    ],
)
def test_bad_values_are_rejected_with_the_reason(keywords: dict, message: str) -> None:
    with pytest.raises(ModelDefinitionError) as exc:
        @model(**keywords)
        def m():
            return None
    assert exc.value.message == message
    assert exc.value.model == "m"


def test_bad_model_name() -> None:
    with pytest.raises(ModelDefinitionError) as exc:
        @model(name="2fast")
        def m():
            return None
    assert exc.value.message.startswith("keyword 'name' must be a name of letters")


def test_star_args_are_rejected() -> None:
    with pytest.raises(ModelDefinitionError, match=r"parameter 'ups' is \*args/\*\*kwargs"):
        @model
        def m(*ups):
            return None


def test_parameter_outside_declared_dependencies() -> None:
    with pytest.raises(ModelDefinitionError, match=r"parameter\(s\) b are not among dependencies=\['a'\]"):
        @model(dependencies=["a"])
        def m(a, b):
            return None


def test_retry_policy_is_acted_on_so_it_no_longer_warns(make_project, open_ws) -> None:
    root = make_project({"models/m.sql": '-- @model(retry_policy={"max_attempts": 3})\nSELECT 1 AS x'})
    with warnings.catch_warnings():
        warnings.simplefilter("error", InterlaceWarning)
        ws = open_ws(root)
        assert ws.run(force=True).status == "success"
