"""A click group whose commands are imported when they are run, not when the CLI starts.

``interlace --help`` lists every command from the registry's one-line help texts and imports none
of them (so not duckdb, pyarrow or sqlglot either); ``interlace run`` imports ``interlace.cli.run``
and what it needs. A command module that registers itself with ``@cli.command()`` still works: the
group looks in the registry for where it lives, imports it and returns the command. A name the
registry does not know makes the group import every module of ``package`` once (so a command whose
registry line was forgotten still runs, slowly; a test catches the missing line).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from typing import Any

import click


class LazyGroup(click.Group):
    """``lazy`` maps a command's name to ``("package.module:attribute", "one-line help")``."""

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]] | None = None,
                 package: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str]] = dict(lazy or {})
        self.package = package  # imported whole when a name is not in the registry
        self._imported_all = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            return self.load(cmd_name)
        if cmd_name not in self.commands and self.package and not self._imported_all:
            self._imported_all = True
            package = importlib.import_module(self.package)
            for module in pkgutil.iter_modules(package.__path__, f"{self.package}."):
                importlib.import_module(module.name)
        return super().get_command(ctx, cmd_name)

    def load(self, name: str) -> click.Command:
        """Import the command ``name`` from where the registry says it lives."""
        target = self.lazy[name][0]
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute, None)
        if not isinstance(command, click.Command):
            raise RuntimeError(f"the CLI registry entry {name!r} points at {target!r}, "
                               "which is not a click command: fix COMMANDS in interlace/cli/main.py")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Like click's, but a command not imported yet is described by its registry help."""
        rows: list[tuple[str, str]] = []
        limit = formatter.width - 6 - max((len(name) for name in self.list_commands(ctx)), default=0)
        for name in self.list_commands(ctx):
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                stub = click.Command(name, help=self.lazy[name][1])  # click's own shortening
                rows.append((name, stub.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
