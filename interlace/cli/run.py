"""``interlace run`` and ``interlace plan``."""

from __future__ import annotations

import json
import sys
from typing import Any

from interlace.cli.main import cli, console, open_workspace
from interlace.cli.params import build_options, json_flag, options_from, workspace_flags
from interlace.cli.progress import Progress, print_summary
from interlace.options import PlanOptions, RunOptions


@cli.command()
@options_from(RunOptions)
@workspace_flags
@json_flag
def run(project_dir: str, env: str | None, as_json: bool, **values: Any) -> None:
    """Build the selected models (all by default) and what they need.

    Exits 1 when a model fails. Ctrl-C cancels: running models are rolled back and the run is
    recorded as cancelled (exit status 130).
    """
    options = build_options(RunOptions, values)
    with open_workspace(project_dir, env) as ws:
        the_run = ws.prepare_run(options, trigger="cli")
        if not as_json:
            ws.events.subscribe(Progress(console))
        result = the_run.execute()  # Ctrl-C inside cancels the run and returns its result
        if as_json:
            print(json.dumps(result.to_dict(), indent=2, default=str))
        else:
            print_summary(console, result)
    sys.exit({"success": 0, "cancelled": 130}.get(result.status, 1))


@cli.command()
@options_from(PlanOptions)
@workspace_flags
@json_flag
def plan(project_dir: str, env: str | None, as_json: bool, **values: Any) -> None:
    """Show what `run` would build, and why, without writing anything."""
    options = build_options(PlanOptions, values)
    with open_workspace(project_dir, env) as ws:
        the_plan = ws.plan(options.select or None, exclude=options.exclude or None, force=options.force)
        if as_json:
            print(json.dumps(the_plan.to_dict(), indent=2))
        else:
            console.print(the_plan.explain(), markup=False)
