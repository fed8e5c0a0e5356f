"""``interlace run`` and ``interlace plan``."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

from rich.markup import escape

from interlace.cli import forward, nochange
from interlace.cli.main import cli, console, open_workspace
from interlace.cli.params import (
    build_options,
    json_flag,
    only_defaults,
    options_from,
    workspace_flags,
)
from interlace.options import PlanOptions, RunOptions


@cli.command()
@options_from(RunOptions)
@workspace_flags
@json_flag
@forward.forwardable
def run(project_dir: str, env: str | None, as_json: bool, **values: Any) -> None:
    """Build the selected models (all by default) and what they need.

    Exits 1 when a model fails. Ctrl-C cancels: running models are rolled back and the run is
    recorded as cancelled (exit status 130). While `interlace serve` (or a kernel) holds the
    warehouse, the run is sent to it and its progress shown here. A plain `interlace run` when
    nothing changed since the last run that built nothing answers at once, without opening the
    warehouse (and records no run).
    """
    plain = not as_json and only_defaults()
    if plain and forward.owner_client(project_dir, env) is None:
        nochange.answer(project_dir, env)  # exits when nothing changed since a no-change run
    from interlace.cli.progress import Progress, print_summary

    options = build_options(RunOptions, values)
    progress = None if as_json else Progress(console)
    result = forward.run(project_dir, env, options, progress)
    pending = None
    if result is None:
        with open_workspace(project_dir, env) as ws:
            the_plan = ws.plan(options)
            if progress is not None:
                ws.events.subscribe(progress)
            # Ctrl-C inside cancels the run and returns its result
            result = ws.apply(the_plan, trigger="cli")
            if plain and result.status == "success":
                pending = nochange.pending(ws, the_plan)
        if pending is not None:  # after closing: closing the warehouse writes it
            pending.write(env, result.run_id)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print_summary(console, result)
    sys.exit({"success": 0, "cancelled": 130}.get(result.status, 1))


@cli.command()
@options_from(PlanOptions)
@workspace_flags
@json_flag
@forward.forwardable
def plan(project_dir: str, env: str | None, as_json: bool, **values: Any) -> None:
    """Show what `run` would build, and why, without writing anything."""
    from interlace.engine.preview import SchemaPreview
    from interlace.errors import error_from_dict

    options = build_options(PlanOptions, values)
    answer = forward.answer("plan", project_dir, env, **dataclasses.asdict(options))
    if as_json:
        data = answer["plan"]
        if options.diff:
            data["schema_changes"] = answer["previews"]
        print(json.dumps(data, indent=2))
        return
    previews = {p["model"]: SchemaPreview.from_dict(p) for p in answer["previews"]}
    problems = {m: error_from_dict(e) if e else None for m, e in answer["problems"].items()}
    console.print(answer["explain"], markup=False)
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
