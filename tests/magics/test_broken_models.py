"""A broken declaration makes that model an error; everything else keeps working (issue 12, item 1)."""

from __future__ import annotations

import pytest

from interlace.errors import UnknownModelError
from tests.magics.conftest import displayed_widgets, run_capturing, session


def test_a_typo_in_one_cell_does_not_lock_the_session(shell) -> None:
    shell.run_cell_magic("interlace_model", "stg_sales", "SELECT 1 AS id, 10.5 AS amount")
    shell.run_cell_magic("interlace_model", "other", "SELECT 2 AS id")
    with pytest.raises(UnknownModelError) as err:
        shell.run_cell_magic("interlace_model", "report", "SELECT * FROM stg_sale")
    assert str(err.value) == (
        "model 'report' (<notebook>, cell 1, line 1): reads 'stg_sale', which is neither a model nor a table or "
        "view in the warehouse. Did you mean 'stg_sales'?\n"
        "Fix: correct the name, add a model with that name, or create the table first (a model, a migration or "
        "an attached database)")
    ws = session(shell).workspace
    # the broken model is named in the plan; the others are planned as usual
    plan = ws.plan()
    assert {s.model: s.action for s in plan.steps} == {"stg_sales": "skip", "other": "skip", "report": "error"}
    # an unrelated run works, and so does the DAG (the broken model shown failed)
    run_capturing(lambda: shell.run_line_magic("interlace", "run other --force"))
    assert ws.runs.history(1)[0].status == "success"
    [dag] = displayed_widgets(run_capturing(lambda: shell.run_line_magic("interlace", "dag")))
    assert dag.statuses["report"] == "failed" and dag.statuses["stg_sales"] == "fresh"
    # forgetting it (the cell was deleted) leaves a clean project
    assert run_capturing(lambda: shell.run_line_magic("interlace", "forget report")).stdout == "Forgot model 'report'.\n"
    assert "report" not in ws.models
    assert [s.action for s in ws.plan().steps] == ["skip", "skip"]


def test_forget_names_what_it_can_forget(shell) -> None:
    shell.run_cell_magic("interlace_model", "orders --no-run", "SELECT 1 AS id")
    with pytest.raises(UnknownModelError) as err:
        shell.run_line_magic("interlace", "forget order")
    assert str(err.value) == (
        "no model named 'order' was declared by a cell in this session. Did you mean 'orders'?\n"
        "Fix: models from files are removed by deleting their file; `%interlace info` lists the models")
