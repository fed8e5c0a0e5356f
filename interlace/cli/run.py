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

    Exits 1 when a model fails. Ctrl-C cancels: running models are rolled back.
    """
    options = build_options(RunOptions, values)
    with open_workspace(project_dir, env) as ws:
        the_run = ws.prepare_run(options, trigger="cli")
        if not as_json:
            ws.events.subscribe(Progress(console))
        try:
            result = the_run.execute()
        except KeyboardInterrupt:  # pragma: no cover - execute() handles it; belt and braces
            the_run.cancel()
            raise
        if as_json:
            print(json.dumps(result.to_dict(), indent=2, default=str))
        else:
            print_summary(console, result)
    sys.exit(0 if result.ok else 1)


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
