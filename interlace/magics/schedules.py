"""``%interlace schedule list|status|trigger|pause|resume``: the schedules from a notebook.

The same operations as ``interlace schedule``: ``trigger`` fires the schedule now in this kernel's
workspace and waits for it (and for its retries), so a failure shows as an error in the cell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.display import display

from interlace.options import ScheduleOptions

if TYPE_CHECKING:
    from interlace.workspace import Workspace

__all__ = ["ACTIONS", "schedule_command"]

ACTIONS = ("list", "status", "trigger", "pause", "resume")


def _runner() -> Any:
    try:
        from interlace.runner.notebook import run_scheduled
    except ImportError:
        return None
    return run_scheduled


def schedule_command(ws: Workspace, options: ScheduleOptions) -> Any:
    """Do ``options.action``; returns what a cell shows."""
    from interlace.errors import ExecutionError, did_you_mean
    from interlace.scheduler import Scheduler
    from interlace.widgets.views import TableView

    if options.action not in ACTIONS:
        raise UsageError(f"%interlace schedule has no action '{options.action}'."
                         f"{did_you_mean(options.action, ACTIONS)} Actions: {', '.join(ACTIONS)}")
    if options.action != "list" and options.action != "status" and not options.name:
        raise UsageError(f"%interlace schedule {options.action} needs a schedule NAME "
                         "(`%interlace schedule list` shows them)")
    scheduler = Scheduler(ws, notebook_runner=_runner())
    if options.action == "list":
        records = ws.schedule_records()
        rows = []
        for name, d in ws.schedules().items():
            r = records.get(name)
            rows.append((name, d.kind, d.timing.describe(), d.runs,
                         r.next_fire_at if r else None, r.last_status if r else None,
                         "paused" if r and r.paused else ""))
        return display(TableView(f"Schedules: {len(rows)}", ["name", "kind", "when", "runs", "next fire",
                                                               "last status", ""], rows,
                                 css="interlace-schedules"))
    if options.action == "status":
        if options.name and options.name not in ws.schedules():
            raise scheduler.unknown_after_load(options.name)
        fires = ws.schedule_fires(options.name, limit=20)
        return display(TableView(f"Fires of {options.name or 'every schedule'}: {len(fires)}",
                                 ["schedule", "scheduled at", "status", "attempt", "run", "error"],
                                 [(f.schedule, f.scheduled_at, f.status, f.attempt, f.run_id, f.error)
                                  for f in fires], css="interlace-fires"))
    name = options.name or ""
    if options.action in ("pause", "resume"):
        if options.action == "pause":
            scheduler.pause(name)
            print(f"{name}: paused")
        else:
            print(f"{name}: resumed, next fire {scheduler.resume(name).isoformat()}")
        return None
    scheduler.load()
    fire = scheduler.trigger(name)
    scheduler.wait_idle(retries=True)
    scheduler.stop()
    final = next(f for f in ws.schedule_fires(name, limit=100) if f.scheduled_at == fire.scheduled_at)
    print(f"{name}: {final.status} (run {final.run_id or '-'}, attempt {final.attempt})")
    if final.status not in ("success", "skipped"):
        raise ExecutionError(f"schedule '{name}' fired and ended {final.status}: {final.error}",
                             hint="`%interlace schedule status NAME` shows its fires; "
                                  "`interlace dlq list` the dead letters")
    return None
