"""The CLI imports a command only when it runs: `--help` and `--version` load no engine."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import click
import pytest

from interlace.cli.lazy import LazyGroup
from interlace.cli.main import COMMANDS

HEAVY = ("duckdb", "pyarrow", "sqlglot", "pandas", "numpy", "ibis", "pydantic", "rich.console",
         "interlace.state", "interlace.workspace")

PROBE = """
import json, sys
from interlace.cli.main import main
try:
    main({argv!r})
except SystemExit:
    pass
sys.stdout = sys.__stdout__
print("MODULES=" + json.dumps(sorted(sys.modules)))
"""


def loaded_modules(*argv: str) -> tuple[str, set[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=list(argv))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    output, _, modules = done.stdout.rpartition("MODULES=")
    return output, set(json.loads(modules))


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["-h"]])
def test_help_and_version_import_no_engine(argv: list[str]) -> None:
    output, modules = loaded_modules(*argv)
    assert "interlace" in output
    loaded = sorted(name for name in modules
                    if any(name == h or name.startswith(h + ".") for h in HEAVY))
    assert loaded == []
    assert not any(name.startswith("interlace.cli.") and name not in
                   ("interlace.cli.main", "interlace.cli.lazy") for name in modules)


def test_help_lists_every_registered_command() -> None:
    output, _ = loaded_modules("--help")
    listed = [line.split()[0] for line in output.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == sorted(COMMANDS)


def test_a_command_imports_its_own_module_only() -> None:
    _, modules = loaded_modules("init", "--help")
    assert "interlace.cli.init" in modules
    assert "interlace.cli.run" not in modules and "interlace.cli.serve" not in modules


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_registry_points_at_the_command_and_its_help_is_true(name: str) -> None:
    target, short_help = COMMANDS[name]
    module, _, attribute = target.partition(":")
    command = getattr(importlib.import_module(module), attribute)
    assert isinstance(command, click.Command)
    assert command.name == name
    assert short_help == command.get_short_help_str(1000), (
        f"COMMANDS[{name!r}] in interlace/cli/main.py: copy the command's first docstring line")


def test_every_command_of_the_cli_package_is_in_the_registry() -> None:
    import pkgutil

    import interlace.cli
    from interlace.cli.main import cli

    for module in pkgutil.iter_modules(interlace.cli.__path__, "interlace.cli."):
        importlib.import_module(module.name)
    missing = sorted(set(cli.commands) - set(COMMANDS))
    assert missing == [], f"add {missing} to COMMANDS in interlace/cli/main.py"


def test_a_command_missing_from_the_registry_still_runs() -> None:
    """The whole package is imported when a name is unknown, so a forgotten line is not fatal."""
    probe = ("from interlace.cli.main import cli, main\n"
             "del cli.lazy['init']\n"
             "main(['init', '--help'])\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "Create the project directory NAME" in done.stdout, done.stderr


def test_commands_outside_the_registry_are_listed_too() -> None:
    """A command added to the group directly (``@cli.command()``) is listed and runs."""
    group = LazyGroup(name="g", lazy={"lazy": ("interlace.cli.init:init", "Create it.")})

    @group.command()
    def direct() -> None:
        """Runs at once."""

    context = click.Context(group)
    assert group.list_commands(context) == ["direct", "lazy"]
    assert group.get_command(context, "direct") is direct
    assert group.get_command(context, "lazy") is importlib.import_module("interlace.cli.init").init
    assert group.get_command(context, "missing") is None


def test_a_wrong_registry_entry_names_the_entry_and_the_file() -> None:
    group = LazyGroup(name="g", lazy={"bad": ("interlace.cli.main:COMMANDS", "Nothing.")})
    with pytest.raises(RuntimeError, match=r"'bad' points at 'interlace.cli.main:COMMANDS'.*"
                       r"interlace/cli/main.py"):
        group.get_command(click.Context(group), "bad")


def test_unknown_command_is_still_a_usage_error() -> None:
    done = subprocess.run([sys.executable, "-m", "interlace", "bogus"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "No such command 'bogus'" in done.stderr
