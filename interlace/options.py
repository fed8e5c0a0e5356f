"""One options dataclass per command, shared by every face.

The CLI builds its click parameters from these fields and the notebook magics build their
``magic_arguments`` from the same fields, so a flag cannot mean one thing in the terminal and
another in a notebook. Each field's metadata says how it is spelled on a command line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DagOptions",
    "DiffOptions",
    "DocsOptions",
    "DocsServeOptions",
    "EnvOptions",
    "ExportOptions",
    "Flag",
    "ForgetOptions",
    "HelpOptions",
    "InfoOptions",
    "LineageOptions",
    "MigrateOptions",
    "ModelCellOptions",
    "PlanOptions",
    "PromoteOptions",
    "QualityOptions",
    "RunOptions",
    "SchemaListOptions",
    "ServeOptions",
    "ShowOptions",
    "StreamOptions",
    "argparse_arguments",
    "check_window",
    "flags_of",
    "options_from_namespace",
]


@dataclass(frozen=True, slots=True)
class Flag:
    """How one options field is spelled on a command line."""

    names: tuple[str, ...]  # ("--force",) or ("select",) for a positional argument
    help: str
    kind: str = "flag"  # flag (bool) | value | many (repeatable) | positional (zero or more)
    #   | argument (one positional value: required unless the field has a default)
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
                "path:models/X, state:modified[+] or a glob; several are a union")


@dataclass(frozen=True, slots=True)
class RunOptions:
    select: tuple[str, ...] = _opt("select", help=_SELECT_HELP, kind="positional", default=(), metavar="SELECTOR")
    exclude: tuple[str, ...] = _opt("--exclude", help="models to leave out (same syntax as the selection)",
                                    kind="many", default=(), metavar="SELECTOR")
    force: bool = _opt("--force", help="build the selected models even if nothing changed", default=False)
    since: str | None = _opt("--since", help="backfill incremental (cursor) models from this value (inclusive); "
                             "the watermark is neither used nor moved", kind="value", metavar="VALUE")
    until: str | None = _opt("--until", help="backfill up to this value (exclusive)", kind="value", metavar="VALUE")
    max_workers: int | None = _opt("--max-workers", help="models built at once (default: config run.max_workers, else CPU count)",
                                   kind="value", type=int, metavar="N")
    quality_only: bool = _opt("--quality-only", help="re-run the quality checks of the selected models on their "
                              "existing tables, without building anything", default=False)


@dataclass(frozen=True, slots=True)
class PlanOptions:
    select: tuple[str, ...] = _opt("select", help=_SELECT_HELP, kind="positional", default=(), metavar="SELECTOR")
    exclude: tuple[str, ...] = _opt("--exclude", help="models to leave out (same syntax as the selection)",
                                    kind="many", default=(), metavar="SELECTOR")
    force: bool = _opt("--force", help="plan as if --force were given to run", default=False)
    since: str | None = _opt("--since", help="plan a backfill from this value (see run --since)", kind="value",
                             metavar="VALUE")
    until: str | None = _opt("--until", help="plan a backfill up to this value", kind="value", metavar="VALUE")
    diff: bool = _opt("--diff", help="also show how each model's columns would change, and which changes "
                      "break a downstream model that reads the column", default=False)

    def run_options(self) -> RunOptions:
        """The run this plan describes (``interlace plan X`` shows what ``interlace run X`` does)."""
        return RunOptions(select=self.select, exclude=self.exclude, force=self.force, since=self.since,
                          until=self.until)


@dataclass(frozen=True, slots=True)
class SchemaListOptions:
    select: tuple[str, ...] = _opt("select", help=_SELECT_HELP, kind="positional", default=(), metavar="SELECTOR")


@dataclass(frozen=True, slots=True)
class DocsOptions:
    """``interlace docs build`` and ``%interlace docs``: the static documentation site."""

    select: tuple[str, ...] = _opt("select", help=_SELECT_HELP + " (default: every model gets a page)",
                                   kind="positional", default=(), metavar="SELECTOR")
    out: str | None = _opt("--out", help="the site's directory (default: site/ in the project)", kind="value",
                           metavar="DIR")
    force: bool = _opt("--force", help="build into a non-empty directory that `docs build` did not make, "
                       "replacing what is in it", default=False)


@dataclass(frozen=True, slots=True)
class DocsServeOptions:
    """``interlace docs serve``: build the site, serve it on 127.0.0.1, rebuild when files change."""

    select: tuple[str, ...] = _opt("select", help=_SELECT_HELP + " (default: every model gets a page)",
                                   kind="positional", default=(), metavar="SELECTOR")
    out: str | None = _opt("--out", help="the site's directory (default: site/ in the project)", kind="value",
                           metavar="DIR")
    force: bool = _opt("--force", help="build into a non-empty directory that `docs build` did not make",
                       default=False)
    port: int = _opt("--port", help="the port on 127.0.0.1 (default: 8765; 0 picks a free one)", kind="value",
                     type=int, default=8765, metavar="PORT")

    def build_options(self) -> DocsOptions:
        return DocsOptions(select=self.select, out=self.out, force=self.force)


@dataclass(frozen=True, slots=True)
class MigrateOptions:
    """``migrate``: apply pending migrations/, list them, or roll back."""

    listing: bool = _opt("--list", help="list the migrations and whether each is applied; change nothing",
                      default=False)
    dry_run: bool = _opt("--dry-run", help="show the migrations that would run, without running them",
                         default=False)
    rollback: bool = _opt("--rollback", help="roll back the latest applied migration (runs its .down.sql)",
                          default=False)
    to: int | None = _opt("--to", help="migrate to version N: up to it, or down to (and excluding) it; "
                          "0 rolls back everything", kind="value", type=int, metavar="N")


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """``export``: write a model's table to a file with DuckDB's COPY."""

    model: str = _opt("model", help="the model whose table to export", kind="argument",
                      default=dataclasses.MISSING, metavar="MODEL")
    format: str | None = _opt("--format", help="parquet, csv or json (default: the model's export=, else "
                              "from the --path suffix)", kind="value", metavar="FORMAT")
    path: str | None = _opt("--path", help="the file (or, with --partition-by, directory) to write, relative "
                            "to the project (default: the model's export=)", kind="value", metavar="PATH")
    partition_by: tuple[str, ...] = _opt("--partition-by", help="parquet/csv: one directory per value of this "
                                         "column (repeatable)", kind="many", default=(), metavar="COLUMN")


@dataclass(frozen=True, slots=True)
class PromoteOptions:
    """``promote``: copy model tables from one environment's warehouse to another's, engine-side."""

    select: tuple[str, ...] = _opt("select", help=_SELECT_HELP + " (default: every table model)",
                                   kind="positional", default=(), metavar="SELECTOR")
    source: str | None = _opt("--from", help="the environment to copy from (required)", kind="value",
                              metavar="ENV")
    target: str | None = _opt("--to", help="the environment to copy to (required)", kind="value",
                              metavar="ENV")
    dry_run: bool = _opt("--dry-run", help="show what would be copied, without copying", default=False)
    force: bool = _opt("--force", help="overwrite target tables built more recently than the source",
                       default=False)


def check_window(since: str | None, until: str | None) -> None:
    """``--since`` must come before ``--until`` (compared as timestamps, numbers, else text)."""
    if since is None or until is None:
        return
    lo, hi = _comparable(since), _comparable(until)
    if type(lo) is type(hi) and lo >= hi:
        from interlace.errors import InvalidOptionError

        raise InvalidOptionError(
            f"--since {since} is not before --until {until}",
            hint="give a window whose start comes before its end (--since is inclusive, --until exclusive)",
        )


def _comparable(value: str) -> Any:
    from datetime import datetime

    for parse in (datetime.fromisoformat, float):
        try:
            result = parse(value)
        except ValueError:
            continue
        if isinstance(result, datetime) and result.tzinfo is not None:
            result = result.replace(tzinfo=None)
        return result
    return value


def flags_of(options: type) -> list[tuple[str, Flag]]:
    """(field name, flag) for every field of an options dataclass, in declaration order."""
    return [(f.name, f.metadata["flag"]) for f in dataclasses.fields(options)]


# -- notebook faces (magics and the models/*.ipynb reader) ----------------------------------------

@dataclass(frozen=True, slots=True)
class DagOptions:
    select: tuple[str, ...] = _opt("select", help=_SELECT_HELP + " (default: every model)", kind="positional",
                                   default=(), metavar="SELECTOR")
    exclude: tuple[str, ...] = _opt("--exclude", help="models to leave out (same syntax as the selection)",
                                    kind="many", default=(), metavar="SELECTOR")


@dataclass(frozen=True, slots=True)
class ShowOptions:
    model: str = _opt("model", help="the model whose rows to show", kind="argument",
                      default=dataclasses.MISSING, metavar="MODEL")
    limit: int = _opt("--limit", help="how many rows to show (default: 10)", kind="value", type=int,
                      default=10, metavar="N")


@dataclass(frozen=True, slots=True)
class DiffOptions:
    model: str = _opt("model", help="the model whose latest schema change to show", kind="argument",
                      default=dataclasses.MISSING, metavar="MODEL")


@dataclass(frozen=True, slots=True)
class QualityOptions:
    model: str | None = _opt("model", help="the model whose check results to show (omit it for every model)",
                             kind="argument", metavar="MODEL")
    history: bool = _opt("--history", help="every recorded result, not only the latest of each check",
                         default=False)


@dataclass(frozen=True, slots=True)
class LineageOptions:
    target: str = _opt("target", help="MODEL.COLUMN, or MODEL for every column of the model", kind="argument",
                       default=dataclasses.MISSING, metavar="MODEL[.COLUMN]")
    downstream: bool = _opt("--downstream", help="follow the columns that read it, not its sources",
                            default=False)


@dataclass(frozen=True, slots=True)
class ForgetOptions:
    model: str = _opt("model", help="the model a cell declared, to remove from the session", kind="argument",
                      default=dataclasses.MISSING, metavar="MODEL")


@dataclass(frozen=True, slots=True)
class StreamOptions:
    action: str = _opt("action", help="list | show | tail | publish | replay", kind="argument",
                       default="list", metavar="ACTION")
    name: str | None = _opt("name", help="the stream", kind="argument", metavar="NAME")
    events: str | None = _opt("events", help="publish: a JSON object or array (quote it)",
                              kind="argument", metavar="JSON")
    lines: int = _opt("--lines", "-n", help="tail: how many of the last events", kind="value",
                      type=int, default=10, metavar="N")
    consumer: str | None = _opt("--consumer", help="replay: the consumer to deliver to again",
                                kind="value", metavar="NAME")
    from_offset: int = _opt("--from", help="replay: the first offset delivered again",
                            kind="value", type=int, default=1, metavar="OFFSET")


@dataclass(frozen=True, slots=True)
class InfoOptions:
    """``info`` has no flags of its own (the CLI adds --project-dir, --env and --json)."""


@dataclass(frozen=True, slots=True)
class EnvOptions:
    name: str | None = _opt("name", help="the environment to switch to (omit it to show the current one)",
                            kind="argument", metavar="NAME")


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """``%interlace serve``: the API and dashboard inside the kernel, on the session's workspace."""

    port: int | None = _opt("--port", help="the port on 127.0.0.1 (default: service.port, 8080; "
                            "0 picks a free one)", kind="value", type=int, metavar="N")
    no_dashboard: bool = _opt("--no-dashboard", help="serve the API only (faster start, no Panel)",
                              default=False)
    stop: bool = _opt("--stop", help="stop serving (CLI commands then find the warehouse held "
                      "again)", default=False)


