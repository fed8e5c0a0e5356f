"""One options dataclass per command: the CLI, the magics and the notebook reader agree on it."""

from __future__ import annotations

import dataclasses

import pytest

from interlace.magics.args import parse
from interlace.magics.commands import InterlaceMagics
from interlace.options import MigrateOptions, ModelCellOptions, PlanOptions, RunOptions, flags_of
from interlace.project.notebooks import parse_cell_line
from interlace.project.spec import Origin

# where the workspace is, machine output, and whether to send the command to the warehouse's owner
CLI_ONLY = {"project_dir", "env", "as_json", "no_forward"}


def sample_argv(options: type) -> list[str]:
    """A command line that sets every field of ``options`` to a non-default value."""
    argv: list[str] = []
    for name, flag in flags_of(options):
        value = "3" if flag.type is int else f"{name}-value"
        if flag.kind == "positional":
            argv += [f"{name}-one", f"{name}-two"]
        elif flag.kind == "argument":
            argv.append(value)
        elif flag.kind == "flag":
            argv.append(flag.names[0])
        elif flag.kind == "many":
            argv += [flag.names[0], f"{value}-1", flag.names[0], f"{value}-2"]
        else:
            argv += [flag.names[0], value]
    return argv


def cli_command(name: str):  # noqa: ANN201 - a click command
    from interlace.cli import migrate, run  # noqa: F401 - registers the commands
    from interlace.cli.main import cli

    return cli.commands[name]


@pytest.mark.parametrize(("command", "options"), [("run", RunOptions), ("plan", PlanOptions),
                                                  ("migrate", MigrateOptions)])
def test_cli_and_magic_map_to_the_same_fields(command: str, options: type) -> None:
    from interlace.cli.params import build_options

    click_command = cli_command(command)
    magic = getattr(InterlaceMagics, command)
    fields = {f.name for f in dataclasses.fields(options)}
    assert {p.name for p in click_command.params} - CLI_ONLY == fields
    assert {a.dest for a in magic.parser._actions} - {"help"} == fields
    spelled_cli = {p.name: set(p.opts) for p in click_command.params if p.name in fields}
    spelled_magic = {a.dest: set(a.option_strings) or {a.dest} for a in magic.parser._actions if a.dest in fields}
    assert spelled_cli == spelled_magic

    argv = sample_argv(options)
    context = click_command.make_context(command, list(argv))
    from_cli = build_options(options, context.params)
    from_magic = parse(magic, " ".join(argv))
    assert from_cli == from_magic
    assert all(getattr(from_magic, f) not in (None, (), False) for f in fields)  # every field was set


def test_the_notebook_reader_parses_a_cell_line_as_the_magic_does() -> None:
    line = " ".join(sample_argv(ModelCellOptions)) + " --check 'not_null(id)'"
    magic = parse(InterlaceMagics.interlace_model, line)
    reader = parse_cell_line(line, origin=Origin("models/x.ipynb", None, 2))
    assert magic == reader
    assert reader.check[-1] == "not_null(id)" and reader.primary_key == ("primary_key-value-1", "primary_key-value-2")
