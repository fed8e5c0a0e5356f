"""``%interlace quality``, ``%interlace lineage`` and ``%interlace plan --diff`` in process."""

from __future__ import annotations

import contextlib

import pytest
from IPython.core.error import UsageError

from interlace.errors import InterlaceError, UnknownModelError
from tests.magics.conftest import displayed_widgets, html_tables, run_capturing, session

BASE = "SELECT range AS id, range % 3 AS grp FROM range(6)"
CHECKED = ("orders --check \"not_null(grp)\" --check \"unique(grp)\" --check \"not_null(id)\"",
           "SELECT id, CASE WHEN id < 4 THEN id % 2 END AS grp FROM (SELECT range AS id FROM range(6))")


def build_checked(shell) -> None:  # noqa: ANN001
    with contextlib.suppress(InterlaceError):  # failing error-severity checks fail the build; results are recorded
        shell.run_cell_magic("interlace_model", *CHECKED)


def test_quality_shows_the_latest_results_and_the_failing_rows(shell) -> None:
    build_checked(shell)
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "quality orders"))
    [report] = displayed_widgets(captured)
    by_check = {r["check_name"]: r for r in report.results}
    assert sorted(by_check) == ["not_null(grp)", "not_null(id)", "unique(grp)"]
    assert by_check["not_null(id)"]["outcome"] == "pass"
    assert by_check["not_null(grp)"]["outcome"] == "fail" and by_check["not_null(grp)"]["failing"] == 2
    assert by_check["not_null(grp)"]["samples"] and all(s["grp"] is None for s in by_check["not_null(grp)"]["samples"])
    assert report.label == "Quality of 'orders'"
    bold, tables = html_tables(captured.outputs[0].data["text/html"])
    assert bold[0].startswith("Quality of 'orders': 3 checks · 1 pass · 2 fail")
    assert tables[0][0] == ["model", "check", "severity", "status", "failing", "checked"]
    assert sorted(row[1] for row in tables[0][1:]) == ["not_null(grp)", "not_null(id)", "unique(grp)"]
    assert tables[1] == [["id", "grp"], ["4", ""], ["5", ""]]  # not_null(grp)'s failing rows
    assert "reproduce: SELECT" in captured.outputs[0].data["text/plain"]


def test_quality_history_keeps_every_result_and_no_model_means_all(shell) -> None:
    build_checked(shell)
    build_checked(shell)
    latest = displayed_widgets(run_capturing(lambda: shell.run_line_magic("interlace", "quality")))[0]
    history = displayed_widgets(run_capturing(lambda: shell.run_line_magic("interlace", "quality --history")))[0]
    assert len(latest.results) == 3 and len(history.results) == 6
    assert history.label == "Quality (history)"


def test_quality_without_results_says_so(shell) -> None:
    shell.run_cell_magic("interlace_model", "plain", "SELECT 1 AS x")
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "quality plain"))
    [report] = displayed_widgets(captured)
    assert report.results == []
    assert captured.outputs[0].data["text/plain"].startswith("Quality of 'plain': no results yet")


def test_lineage_of_a_column_upstream_and_downstream(shell) -> None:
    shell.run_cell_magic("interlace_model", "base", BASE)
    shell.run_cell_magic("interlace_model", "mart", "SELECT grp AS g, count(id) AS n FROM base GROUP BY grp")
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "lineage mart.g"))
    [up] = displayed_widgets(captured)
    assert up.direction == "upstream"
    assert [t["relation"] + "." + t["column"] for t in up.trees] == ["mart.g"]
    assert [(c["relation"], c["column"]) for c in up.trees[0]["children"]] == [("base", "grp")]
    up.selected = "base.grp"  # what a click in the view does
    assert up.related()["downstream"] == ["mart.g"]
    assert captured.outputs[0].data["text/plain"].splitlines()[:3] == ["Lineage of mart.g (upstream)", "mart.g",
                                                                       "  ← base.grp"]
    bold, _ = html_tables(captured.outputs[0].data["text/html"])
    assert bold == ["Lineage of mart.g (upstream)"]
    down = displayed_widgets(run_capturing(lambda: shell.run_line_magic("interlace", "lineage base.grp --downstream")))[0]
    assert down.direction == "downstream"
    assert ("base.grp", "mart.g") in down.flows()
    every = displayed_widgets(run_capturing(lambda: shell.run_line_magic("interlace", "lineage mart")))[0]
    assert [t["column"] for t in every.trees] == ["g", "n"]


def test_unknown_model_or_column_is_a_clear_message_without_traceback(shell) -> None:
    shell.run_cell_magic("interlace_model", "orders", BASE)
    with pytest.raises(UnknownModelError) as err:
        shell.run_line_magic("interlace", "quality ordrs")
    assert str(err.value).startswith("no model named 'ordrs'. Did you mean 'orders'?")
    with pytest.raises(UnknownModelError) as err:
        shell.run_line_magic("interlace", "lineage orders.gr")
    assert str(err.value) == "no lineage for column 'gr' of 'orders'. Did you mean 'grp'?\nFix: columns with lineage: grp, id"
    for line in ("%interlace quality ordrs", "%interlace lineage ordrs.id --downstream"):
        captured = run_capturing(lambda line=line: shell.run_cell(line, raising=False))
        assert "UnknownModelError\x1b[0m: no model named 'ordrs'. Did you mean 'orders'?" in captured.stdout
        assert "Traceback" not in captured.stdout
    with pytest.raises(UsageError) as usage:
        shell.run_line_magic("interlace", "lineage")
    assert str(usage.value) == ("%interlace lineage: the following arguments are required: MODEL[.COLUMN]\n"
                                "See `%interlace lineage --help` for its arguments and flags.")


def test_plan_is_a_widget_and_diff_flags_breaking_changes(shell) -> None:
    shell.run_cell_magic("interlace_model", "base", BASE)
    shell.run_cell_magic("interlace_model", "mart", "SELECT grp FROM base")
    shell.run_cell_magic("interlace_model", "base --no-run", "SELECT range AS id FROM range(6)")  # drops grp
    captured = run_capturing(lambda: shell.run_line_magic("interlace", "plan base --diff"))
    [view] = displayed_widgets(captured)
    assert [(s["model"], s["action"]) for s in view.steps] == [("base", "build")]
    assert view.previews["base"]["changes"] == [{"column": "grp", "kind": "removed", "old_type": "BIGINT",
                                                 "new_type": None}]
    assert view.breaking() == [("base", "grp", "removed", ["mart"])]
    bold, tables = html_tables(captured.outputs[0].data["text/html"])
    assert bold == ["Plan: 1 of 1 model to build · 1 BREAKING"]
    assert tables[0][0] == ["model", "action", "reason", "schema"]
    assert tables[0][1][3] == "-grp BIGINT; BREAKING grp (removed) read by mart"
    plain = displayed_widgets(run_capturing(lambda: shell.run_line_magic("interlace", "plan")))[0]
    assert plain.breaking() == [("base", "grp", "removed", ["mart"])]  # edited models: shown without --diff
    assert session(shell).workspace.sql("SELECT count(*) FROM base").fetchone() == (6,)  # plan writes nothing
