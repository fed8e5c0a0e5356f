"""``interlace worker``: one of several processes building a plan together on one DuckLake."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import click

from interlace.cli.main import cli, console, err_console, require_project
from interlace.cli.params import workspace_flags


@cli.command("worker")
@click.argument("selector", nargs=-1)
@click.option("--queue", "-q", default="default", show_default=True,
              help="the shared queue to work on; the first worker writes its plan to it")
@click.option("--exclude", multiple=True, help="models left out of the plan (with the first worker)")
@click.option("--force", is_flag=True, help="plan every selected model as a build")
@click.option("--lease", "lease_seconds", type=click.FloatRange(min=0.5), default=30.0, show_default=True,
              help="seconds a model stays claimed without a heartbeat (a dead worker's model is "
              "taken again after this)")
@click.option("--id", "worker_id", default=None,
              help="this worker's name (default: host-pid); its run state is kept in "
              ".interlace/{env}.worker-{id}.state.duckdb")
@workspace_flags
def worker(selector: tuple[str, ...], queue: str, exclude: tuple[str, ...], force: bool,
           lease_seconds: float, worker_id: str | None, project_dir: str, env: str | None) -> None:
    """Build models of a shared queue with other workers on the same DuckLake (PostgreSQL
    catalog), until none is left. Start N of these (on one or many machines)."""
    from interlace.config import load_config
    from interlace.workers.queue import attach_lock
    from interlace.workers.worker import WorkerOptions, queue_dsn, run_worker
    from interlace.workspace import Workspace

    require_project(Path(project_dir))
    name = worker_id or f"{socket.gethostname()}-{os.getpid()}"
    if not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise click.BadParameter(f"{name!r}: use letters, digits, '-', '_' and '.'", param_hint="--id")
    loaded = load_config(Path(project_dir), env)
    state = f".interlace/{loaded.env}.worker-{name}.state.duckdb"
    options = WorkerOptions(queue=queue, select=selector, exclude=exclude, force=force,
                            lease_seconds=lease_seconds)
    with attach_lock(queue_dsn(loaded)):  # the lake's first ATTACH creates its catalog tables
        ws = Workspace(project_dir, env, state_path=state)
    with ws:
        report = run_worker(ws, options, worker=name, say=lambda line: console.print(line, markup=False))
    c = report.counts
    console.print(f"{name}: built {len(report.built)} model(s), {len(report.failed)} failed; queue "
                  f"'{queue}': {c.done} done, {c.failed} failed, {c.skipped} skipped", markup=False)
    if not report.ok:
        err_console.print(f"queue '{queue}' finished with failures", markup=False)
        sys.exit(1)
