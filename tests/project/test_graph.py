from __future__ import annotations

from pathlib import Path

import pytest

from interlace.errors import CycleError, DuplicateModelError, UnknownModelError
from interlace.project.graph import build_graph
from interlace.project.project import Project
from interlace.project.selectors import select
from interlace.project.sql_header import parse_sql_models


def specs(**sql: str):
    out = {}
    for name, text in sql.items():
        [spec] = parse_sql_models(text, path=f"models/{name}.sql", stem=name)
        out[name] = spec
    return out


def graph_of(models, existing=()):
    return build_graph(models, default_schema="main", relation_exists=lambda ref: ref in existing)


def test_graph_orders_models_and_keeps_sources_apart() -> None:
    models = specs(a="SELECT * FROM raw", b="SELECT * FROM a", c="SELECT * FROM b JOIN a USING (id)")
    graph = graph_of(models, existing={"raw"})
    assert graph.order == ("a", "b", "c")
    assert graph.upstream["a"] == () and graph.upstream["b"] == ("a",)
    assert set(graph.upstream["c"]) == {"a", "b"}
    assert graph.sources["a"] == ("raw",)
    assert set(graph.downstream["a"]) == {"b", "c"}
    assert graph.ancestors("c") == {"a", "b"}
    assert graph.descendants("a") == {"b", "c"}


def test_schema_qualified_reference_to_a_model() -> None:
    models = specs(a='-- @model(schema="staging")\nSELECT 1 AS id', b="SELECT * FROM staging.a")
    assert graph_of(models).upstream["b"] == ("a",)


def test_model_reading_its_own_table_is_not_a_cycle() -> None:
    models = specs(a='-- @model(strategy="append")\nSELECT * FROM raw WHERE id NOT IN (SELECT id FROM a)')
    assert graph_of(models, existing={"raw"}).upstream["a"] == ()


def test_cycle_names_the_cycle_and_origins() -> None:
    models = specs(a="SELECT * FROM c", b="SELECT * FROM a", c="SELECT * FROM b")
    with pytest.raises(CycleError) as exc:
        graph_of(models)
    text = str(exc.value)
    assert text.startswith("models depend on each other in a cycle: ")
    cycle = text.splitlines()[0].split(": ", 1)[1].split(" → ")
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert "  a: models/a.sql:1" in text
    assert text.endswith("Fix: remove one of these dependencies so the models form a chain")


def test_missing_dependency_names_model_and_suggests() -> None:
    models = specs(orders="SELECT 1 AS id", report="SELECT * FROM ordrs")
    with pytest.raises(UnknownModelError) as exc:
        graph_of(models)
    assert str(exc.value) == (
        "model 'report' (models/report.sql:1): reads 'ordrs', which is neither a model nor a table or "
        "view in the warehouse. Did you mean 'orders'?\n"
        "Fix: correct the name, add a model with that name, or create the table first (a model, a "
        "migration or an attached database)"
    )


def test_duplicate_model_names_both_origins(tmp_path: Path) -> None:
    from interlace.config import load_config

    project = Project(root=tmp_path, config=load_config(tmp_path))
    project.add_all(parse_sql_models("SELECT 1", path="models/a/orders.sql", stem="orders"))
    with pytest.raises(DuplicateModelError) as exc:
        project.add_all(parse_sql_models("SELECT 2", path="models/b/orders.sql", stem="orders"))
    assert str(exc.value) == (
        "model 'orders': two models are named 'orders': models/a/orders.sql:1 and models/b/orders.sql:1\n"
        "Fix: rename one of them (name=... in the decorator or header, or rename the file)"
    )


def test_selectors() -> None:
    models = specs(
        a='-- @model(tags=["staging"])\nSELECT 1 AS id',
        b='-- @model(tags=["staging"])\nSELECT * FROM a',
        c="SELECT * FROM b",
        d="SELECT * FROM a",
        e="SELECT 2 AS id",
    )
    graph = graph_of(models)
    assert select(models, graph, None) == set(models)
    assert select(models, graph, "c") == {"c"}
    assert select(models, graph, "+c") == {"a", "b", "c"}
    assert select(models, graph, "a+") == {"a", "b", "c", "d"}
    assert select(models, graph, "+b+") == {"a", "b", "c"}
    assert select(models, graph, "tag:staging") == {"a", "b"}
    assert select(models, graph, "c e") == {"c", "e"}
    assert select(models, graph, ["c", "e"]) == {"c", "e"}
    assert select(models, graph, "a+", exclude="d") == {"a", "b", "c"}
    assert select(models, graph, "path:models/e.sql") == {"e"}
    assert select(models, graph, "path:models") == set(models)
    assert select(models, graph, "[bc]") == {"b", "c"}
    with pytest.raises(UnknownModelError) as err:  # a selector that selects nothing is a mistake
        select(models, graph, "tag:none")
    assert str(err.value) == ("the selector 'tag:none' matches no model: no model has the tag 'none'\n"
                              "  tags: staging\n"
                              "Fix: run `interlace info` to list the models; select by name, tag:x, "
                              "path:models/x or a glob")


def test_unknown_selector_name_suggests() -> None:
    models = specs(orders="SELECT 1 AS id")
    with pytest.raises(UnknownModelError) as exc:
        select(models, graph_of(models), "order")
    assert str(exc.value) == "no model named 'order'. Did you mean 'orders'?\nFix: run `interlace info` to list the models"


def test_unknown_selector_method() -> None:
    models = specs(orders="SELECT 1 AS id")
    with pytest.raises(UnknownModelError, match=r"unknown selector method 'tags:' in 'tags:x'"):
        select(models, graph_of(models), "tags:x")
