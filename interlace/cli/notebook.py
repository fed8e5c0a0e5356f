"""``interlace notebook run``: execute a notebook with papermill, typed parameters, archived."""

from __future__ import annotations

import json
import sys

import click

from interlace.cli.main import cli, console, err_console, open_workspace
from interlace.cli.params import json_flag, workspace_flags


@cli.group()
def notebook() -> None:
    """Run the project's notebooks with papermill (the `runner` extra)."""


@notebook.command("run")
@click.argument("path")
@click.option("--parameter", "-p", "parameters", nargs=2, multiple=True, metavar="NAME VALUE",
              help="a parameter of the notebook's 'parameters' cell, typed like its default (repeatable)")
@click.option("--output", "-o", default=None, type=click.Path(dir_okay=False),
              help="also write the executed notebook here (it is always archived under .interlace/runs/<run_id>/)")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="stop the notebook when it runs longer than this (status timeout)")
@click.option("--kernel", default="interlace", show_default=True,
              help="the Jupyter kernel to execute in (make setup registers 'interlace' for this environment)")
@workspace_flags
@json_flag
def run(path: str, parameters: tuple[tuple[str, str], ...], output: str | None, timeout: float | None,
        kernel: str, project_dir: str, env: str | None, as_json: bool) -> None:
    """Execute the notebook PATH (inside the project) and record the run.

    The kernel opens the same project and environment (`interlace.open()` and `%load_ext
    interlace` read $INTERLACE_PROJECT_DIR / $INTERLACE_ENV). Exits 1 when a cell fails or the
    timeout hits; the error names the cell (number, id, first line) and the exception.
    """
    from interlace.runner.notebook import NotebookRequest, run_notebook

    given: dict[str, str] = {}
    for name, value in parameters:
        given[name] = value
    request = NotebookRequest(path, given, output=output, timeout=timeout, kernel=kernel, trigger="cli")
    record = run_notebook(request, open_workspace=lambda: open_workspace(project_dir, env))
    if as_json:
        print(json.dumps(record.to_dict(), indent=2, default=str))
    elif record.status == "success":
        console.print(f"notebook {record.notebook} succeeded in {(record.duration_ms or 0) / 1000:.1f}s "
                      f"(run {record.run_id})", markup=False)
        console.print(f"  executed notebook: {record.output_path}", markup=False)
        if record.models:
            console.print(f"  models built: {', '.join(record.models)}", markup=False)
    else:
        err_console.print(f"notebook {record.notebook} {record.status} (run {record.run_id}): {record.error}",
                          markup=False)
        err_console.print(f"  executed notebook: {record.output_path}", markup=False)
    sys.exit(0 if record.status == "success" else 1)
