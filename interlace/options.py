"""One options dataclass per command, shared by every face.

The CLI builds its click parameters from these fields and the notebook magics build their
``magic_arguments`` from the same fields, so a flag cannot mean one thing in the terminal and
another in a notebook. Each field's metadata says how it is spelled on a command line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = ["Flag", "PlanOptions", "RunOptions", "SchemaListOptions", "flags_of"]


@dataclass(frozen=True, slots=True)
class Flag:
    """How one options field is spelled on a command line."""

    names: tuple[str, ...]  # ("--force",) or ("select",) for a positional argument
    help: str
    kind: str = "flag"  # flag (bool) | value | many (repeatable) | positional (zero or more)
    type: type = str
    metavar: str | None = None

    @property
    def positional(self) -> bool:
        return self.kind == "positional"


def _opt(*names: str, help: str, kind: str = "flag", type: type = str, default: Any = None,
         metavar: str | None = None) -> Any:
    return dataclasses.field(default=default,
                             metadata={"flag": Flag(names, help, kind, type, metavar)})


_SELECT_HELP = ("models to select: NAME, +NAME (with upstream), NAME+ (with downstream), tag:X, "
                "path:models/X or a glob; several are a union")


@dataclass(frozen=True, slots=True)
class RunOptions:
    select: tuple[str, ...] = _opt("select", help=_SELECT_HELP, kind="positional", default=(), metavar="SELECTOR")
    exclude: tuple[str, ...] = _opt("--exclude", help="models to leave out (same syntax as the selection)",
                                    kind="many", default=(), metavar="SELECTOR")
    force: bool = _opt("--force", help="build the selected models even if nothing changed", default=False)
    max_workers: int | None = _opt("--max-workers", help="models built at once (default: config run.max_workers, else CPU count)",
                                   kind="value", type=int, metavar="N")


@dataclass(frozen=True, slots=True)
class PlanOptions:
    select: tuple[str, ...] = _opt("select", help=_SELECT_HELP, kind="positional", default=(), metavar="SELECTOR")
    exclude: tuple[str, ...] = _opt("--exclude", help="models to leave out (same syntax as the selection)",
                                    kind="many", default=(), metavar="SELECTOR")
    force: bool = _opt("--force", help="plan as if --force were given to run", default=False)


@dataclass(frozen=True, slots=True)
class SchemaListOptions:
    select: tuple[str, ...] = _opt("select", help=_SELECT_HELP, kind="positional", default=(), metavar="SELECTOR")


def flags_of(options: type) -> list[tuple[str, Flag]]:
    """(field name, flag) for every field of an options dataclass, in declaration order."""
    return [(f.name, f.metadata["flag"]) for f in dataclasses.fields(options)]
