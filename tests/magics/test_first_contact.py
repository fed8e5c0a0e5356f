"""What a new user types first in a notebook: ``%%interlace_model --help`` alone in a cell, and a
``%%interlace_model NAME`` cell with nothing below it."""

from __future__ import annotations

import pytest

from interlace.errors import ModelDefinitionError
from tests.magics.conftest import run_capturing, session


@pytest.mark.parametrize("cell", ["%%interlace_model --help", "%%interlace_model --help\n", "%%interlace_model -h\n\n"])
def test_cell_magic_help_alone_in_a_cell_prints_the_help(shell, cell: str) -> None:
    captured = run_capturing(lambda: shell.run_cell(cell))
    assert captured.stdout.startswith("::\n\n  %%interlace_model [--materialize KIND]")
    assert "--primary-key COLUMN" in captured.stdout
    assert session(shell)._workspace is None  # --help opens nothing


def test_a_model_cell_with_no_sql_names_the_model_and_what_to_write(shell) -> None:
    result = shell.run_cell("%%interlace_model orders\n", raising=False)
    assert isinstance(result.error_in_exec, ModelDefinitionError)
    assert str(result.error_in_exec) == (
        "model 'orders' (<notebook>, cell 1): the cell has no SQL below the %%interlace_model line\n"
        "Fix: write the model's SELECT on the lines below %%interlace_model NAME")


NOISY = "SELECT 0.1::DOUBLE + 0.2::DOUBLE AS v, 22019.18::DOUBLE + 0.000000000004 AS total, 7 AS n"


def test_previews_show_floats_without_binary_noise(shell) -> None:
    from tests.magics.conftest import displayed_widgets, html_tables

    built = run_capturing(lambda: shell.run_cell_magic("interlace_model", "noisy", NOISY))
    [result] = [w for w in displayed_widgets(built) if type(w).__name__ == "ModelResult"]
    assert result.preview["rows"] == [["0.3", "22019.18", 7]]
    assert "0.30000000000000004" not in result.to_text()
    shown = run_capturing(lambda: shell.run_line_magic("interlace", "show noisy"))
    _, tables = html_tables(shown.outputs[0].data["text/html"])
    assert tables[0] == [["v", "total", "n"], ["0.3", "22019.18", "7"]]
    assert "0.3  22019.18  7" in shown.outputs[0].data["text/plain"]
    stored = session(shell).workspace.sql("SELECT v FROM noisy").fetchone()
    assert stored == (0.30000000000000004,)  # the data itself is untouched
