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
