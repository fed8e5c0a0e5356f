"""``interlace run`` and ``interlace plan``."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.markup import escape

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
        the_plan = ws.plan(options)
        if not as_json:
            ws.events.subscribe(Progress(console))
        result = ws.apply(the_plan, trigger="cli")  # Ctrl-C inside cancels the run and returns its result
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
        the_plan = ws.plan(options.run_options())
        # SQLMesh shows destructive changes in every plan: edited models are always previewed
        previews = ws.plan_diff(the_plan, edited_only=not options.diff)
        problems = {s.model: ws.graph().broken.get(s.model) for s in the_plan.errors if s.action == "error"}
    if as_json:
        data = the_plan.to_dict()
        if options.diff:
            data["schema_changes"] = [p.to_dict() for p in previews.values()]
        print(json.dumps(data, indent=2))
        return
    console.print(the_plan.explain(), markup=False)
    if options.diff:
        print_previews(previews)
    elif any(p.changes for p in previews.values()):
        print_previews({m: p for m, p in previews.items() if p.changes})
    for error in problems.values():  # models that cannot be built: the plan fails, saying why
        if error is not None:
            console.print(f"\n[red]✗[/] {escape(str(error))}", highlight=False)
    if problems:
        sys.exit(1)


def print_previews(previews: dict) -> None:
    changed = [p for p in previews.values() if p.changes or p.note]
    console.print("\nSchema changes:" if changed else "\nSchema changes: none")
    for preview in changed:
        console.print(f"  {preview.model}: {preview.note}" if preview.note else f"  {preview.model}:", markup=False)
        for change in preview.changes:
            console.print(f"    {change.describe()}", markup=False)
    breaking = [(p.model, c, readers) for p in previews.values() for c, readers in p.breaking]
    for model, change, readers in breaking:
        console.print(f"[red]BREAKING[/] {model}.{change.column} ({change.kind}) is read by "
                      + ", ".join(readers), highlight=False)
