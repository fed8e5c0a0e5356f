"""``interlace``: the command group, error handling, and the commands' registration."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from interlace import __version__
from interlace.errors import InterlaceError, ProjectError

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    from interlace.cli import (  # noqa: F401 - registers the commands
        dlq,
        docs,
        export,
        info,
        init,
        keys,
        lake,
        lineage,
        migrate,
        notebook,
        promote,
        quality,
        run,
        schedule,
        serve,
        state,
        worker,
    )

    try:
        cli.main(args=argv, prog_name="interlace", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        err_console.print("Aborted.")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except InterlaceError as exc:
        err_console.print(f"[red]Error:[/] {escape(str(exc))}")
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


def command(group: click.Group = cli, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    return group.command(**kwargs)
