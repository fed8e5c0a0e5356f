"""``interlace``: the command group, error handling, and the commands' registration.

Commands load on demand: ``COMMANDS`` maps each command's name to where it lives and its one-line
help, so ``interlace --help`` imports none of them and ``interlace run`` imports only
``interlace.cli.run``. A new command is one line there (a test checks the help matches).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from interlace import __version__
from interlace.cli.lazy import LazyGroup
from interlace.errors import InterlaceError, ProjectError

if TYPE_CHECKING:
    from rich.console import Console

    console: Console  # the commands' output (stdout); made on first use, rich loads slowly
    err_console: Console  # messages and errors (stderr)


@cache
def _console(name: str) -> Console:
    from rich.console import Console

    return Console(stderr=name == "err_console", highlight=False)


def __getattr__(name: str) -> Any:
    if name in ("console", "err_console"):
        return _console(name)
    raise AttributeError(f"module 'interlace.cli.main' has no attribute {name!r}")

# name: ("module:attribute", one-line help shown by `interlace --help`). One entry per command,
# in alphabetical order; tests/cli/test_lazy_cli.py checks each help against the command.
COMMANDS: dict[str, tuple[str, str]] = {
    "breaker": ("interlace.cli.dlq:breaker",
        'The circuit breakers of the connections (circuit_breaker: in config.yaml).'),
    "dlq": ("interlace.cli.dlq:dlq",
        'The dead-letter queue: scheduled or retried runs that failed every attempt.'),
    "docs": ("interlace.cli.docs:docs",
        'The documentation site: a page per model and notebook, lineage, run history and '
        'search.'),
    "export": ("interlace.cli.export:export",
        "Write MODEL's table to a file (format and path default to the model's export=)."),
    "info": ("interlace.cli.info:info",
        'Show the project: configuration, warehouse, models and the last run.'),
    "init": ("interlace.cli.init:init",
        'Create the project directory NAME (`.`: this empty directory) with a config, seed '
        'data and example models.'),
    "keys": ("interlace.cli.keys:keys",
        'API keys for `interlace serve`: scopes read < run < admin.'),
    "lake": ("interlace.cli.lake:lake",
        "Snapshots and maintenance of a DuckLake warehouse (default connection type: ducklake)."),
    "lineage": ("interlace.cli.lineage:lineage",
        'Column-level lineage: where a column comes from and where it goes.'),
    "migrate": ("interlace.cli.migrate:migrate",
        'Apply the pending migrations under migrations/ (each in its own transaction).'),
    "notebook": ("interlace.cli.notebook:notebook",
        "Run the project's notebooks with papermill (the `runner` extra)."),
    "plan": ("interlace.cli.run:plan",
        'Show what `run` would build, and why, without writing anything.'),
    "promote": ("interlace.cli.promote:promote",
        "Copy the selected table models from one environment's warehouse to another's "
        '(engine-side).'),
    "quality": ("interlace.cli.quality:quality",
        'Quality check results of MODEL (all models by default).'),
    "run": ("interlace.cli.run:run",
        'Build the selected models (all by default) and what they need.'),
    "schedule": ("interlace.cli.schedule:schedule",
        "The project's schedules: models' schedule= and config.yaml's schedules:."),
    "scheduler": ("interlace.cli.schedule:scheduler_command",
        'Run the scheduler alone (no HTTP API) until Ctrl-C / SIGTERM; `interlace serve` runs '
        'it too.'),
    "schema": ("interlace.cli.info:schema",
        'Columns of the models and how they changed over time.'),
    "serve": ("interlace.cli.serve:serve",
        'Serve the project: API under /api/v1, docs at /api/docs, dashboard at /dashboard, '
        'site at /docs.'),
    "state": ("interlace.cli.state:state",
        'Watermarks and other state kept between runs.'),
    "stream": ("interlace.cli.stream:stream",
        'Event streams (streams: in config.yaml, stream(...) in model files).'),
    "worker": ("interlace.cli.worker:worker",
        "Build models of a shared queue with other workers on the same DuckLake (PostgreSQL "
        "catalog), until none is left."),
}


@click.group(cls=LazyGroup, lazy=COMMANDS, package="interlace.cli",
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="interlace")
def cli() -> None:
    """interlace: SQL and Python models built into one DuckDB engine.

    Start with `interlace init my-project`, then `cd my-project && interlace run`.
    """


def open_workspace(project_dir: str, env: str | None) -> Any:
    """The workspace of ``project_dir``, which must look like a project (see :func:`require_project`)."""
    from interlace.workspace import Workspace

    require_project(Path(project_dir))
    return Workspace(project_dir, env)


def require_project(root: Path) -> None:
    """The CLI's rule: a project directory holds a ``config.yaml`` or a ``models/`` directory (or
    already has an embedded warehouse, ``.interlace/``, as a bare notebook directory does). Anything
    else is a mistake (a wrong ``cd``), and opening it would create a warehouse there. The embedded
    default of a bare notebook directory (``interlace.open()``, the magics) does not go through here."""
    if (root / "config.yaml").is_file() or (root / "models").is_dir() or (root / ".interlace").is_dir():
        return
    raise ProjectError(
        f"{root.resolve()} is not an interlace project: it has no config.yaml and no models/ directory",
        hint="create a project with `interlace init NAME` (or `interlace init .` here), "
        "or point at one with --project-dir DIR",
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors print their message (no traceback) and exit with status 2."""
    try:
        cli.main(args=argv, prog_name="interlace", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        _console("err_console").print("Aborted.")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except InterlaceError as exc:
        from rich.markup import escape

        _console("err_console").print(f"[red]Error:[/] {escape(str(exc))}")
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


def command(group: click.Group = cli, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    return group.command(**kwargs)
