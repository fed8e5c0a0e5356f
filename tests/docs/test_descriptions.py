"""Column descriptions: the ``columns=`` keyword and inheritance through lineage (a pure pass)."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlace import model
from interlace.errors import ModelDefinitionError
from interlace.lineage.descriptions import ColumnDescription, column_descriptions
from interlace.project.sql_header import parse_sql_models

ORDER = ["raw", "stg", "mart"]


def test_a_column_passed_through_inherits_down_a_chain() -> None:
    own = {"raw": {"id": "The order's id", "amount": "In cents"}}
    edges = [("stg", "id", "raw", "id", "value"), ("mart", "id", "stg", "id", "value")]
    out = column_descriptions(own, ORDER, edges)
    assert out["stg"]["id"] == ColumnDescription("The order's id", ("raw", "id"))
    assert out["mart"]["id"] == ColumnDescription("The order's id", ("raw", "id"))  # the original owner
    assert out["raw"]["id"] == ColumnDescription("The order's id", None) and not out["raw"]["id"].inherited


def test_an_own_description_wins_and_is_inherited_from_there() -> None:
    own = {"raw": {"id": "Raw id"}, "stg": {"id": "The cleaned id"}}
    edges = [("stg", "id", "raw", "id", "value"), ("mart", "id", "stg", "id", "value")]
    out = column_descriptions(own, ORDER, edges)
    assert out["stg"]["id"] == ColumnDescription("The cleaned id")
    assert out["mart"]["id"] == ColumnDescription("The cleaned id", ("stg", "id"))


@pytest.mark.parametrize("edges", [
    [("stg", "total", "raw", "amount", "value")],  # renamed: computed from it, maybe
    [("stg", "amount", "raw", "amount", "value"), ("stg", "amount", "raw", "fee", "value")],  # two inputs
    [("stg", "amount", "raw", "amount", "filter")],  # only read in a WHERE
])
def test_a_column_not_passed_through_inherits_nothing(edges: list[tuple[str, str, str, str, str]]) -> None:
    out = column_descriptions({"raw": {"amount": "In cents", "fee": "A fee"}}, ORDER, edges)
    assert "stg" not in out


def test_columns_keyword_on_model_and_sql_header() -> None:
    @model(columns={"id": "  The order's id  "})
    def orders():
        return None

    assert orders.__interlace_model__.config.columns == {"id": "The order's id"}
    [spec] = parse_sql_models('-- @model(columns={"id": "An id"})\nSELECT 1 AS id', path="models/a.sql", stem="a")
    assert spec.config.columns == {"id": "An id"}


def test_columns_keyword_must_map_names_to_text() -> None:
    with pytest.raises(ModelDefinitionError) as exc:
        parse_sql_models('-- @model(columns={"id": 3})\nSELECT 1 AS id', path="models/a.sql", stem="a")
    assert str(exc.value) == (
        "model 'a' (models/a.sql:1): keyword 'columns' gives column 'id' a description that is not a string: 3\n"
        "Fix: correct 'columns=' in the -- @model header")
    with pytest.raises(ModelDefinitionError) as exc:
        parse_sql_models("-- @model(columns=['id'])\nSELECT 1 AS id", path="models/a.sql", stem="a")
    assert str(exc.value) == (
        "model 'a' (models/a.sql:1): keyword 'columns' must be a mapping of column names to descriptions "
        "(got ['id'])\nFix: correct 'columns=' in the -- @model header")


def test_editing_a_description_does_not_make_a_model_stale(make_project, open_ws) -> None:  # noqa: ANN001
    root: Path = make_project({"models/a.sql": '-- @model(columns={"x": "one"})\nSELECT 1 AS x\n'})
    ws = open_ws(root)
    ws.run()
    (root / "models" / "a.sql").write_text('-- @model(columns={"x": "two"})\nSELECT 1 AS x\n')
    ws.reload()
    assert [s.model for s in ws.plan().builds] == []


def test_a_star_passes_described_columns_through_unless_ambiguous_or_explicit() -> None:
    own = {"a": {"id": "A's id", "x": "A's x"}, "b": {"id": "B's id", "y": "B's y"}}
    edges = [("f", "*", "a", "*", "value"), ("f", None, "a", "x", "filter"),
             ("j", "*", "a", "*", "value"), ("j", "*", "b", "*", "value"), ("j", "x", "a", "y", "value")]
    out = column_descriptions(own, ["a", "b", "f", "j"], edges)
    assert out["f"] == {"id": ColumnDescription("A's id", ("a", "id")), "x": ColumnDescription("A's x", ("a", "x"))}
    # 'id' is in both sources of the join: ambiguous; 'x' has its own edge (from a.y): not the star's
    assert out["j"] == {"y": ColumnDescription("B's y", ("b", "y"))}