@dataclass(frozen=True, slots=True)
class ScheduleOptions:
    action: str = _opt("action", help="list | status | trigger | pause | resume", kind="argument",
                       default="list", metavar="ACTION")
    name: str | None = _opt("name", help="the schedule (status: optional; trigger, pause, resume: needed)",
                            kind="argument", metavar="NAME")


@dataclass(frozen=True, slots=True)
class HelpOptions:
    command: str | None = _opt("command", help="the command to describe (omit it to list them all)",
                               kind="argument", metavar="COMMAND")


@dataclass(frozen=True, slots=True)
class ModelCellOptions:
    """``%%interlace_model``: a SQL cell as a model (the same line is read from ``models/*.ipynb``)."""

    name: str | None = _opt("name", help="the model's name (or name= in the cell's -- @model header)",
                            kind="argument", metavar="NAME")
    materialize: str | None = _opt("--materialize", "--materialise",
                                   help="table (default), view, ephemeral or none", kind="value",
                                   metavar="KIND")
    strategy: str | None = _opt("--strategy", help="replace (default), append, merge_by_key, scd_type_2 or none",
                                kind="value", metavar="STRATEGY")
    primary_key: tuple[str, ...] = _opt("--primary-key", help="key column(s); repeat it or separate with commas",
                                        kind="many", default=(), metavar="COLUMN")
    check: tuple[str, ...] = _opt("--check", help='a quality check such as "not_null(id)"; repeatable',
                                  kind="many", default=(), metavar="CHECK")
    schema: str | None = _opt("--schema", help="the schema the model is written to", kind="value",
                              metavar="SCHEMA")
    tag: tuple[str, ...] = _opt("--tag", help="a tag for selectors (tag:x); repeatable", kind="many",
                                default=(), metavar="TAG")
    no_run: bool = _opt("--no-run", help="only register the model; do not build it", default=False)


