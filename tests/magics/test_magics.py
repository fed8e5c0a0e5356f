"""The magics in process: ``run_cell_magic`` / ``run_line_magic`` on a shell that raises."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest
from IPython.core.error import UsageError

import interlace
from interlace.errors import (
    DuplicateModelError,
    ExecutionError,
    InterlaceWarning,
    ModelDefinitionError,
    StateError,
    UnknownModelError,
)
from tests.conftest import write_files
from tests.magics.conftest import displayed_widgets, html_tables, run_capturing, session

ORDERS = "SELECT range AS id, range % 3 AS grp, range * 1.5 AS amount FROM range(12)"


def test_load_ext_opens_nothing_until_used_and_loading_twice_keeps_the_session(shell, project: Path) -> None:
    first = session(shell)
    assert first._workspace is None
    shell.run_line_magic("load_ext", "interlace")
    assert session(shell) is first
    assert not (project / ".interlace").exists()
    shell.run_line_magic("interlace", "info")
    assert first.workspace.root == project
    assert (project / ".interlace" / "dev.duckdb").exists()


def test_the_project_is_found_from_the_working_directory_upward(tmp_path: Path, monkeypatch, shell) -> None:
    root = write_files(tmp_path / "proj", {"config.yaml": "name: upward\n", "models/a.sql": "SELECT 1 AS x"})
    (root / "notebooks" / "deep").mkdir(parents=True)
    monkeypatch.chdir(root / "notebooks" / "deep")
    assert session(shell).workspace.root == root
    assert sorted(session(shell).workspace.models) == ["a"]


def test_a_sql_cell_becomes_a_model_built_and_shown(shell) -> None:
    captured = run_capturing(lambda: shell.run_cell_magic("interlace_model", "orders", ORDERS))
    ws = session(shell).workspace
    spec = ws.models["orders"]
    assert (spec.kind, spec.materialize, spec.sql) == ("sql", "table", ORDERS)
    assert str(spec.origin) == "<notebook>, cell 1, line 1"
    assert ws.sql("SELECT count(*), sum(grp) FROM orders").fetchone() == (12, 12)
    [widget] = displayed_widgets(captured)
    assert widget.result["status"] == "success" and widget.result["rows"] == 12
    assert widget.preview["columns"] == ["id", "grp", "amount"]
    assert widget.preview["rows"][:2] == [[0, 0, 0.0], [1, 1, 1.5]]
    assert widget.changes is None  # a new table is not a schema change
    bold, tables = html_tables(captured.outputs[0].data["text/html"])
    assert bold[0].startswith("✓ orders: success · 12 rows · 12 inserted · ")
    assert tables[0][0] == ["id", "grp", "amount"] and len(tables[0]) == 11  # header + 10 preview rows


def test_every_flag_of_the_cell_magic(shell) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", InterlaceWarning)
        shell.run_cell_magic(
            "interlace_model",
            'events --materialize table --strategy append --primary-key id,region --check "not_null(id)" '
            "--check 'unique(id)' --schema staging --tag raw --tag daily --no-run",
            "SELECT 1 AS id, 'eu' AS region",
        )
    spec = session(shell).workspace.models["events"]
    config = spec.config
    assert (config.materialize, config.strategy, config.schema) == ("table", "append", "staging")
    assert config.primary_key == ("id", "region")
    assert [check.name for check in config.quality_checks] == ["not_null(id)", "unique(id)"]
    assert config.tags == ("raw", "daily")
    assert not session(shell).workspace.engine.exists(session(shell).workspace.project.relation(spec))  # --no-run
    shell.run_cell_magic("interlace_model", "v --materialise view", "SELECT 2 AS y")
    assert session(shell).workspace.models["v"].materialize == "view"
    assert session(shell).workspace.sql("SELECT y FROM v").fetchone() == (2,)


def test_the_body_may_carry_the_header_instead_of_flags(shell) -> None:
    shell.run_cell_magic("interlace_model", "", '-- @model(name="h", materialize="view", tags=["x"])\nSELECT 3 AS z')
    spec = session(shell).workspace.models["h"]
    assert (spec.materialize, spec.tags, str(spec.origin)) == ("view", ("x",), "<notebook>, cell 1, line 2")
    assert session(shell).workspace.sql("SELECT z FROM h").fetchone() == (3,)


def test_flags_and_a_header_together_are_refused(shell) -> None:
    with pytest.raises(ModelDefinitionError) as err:
        shell.run_cell_magic("interlace_model", "h --materialize view", '-- @model(tags=["x"])\nSELECT 1')
    assert str(err.value) == (
        "model 'h' (<notebook>, cell 1): the cell sets keywords both with flags (--materialize) and in a "
        "-- @model header\nFix: keep them in one place: either the flags on the %%interlace_model line or the header"
    )


def test_a_bad_flag_value_is_reported_as_the_flag(shell) -> None:
    with pytest.raises(ModelDefinitionError) as err:
        shell.run_cell_magic("interlace_model", "m --materialize tabel", "SELECT 1")
    assert str(err.value) == (
        "model 'm' (<notebook>, cell 1): --materialize must be one of 'table', 'view', 'ephemeral', 'none' "
        "(got 'tabel')\nFix: correct the flag on the %%interlace_model line"
    )


def test_a_cell_without_a_name_is_refused(shell) -> None:
    with pytest.raises(ModelDefinitionError) as err:
        shell.run_cell_magic("interlace_model", "", "SELECT 1")
    assert str(err.value) == (
        "<notebook>, cell 1: the cell does not name its model\n"
        'Fix: write %%interlace_model NAME, or start the SQL with -- @model(name="...")'
    )


def test_rerunning_an_edited_cell_replaces_the_model_and_marks_downstream_stale(shell) -> None:
    shell.run_cell_magic("interlace_model", "a", "SELECT 1 AS x")
    shell.run_cell_magic("interlace_model", "b", "SELECT x + 1 AS x FROM a")
    assert session(shell).statuses() == {"a": "fresh", "b": "fresh"}
    captured = run_capturing(lambda: shell.run_cell_magic("interlace_model", "a", "SELECT 10 AS x, 'new' AS y"))
    ws = session(shell).workspace
    assert ws.models["a"].sql == "SELECT 10 AS x, 'new' AS y"
    assert session(shell).statuses() == {"a": "fresh", "b": "stale"}
    [widget] = displayed_widgets(captured)
    assert widget.changes == {"added": [["y", "VARCHAR"]], "removed": [], "retyped": []}
    assert ws.sql("SELECT x FROM b").fetchone() == (2,)  # not rebuilt yet
    shell.run_line_magic("interlace", "run")
    assert ws.sql("SELECT x FROM b").fetchone() == (11,)
    assert session(shell).statuses() == {"a": "fresh", "b": "fresh"}


def test_building_a_cell_builds_what_it_needs_that_is_stale(shell) -> None:
    shell.run_cell_magic("interlace_model", "a --no-run", "SELECT 1 AS x")
    shell.run_cell_magic("interlace_model", "b", "SELECT x * 5 AS x FROM a")
    assert session(shell).workspace.sql("SELECT x FROM b").fetchone() == (5,)
    shell.run_cell_magic("interlace_model", "a --no-run", "SELECT 2 AS x")
    captured = run_capturing(lambda: shell.run_cell_magic("interlace_model", "b", "SELECT x * 5 AS x FROM a"))
    assert session(shell).workspace.sql("SELECT x FROM b").fetchone() == (10,)
    [widget] = displayed_widgets(captured)
    assert widget.result["status"] == "success"


def test_a_cell_whose_upstream_fails_shows_it_skipped_and_raises_the_upstream_error(shell) -> None:
    shell.run_cell_magic("interlace_model", "up --no-run", "SELECT missing_column FROM range(2)")
    with pytest.raises(ExecutionError) as err:
        shell.run_cell_magic("interlace_model", "down", "SELECT * FROM up")
    assert err.value.model == "up"
    captured = run_capturing(lambda: shell.run_cell("%%interlace_model down\nSELECT * FROM up", raising=False))
    [widget] = displayed_widgets(captured)
    assert (widget.result["status"], widget.result["reason"]) == ("skipped", "upstream model 'up' failed")
    assert widget.preview == {"columns": [], "rows": []}


def test_a_cell_that_declares_another_name_forgets_the_old_one(shell) -> None:
    shell.run_cell("%%interlace_model first --no-run\nSELECT 1 AS x", cell_id="cell-a")
    shell.run_cell("%%interlace_model second --no-run\nSELECT 1 AS x", cell_id="cell-a")
    assert sorted(session(shell).workspace.models) == ["second"]


def test_model_in_a_python_cell_registers_into_the_session(shell) -> None:
    shell.run_cell_magic("interlace_model", "orders", ORDERS)
    shell.run_cell(textwrap.dedent('''
        from interlace import model

        @model(materialize="table")
        def by_group(orders):
            """Orders per group."""
            return orders.group_by("grp").aggregate(n=orders.count())
    ''').lstrip())
    ws = session(shell).workspace
    spec = ws.models["by_group"]
    assert (spec.kind, spec.dependencies, spec.config.description) == ("python", ("orders",), "Orders per group.")
    assert str(spec.origin) == "<notebook>, cell 1, line 3"
    shell.run_line_magic("interlace", "run by_group")
    assert ws.sql("SELECT sum(n) FROM by_group").fetchone() == (12,)
    assert interlace.table("by_group").count().execute() == 3


def test_a_cell_model_clashing_with_a_file_model_names_both(shell, project: Path) -> None:
    write_files(project, {"models/orders.sql": "SELECT 1 AS id"})
    with pytest.raises(DuplicateModelError) as err:
        shell.run_cell_magic("interlace_model", "orders", "SELECT 2 AS id")
    assert str(err.value) == (
        "model 'orders': two models are named 'orders': models/orders.sql:1 and <notebook>, cell 1, line 1\n"
        "Fix: rename one of them (name=... in the decorator or header, or rename the file)"
    )
    result = shell.run_cell("from interlace import model\n@model\ndef orders():\n    return [{'id': 1}]\n",
                            raising=False)
    assert isinstance(result.error_in_exec, DuplicateModelError)


def test_run_selects_excludes_and_forces(shell) -> None:
    for name, sql in (("a", "SELECT 1 AS x"), ("b", "SELECT x FROM a"), ("c", "SELECT x FROM a")):
        shell.run_cell_magic("interlace_model", f"{name} --no-run", sql)
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "run b+ a --exclude c --max-workers 1"))
    [progress] = displayed_widgets(captured)
    assert [m["model"] for m in progress.models] == ["a", "b"]
    assert progress.run_state == "success" and progress.summary.endswith("2 succeeded, 0 failed, 0 skipped")
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "run"))
    assert [m["model"] for m in displayed_widgets(captured)[0].models] == ["c"]
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "run a --force"))
    assert [(m["model"], m["status"]) for m in displayed_widgets(captured)[0].models] == [("a", "success")]


def test_a_failing_run_shows_progress_then_raises_the_model_error(shell) -> None:
    shell.run_cell_magic("interlace_model", "a --no-run", "SELECT 1 AS x")
    shell.run_cell_magic("interlace_model", "bad --no-run", "SELECT nope FROM a")
    with pytest.raises(ExecutionError) as err:
        shell.run_line_magic("interlace", "run")
    assert str(err.value).startswith("model 'bad' (<notebook>, cell 1, line 1): DuckDB error: Binder Error: "
                                     'Referenced column "nope" not found')
    assert session(shell).workspace.runs.history(1)[0].status == "failed"


def test_plan_shows_each_model_with_its_reason(shell) -> None:
    shell.run_cell_magic("interlace_model", "a", "SELECT 1 AS x")
    shell.run_cell_magic("interlace_model", "b --no-run", "SELECT x FROM a")
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "plan"))
    bold, tables = html_tables(captured.outputs[0].data["text/html"])
    assert bold == ["Plan: 1 of 2 models to build"]
    assert tables[0] == [["model", "action", "reason"], ["a", "skip", "up to date"],
                         ["b", "build", "its table does not exist yet"]]
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "plan a --force"))
    _, tables = html_tables(captured.outputs[0].data["text/html"])
    assert tables[0][1:] == [["a", "build", "forced (--force)"]]


def test_dag_lays_out_the_graph_and_follows_a_run(shell) -> None:
    for name, sql in (("a", "SELECT 1 AS x"), ("b", "SELECT x FROM a"), ("c", "SELECT x FROM b")):
        shell.run_cell_magic("interlace_model", f"{name} --no-run", sql)
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "dag"))
    [dag] = displayed_widgets(captured)
    assert [(n["name"], n["x"], n["upstream"]) for n in dag.nodes] == [("a", 0.0, []), ("b", 210.0, ["a"]),
                                                                        ("c", 420.0, ["b"])]
    assert dag.edges == [["a", "b"], ["b", "c"]]
    assert dag.statuses == {"a": "stale", "b": "stale", "c": "stale"}
    shell.run_line_magic("interlace", "run")
    assert dag.statuses == {"a": "success", "b": "success", "c": "success"}
    assert dag.runinfo["a"]["rows"] == 1 and dag.run_state == "success"
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "dag c --exclude a"))
    partial = displayed_widgets(captured)[0]
    assert [n["name"] for n in partial.nodes] == ["c"]


def test_dags_on_screen_are_redrawn_when_cells_declare_models(shell) -> None:
    shell.run_cell_magic("interlace_model", "a", "SELECT 1 AS x")
    [dag] = displayed_widgets(run_capturing(lambda: shell.run_line_magic("interlace", "dag")))
    assert [n["name"] for n in dag.nodes] == ["a"] and dag.statuses == {"a": "fresh"}
    shell.run_cell_magic("interlace_model", "b --no-run", "SELECT x FROM a")
    assert [n["name"] for n in dag.nodes] == ["a", "b"] and dag.edges == [["a", "b"]]
    assert dag.statuses == {"a": "fresh", "b": "stale"}
    with pytest.raises(ExecutionError):
        shell.run_cell_magic("interlace_model", "b", "SELECT no_such_column FROM a")
    assert dag.statuses == {"a": "fresh", "b": "failed"}
    assert dag.runinfo["b"]["error"].startswith('DuckDB error: Binder Error: Referenced column "no_such_column"')
    shell.run_cell_magic("interlace_model", "a --no-run", "SELECT 2 AS x")  # a changes: b stays red until rebuilt
    assert dag.statuses == {"a": "stale", "b": "failed"}
    shell.run_cell_magic("interlace_model", "b", "SELECT x FROM a")
    assert dag.statuses == {"a": "success", "b": "success"}
    dag.close()
    shell.run_cell_magic("interlace_model", "c --no-run", "SELECT x FROM b")
    assert [n["name"] for n in dag.nodes] == ["a", "b"]  # a closed widget is left alone


def test_show_previews_rows(shell) -> None:
    shell.run_cell_magic("interlace_model", "orders", ORDERS)
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "show orders --limit 3"))
    bold, tables = html_tables(captured.outputs[0].data["text/html"])
    assert bold == ["orders: 12 rows (first 3)"]
    assert tables[0] == [["id", "grp", "amount"], ["0", "0", "0.0"], ["1", "1", "1.5"], ["2", "2", "3.0"]]


def test_unknown_model_says_did_you_mean(shell) -> None:
    shell.run_cell_magic("interlace_model", "orders", ORDERS)
    with pytest.raises(UnknownModelError) as err:
        shell.run_line_magic("interlace", "show order")
    assert str(err.value) == "no model named 'order'. Did you mean 'orders'?\nFix: run `interlace info` to list the models"


def test_diff_shows_the_latest_schema_change(shell) -> None:
    with pytest.raises(StateError) as err:
        shell.run_cell_magic("interlace_model", "m --no-run", "SELECT 1 AS a")
        shell.run_line_magic("interlace", "diff m")
    assert str(err.value) == "model 'm': model 'm' has no recorded schema yet\nFix: build it first: %interlace run m"
    shell.run_cell_magic("interlace_model", "m", "SELECT 1 AS a, 2 AS b")
    shell.run_cell_magic("interlace_model", "m", "SELECT 'one' AS a, 3 AS c")
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "diff m"))
    [diff] = displayed_widgets(captured)
    assert diff.rows == [
        {"column": "a", "change": "retyped", "old": "INTEGER", "new": "VARCHAR"},
        {"column": "c", "change": "added", "old": None, "new": "INTEGER"},
        {"column": "b", "change": "removed", "old": "INTEGER", "new": None},
    ]
    assert (diff.before, diff.after) == ("version 1", "version 2")


def test_info_and_env(shell, project: Path) -> None:
    write_files(project, {"config.yaml": "name: shop\nconnections:\n  default:\n    path: .interlace/{env}.duckdb\n"})
    shell.run_cell_magic("interlace_model", "m", "SELECT 1 AS a")
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "info"))
    _, tables = html_tables(captured.outputs[0].data["text/html"])
    rows = dict(tables[0][1:])
    assert rows["project"] == f"shop ({project})" and rows["env"] == "dev"
    assert rows["models"] == "1 (1 sql/table)"
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "env prod"))
    assert captured.stdout == f"env: prod (warehouse: {project}/.interlace/prod.duckdb)\n"
    ws = session(shell).workspace
    assert ws.env == "prod" and "m" in ws.models  # cell models come along
    [dag] = displayed_widgets(run_capturing(lambda: shell.run_line_magic("interlace", "dag")))
    assert dag.statuses == {"m": "stale"}  # not built in prod yet
    shell.run_line_magic("interlace", "env dev")
    assert dag.statuses == {"m": "fresh"}
    shell.run_line_magic("interlace", "run m --force")
    assert dag.statuses == {"m": "success"}  # it follows the dev workspace's runs now
    shell.run_line_magic("interlace", "env prod")
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "env"))
    assert captured.stdout.startswith("env: prod ")


@pytest.mark.parametrize("command", ["run", "plan", "dag", "show", "diff", "quality", "lineage", "docs", "migrate",
                                     "info",
                                     "env", "forget", "serve", "stream", "schedule", "help"])
def test_every_command_has_help(shell, command: str) -> None:
    captured = run_capturing(lambda: shell.run_line_magic("interlace", f"{command} --help"))
    assert f"%interlace {command}" in captured.stdout
    assert "-h, --help" in captured.stdout
    assert session(shell)._workspace is None  # --help opens nothing


def test_cell_magic_help_and_listing(shell) -> None:
    captured = run_capturing(lambda: shell.run_cell_magic("interlace_model", "--help", "SELECT 1"))
    assert "%%interlace_model" in captured.stdout and "--primary-key COLUMN" in captured.stdout
    listing = run_capturing(lambda: shell.run_line_magic("interlace", "")).stdout
    assert listing.splitlines()[0] == "%interlace COMMAND [ARGS] — `%interlace COMMAND --help` describes one:"
    assert [ln.split()[0] for ln in listing.splitlines()[1:17]] == ["run", "plan", "dag", "show", "diff", "quality",
                                                                     "lineage", "docs", "migrate", "info", "env",
                                                                     "forget", "serve", "stream", "schedule",
                                                                     "help"]


def test_unknown_command_and_unknown_flag(shell) -> None:
    with pytest.raises(UsageError) as err:
        shell.run_line_magic("interlace", "rn")
    assert str(err.value) == ("%interlace has no command 'rn'. Did you mean 'run'?\n"
                              "Commands: run, plan, dag, show, diff, quality, lineage, docs, migrate, info, env, "
                              "forget, serve, stream, schedule, help "
                              "(`%interlace help` describes them).")
    with pytest.raises(UsageError) as err:
        shell.run_line_magic("interlace", "run --bogus")
    assert str(err.value) == ("%interlace run: unrecognized arguments: --bogus\n"
                              "See `%interlace run --help` for its arguments and flags.")
    with pytest.raises(UsageError) as err:
        shell.run_cell_magic("interlace_model", "m --nope", "SELECT 1")
    assert str(err.value).startswith("%%interlace_model: unrecognized arguments: --nope")


def test_an_interlace_error_shows_without_a_traceback(shell) -> None:
    captured = run_capturing(lambda: shell.run_cell("%%interlace_model broken\nSELECT no_such FROM range(3)",
                                                    raising=False))
    # the error is in the cell's widget; the cell fails with one line that points at it
    assert captured.stdout.endswith("ExecutionError\x1b[0m: model 'broken' failed; its error is shown above "
                                    "(%interlace --traceback shows the traceback)\n")
    assert "Traceback" not in captured.stdout and "interactiveshell.py" not in captured.stdout
    [widget] = displayed_widgets(captured)
    assert widget.result["status"] == "failed"
    assert widget.result["error"]["hint"] == "fix the model's SQL (the message above is DuckDB's)"
    full = run_capturing(lambda: shell.run_line_magic("interlace", "--traceback")).stdout
    assert full.startswith("Traceback (most recent call last):") and "ExecutionError" in full


def test_an_unexpected_error_keeps_its_traceback(shell) -> None:
    captured = run_capturing(lambda: shell.run_cell("1 / 0", raising=False))
    assert "ZeroDivisionError" in captured.stdout and "Traceback" in captured.stdout


def test_interlace_table_needs_a_session() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    with pytest.raises(StateError) as err:
        interlace.table("orders")
    assert str(err.value) == (
        "no notebook session: interlace.table() and the magics read from the workspace that %load_ext interlace "
        "opens\nFix: run %load_ext interlace first, or outside a notebook use ws = interlace.open(path) and "
        "ws.table(name)"
    )


def test_a_model_notebook_opened_in_jupyter_replaces_its_own_models(shell, project: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    path = project / "models" / "pipeline.ipynb"
    path.parent.mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell("%%interlace_model orders\nSELECT 1 AS id")]), path)
    shell.user_ns["__session__"] = str(path)  # what ipykernel sets from JupyterLab's session
    assert str(session(shell).workspace.models["orders"].origin) == "models/pipeline.ipynb, cell 1, line 1"
    shell.run_cell_magic("interlace_model", "orders", "SELECT 2 AS id")  # the same model, edited in Jupyter
    ws = session(shell).workspace
    assert str(ws.models["orders"].origin) == "models/pipeline.ipynb, cell 1, line 1"
    assert ws.sql("SELECT id FROM orders").fetchone() == (2,)
    shell.user_ns["__session__"] = str(project / "other.ipynb")
    with pytest.raises(DuplicateModelError):
        shell.run_cell_magic("interlace_model", "orders", "SELECT 3 AS id")
