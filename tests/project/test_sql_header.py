from __future__ import annotations

import pytest

from interlace.errors import ModelDefinitionError, ModelParseError
from interlace.project.sql_header import parse_sql_models


def parse(text: str, stem: str = "m"):
    return parse_sql_models(text, path=f"models/{stem}.sql", stem=stem)


def test_file_without_header_is_one_model_named_after_the_stem() -> None:
    [spec] = parse("SELECT * FROM raw_orders;\n", stem="stg_orders")
    assert spec.name == "stg_orders"
    assert spec.materialize == "table"
    assert spec.sql == "SELECT * FROM raw_orders"
    assert spec.dependencies == ("raw_orders",)
    assert str(spec.origin) == "models/stg_orders.sql:1"


def test_header_continues_over_comment_lines() -> None:
    [spec] = parse(
        "-- a leading comment is fine\n"
        '-- @model(materialize="view",\n'
        '--        tags=["a", "b"], primary_key=["id", "region"])\n'
        "SELECT id FROM src\n"
    )
    assert spec.materialize == "view"
    assert spec.tags == ("a", "b")
    assert spec.config.primary_key == ("id", "region")
    assert spec.origin.line == 2


def test_several_models_per_file() -> None:
    specs = parse(
        '-- @model(name="a")\nSELECT 1 AS x\n\n'
        '-- @model(name="b", materialize="view")\nSELECT x FROM a\n'
    )
    assert [(s.name, s.origin.line, s.dependencies) for s in specs] == [("a", 1, ()), ("b", 4, ("a",))]


def test_explicit_dependencies_override_inference() -> None:
    [spec] = parse('-- @model(dependencies=["x", "y"])\nSELECT * FROM z\n')
    assert spec.dependencies == ("x", "y")


def test_malformed_header_names_file_and_line() -> None:
    with pytest.raises(ModelParseError) as exc:
        parse('\n\n-- @model(materialize="table",\n--   tags=["a"\nSELECT 1\n', stem="bad")
    assert str(exc.value) == (
        "models/bad.sql:4: malformed -- @model header: '[' was never closed\n"
        '  --   tags=["a"\n'
        "Fix: write the header as -- @model(keyword=value, ...) with literal values, continuing it on "
        "following lines that start with --"
    )


def test_header_values_must_be_literals() -> None:
    with pytest.raises(ModelParseError) as exc:
        parse('-- @model(tags=__import__("os").listdir("/"))\nSELECT 1\n', stem="evil")
    assert str(exc.value) == (
        "models/evil.sql:1: keyword 'tags' in the -- @model header is not a literal value: "
        "__import__('os').listdir('/')\n"
        "Fix: use only literals (strings, numbers, True/False/None, lists, dicts)"
    )


def test_unknown_keyword_in_header() -> None:
    with pytest.raises(ModelDefinitionError) as exc:
        parse('-- @model(materalize="table")\nSELECT 1\n', stem="x")
    assert str(exc.value).startswith(
        "model 'x' (models/x.sql:1): unknown keyword 'materalize' in the -- @model header. "
        "Did you mean 'materialize'?\nFix: use one of: name, schema,"
    )


def test_unknown_strategy_in_header() -> None:
    with pytest.raises(ModelDefinitionError) as exc:
        parse('-- @model(strategy="upsert")\nSELECT 1\n', stem="x")
    assert str(exc.value) == (
        "model 'x' (models/x.sql:1): keyword 'strategy' must be one of 'replace', 'append', "
        "'merge_by_key', 'scd_type_2', 'none' (got 'upsert')\n"
        "Fix: correct 'strategy=' in the -- @model header"
    )


def test_multi_model_file_needs_names() -> None:
    with pytest.raises(ModelDefinitionError) as exc:
        parse('-- @model(name="a")\nSELECT 1\n-- @model(materialize="view")\nSELECT 2\n', stem="two")
    assert str(exc.value) == (
        "models/two.sql:3: this file declares 2 models, and the header at line 3 has no name=\n"
        'Fix: give every header in a multi-model file its own name="..."'
    )


def test_sql_before_header() -> None:
    with pytest.raises(ModelParseError, match=r"models/m.sql:1: SQL appears before the first -- @model header"):
        parse('SELECT 0\n-- @model(name="a")\nSELECT 1\n')


def test_empty_body() -> None:
    with pytest.raises(ModelDefinitionError, match="the model has no SQL after its header"):
        parse('-- @model(materialize="view")\n\n')


def test_sql_syntax_error_points_at_the_file_line() -> None:
    with pytest.raises(ModelParseError) as exc:
        parse('-- @model()\nSELECT a,\n  FROM WHERE x\n', stem="broken")
    assert str(exc.value.origin) == "models/broken.sql:3"
    assert exc.value.message.startswith("SQL does not parse:")


def test_two_statements_are_not_one_model() -> None:
    with pytest.raises(ModelParseError, match="the model holds 2 SQL statements; a model is one query"):
        parse("SELECT 1; SELECT 2")


def test_side_effect_model_may_hold_several_statements() -> None:
    [spec] = parse('-- @model(materialize="none")\nCREATE TABLE IF NOT EXISTS log(x INT);\nINSERT INTO log SELECT x FROM src;\n')
    assert spec.dependencies == ("src",)