def argparse_arguments(options: type) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """``(names, keywords)`` for ``argparse.ArgumentParser.add_argument``, one per field.

    The notebook magics (through IPython's ``magic_arguments``, which is argparse) and the
    ``models/*.ipynb`` reader parse their command lines with these, so they agree with each other
    and, through the same :class:`Flag` metadata, with the CLI.
    """
    out: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    for field in dataclasses.fields(options):
        flag: Flag = field.metadata["flag"]
        metavar = flag.metavar or field.name.upper()
        if flag.kind == "positional":
            out.append(((field.name,), {"nargs": "*", "metavar": metavar, "help": flag.help}))
        elif flag.kind == "argument":
            optional = field.default is not dataclasses.MISSING
            out.append(((field.name,), {"nargs": "?" if optional else None, "metavar": metavar,
                                        "help": flag.help, "type": flag.type}))
        elif flag.kind == "flag":
            out.append((flag.names, {"dest": field.name, "action": "store_true", "help": flag.help}))
        elif flag.kind == "many":
            out.append((flag.names, {"dest": field.name, "action": "append", "type": flag.type,
                                     "metavar": metavar, "help": flag.help}))
        else:
            out.append((flag.names, {"dest": field.name, "type": flag.type, "metavar": metavar,
                                     "help": flag.help}))
    return out


def options_from_namespace(options: type, namespace: Any) -> Any:
    """The options value from a parsed argparse namespace (lists become tuples, absent values defaults)."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(options):
        value = getattr(namespace, field.name, None)
        if isinstance(value, list):
            value = tuple(value)
        if value is None and field.default is not dataclasses.MISSING:
            value = field.default
        values[field.name] = value
    return options(**values)
