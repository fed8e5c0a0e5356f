"""Click parameters built from the shared options dataclasses, and the flags every command has."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from interlace.options import flags_of

F = TypeVar("F", bound=Callable[..., Any])


def options_from(options: type) -> Callable[[F], F]:
    """Decorate a click command with one parameter per field of ``options``."""

    def decorate(command: F) -> F:
        for name, flag in reversed(flags_of(options)):
            if flag.positional:
                param = click.argument(name, nargs=-1, metavar=f"[{flag.metavar or name.upper()}]...")
            elif flag.kind == "argument":
                param = click.argument(name, metavar=flag.metavar or name.upper())
            elif flag.kind == "flag":
                param = click.option(*flag.names, name, is_flag=True, default=False, help=flag.help)
            elif flag.kind == "many":
                param = click.option(*flag.names, name, multiple=True, type=flag.type, metavar=flag.metavar,
                                     help=flag.help)
            else:
                param = click.option(*flag.names, name, type=flag.type, default=_default(options, name),
                                     metavar=flag.metavar, help=flag.help)
            command = param(command)
        return command

    return decorate


def _default(options: type, name: str) -> Any:
    """The field's default, so that a flag left out means what the dataclass says (None if none)."""
    import dataclasses

    field = next(f for f in dataclasses.fields(options) if f.name == name)
    return None if field.default is dataclasses.MISSING else field.default


def build_options(options: type, values: dict[str, Any]) -> Any:
    """The options value from click's parsed ``values``."""
    return options(**{name: values[name] for name, _ in flags_of(options)})


def workspace_flags(command: F) -> F:
    """``--project-dir/-d`` and ``--env/-e``: spelled the same on every command."""
    command = click.option("--env", "-e", default=None, envvar="INTERLACE_ENV", show_envvar=True,
                           help="environment: overlays config.{env}.yaml (default: dev)")(command)
    command = click.option("--project-dir", "-d", default=".", show_default=True,
                           type=click.Path(file_okay=False), help="the project directory")(command)
    return command


def json_flag(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="print JSON for machines")(command)


def only_defaults(keep: tuple[str, ...] = ("project_dir", "env")) -> bool:
    """Whether every parameter of the current command but ``keep`` was left at its default (none
    given on the command line or through an environment variable)."""
    context = click.get_current_context()
    return all(context.get_parameter_source(name) == click.core.ParameterSource.DEFAULT
               for name in context.params if name not in keep)
