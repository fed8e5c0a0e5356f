"""IPython ``magic_arguments`` built from the shared options dataclasses (``interlace.options``).

:func:`command` gives a magic method the parser of an options class, field by field from the
same ``Flag`` metadata the CLI's click parameters come from, plus ``-h/--help``; :func:`parse`
turns a magic's line into that options value.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument, magic_arguments

from interlace.options import argparse_arguments, options_from_namespace

__all__ = ["command", "parse"]

F = TypeVar("F", bound=Callable[..., Any])


def command(options: type, name: str) -> Callable[[F], F]:
    """Attach ``options``' flags (and ``--help``) to a magic method as IPython ``magic_arguments``."""

    def decorate(func: F) -> F:
        func = argument("-h", "--help", action="store_true", dest="help", help="show this help and exit")(func)
        for names, keywords in reversed(argparse_arguments(options)):
            func = argument(*names, **keywords)(func)
        func = magic_arguments(name)(func)
        func.options = options  # type: ignore[attr-defined]
        return func

    return decorate


def parse(func: Any, line: str) -> Any:
    """The options value of ``func`` from ``line``; None when ``--help`` was asked for (and shown)."""
    try:
        argv = shlex.split(line)  # as the models/*.ipynb reader splits it, so both agree
    except ValueError as exc:  # unbalanced quotes
        raise UsageError(f"%{func.parser.prog}: the line does not parse: {exc}") from None
    if {"-h", "--help"} & set(argv):  # before required arguments are checked
        print(func.parser.format_help().rstrip())
        return None
    try:
        namespace = func.parser.parse_args(argv)
    except UsageError as exc:
        prog = "%" + func.parser.prog
        raise UsageError(f"{prog}: {exc}\nSee `{prog} --help` for its arguments and flags.") from None
    return options_from_namespace(func.options, namespace)
