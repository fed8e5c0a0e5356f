"""``interlace schedule list|status|trigger|pause|resume`` and ``interlace scheduler`` (the loop,
without HTTP)."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from typing import Any

import click

from interlace.cli.main import cli, console, err_console, open_workspace
from interlace.cli.params import json_flag, workspace_flags


def notebook_runner() -> Any:
    """The papermill runner for notebook schedules, when the `runner` extra is installed."""
    try:
        from interlace.runner.notebook import run_scheduled
    except ImportError:  # papermill missing: notebook fires fail with a message that says so
        return None
    return run_scheduled


@cli.group()
def schedule() -> None:
    """The project's schedules: models' schedule= and config.yaml's schedules:."""


def _rows(ws: Any) -> list[dict[str, Any]]:
    records = ws.schedule_records()
    rows = []
    for name, definition in ws.schedules().items():
        record = records.get(name)
        rows.append({"name": name, "kind": definition.kind, "when": definition.timing.describe(),
                     "runs": definition.runs,
                     "next_fire_at": record.next_fire_at if record else None,
                     "last_fire_at": record.last_fire_at if record else None,
                     "last_status": record.last_status if record else None,
                     "last_run_id": record.last_run_id if record else None,
                     "paused": bool(record and record.paused)})
    return rows


@schedule.command("list")
@workspace_flags
@json_flag
def list_schedules(project_dir: str, env: str | None, as_json: bool) -> None:
    """Every schedule, when it fires next and how its last fire went."""
    with open_workspace(project_dir, env) as ws:
        rows = _rows(ws)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        console.print("No schedules: add schedule={'cron': ...} to a model or schedules: to config.yaml.")
    for row in rows:
        next_fire = row["next_fire_at"].isoformat() if row["next_fire_at"] else "(when a scheduler starts)"
        console.print(f"{row['name']}  {row['kind']}  {row['when']}  runs {row['runs']}  next {next_fire}  "
                      f"last {row['last_status'] or '-'}" + ("  PAUSED" if row["paused"] else ""), markup=False)


@schedule.command("status")
@click.argument("name", required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@workspace_flags
@json_flag
def status(name: str | None, limit: int, project_dir: str, env: str | None, as_json: bool) -> None:
    """The last fires of schedule NAME (of every schedule without NAME), newest first."""
    with open_workspace(project_dir, env) as ws:
        if name is not None and name not in ws.schedules():
            from interlace.scheduler import Scheduler

            raise Scheduler(ws).unknown_after_load(name)
        fires = [f.to_dict() for f in ws.schedule_fires(name, limit=limit)]
    if as_json:
        print(json.dumps(fires, indent=2, default=str))
        return
    for fire in fires:
        console.print(f"{fire['schedule']}  {fire['scheduled_at'].isoformat()}  {fire['status']}  "
                      f"run {fire['run_id'] or '-'}" + (f"  {fire['error']}" if fire["error"] else ""), markup=False)
    if not fires:
        console.print("No fires recorded yet.")


@schedule.command("trigger")
@click.argument("name")
@workspace_flags
@json_flag
def trigger(name: str, project_dir: str, env: str | None, as_json: bool) -> None:
    """Fire schedule NAME now and wait for it (exits 1 when its run fails)."""
    from interlace.scheduler import Scheduler

    with open_workspace(project_dir, env) as ws:
        scheduler = Scheduler(ws, notebook_runner=notebook_runner())
        scheduler.load()
        fire = scheduler.trigger(name)
        scheduler.wait_idle(retries=True)
        final = next(f for f in ws.schedule_fires(name, limit=100) if f.scheduled_at == fire.scheduled_at)
        scheduler.stop()
    if as_json:
        print(json.dumps(final.to_dict(), indent=2, default=str))
    else:
        console.print(f"{name}: {final.status} (run {final.run_id or '-'})" + (f": {final.error}" if final.error else ""),
                      markup=False)
    sys.exit(0 if final.status == "success" else 1)


@schedule.command("pause")
@click.argument("name")
@workspace_flags
def pause(name: str, project_dir: str, env: str | None) -> None:
    """Stop firing schedule NAME (kept in state: every scheduler of the warehouse sees it)."""
    from interlace.scheduler import Scheduler

    with open_workspace(project_dir, env) as ws:
        Scheduler(ws).pause(name)
    console.print(f"{name}: paused (`interlace schedule resume {name}` fires it again)", markup=False)


@schedule.command("resume")
@click.argument("name")
@workspace_flags
def resume(name: str, project_dir: str, env: str | None) -> None:
    """Fire schedule NAME again, from its next tick (the ticks missed while paused do not run)."""
    from interlace.scheduler import Scheduler

    with open_workspace(project_dir, env) as ws:
        next_fire = Scheduler(ws).resume(name)
    console.print(f"{name}: resumed, next fire {next_fire.isoformat()}", markup=False)


@cli.command("scheduler")
@workspace_flags
def scheduler_command(project_dir: str, env: str | None) -> None:
    """Run the scheduler alone (no HTTP API) until Ctrl-C / SIGTERM; `interlace serve` runs it too.

    It holds the warehouse: `interlace run`, `plan`, `info`, ... in this project are sent to it."""
    from interlace.cli.forward import check_unowned
    from interlace.owner.channel import OwnerChannel
    from interlace.scheduler import Scheduler

    stop = threading.Event()
    check_unowned(project_dir, env)
    with open_workspace(project_dir, env) as ws, OwnerChannel(ws, kind="scheduler") as channel:
        scheduler = Scheduler(ws, call=channel.call, notebook_runner=notebook_runner()).start()
        console.print(f"interlace scheduler for {ws.loaded.config.name or ws.root.name} ({ws.env}): "
                      f"{len(scheduler.definitions)} schedules", markup=False)
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):
                pass
        scheduler.stop()
    err_console.print("Scheduler stopped.")
