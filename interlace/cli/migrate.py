"""``interlace migrate``: apply pending migrations, list them, dry-run, roll back, or go --to N."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from interlace.cli.main import command, console, open_workspace
from interlace.cli.params import build_options, json_flag, options_from, workspace_flags
from interlace.options import MigrateOptions


@command(name="migrate")
@options_from(MigrateOptions)
@workspace_flags
@json_flag
def migrate(project_dir: str, env: str | None, as_json: bool, **values: Any) -> None:
    """Apply the pending migrations under migrations/ (each in its own transaction)."""
    options: MigrateOptions = build_options(MigrateOptions, values)
    with open_workspace(project_dir, env) as ws:
        if options.listing:
            statuses = ws.migrations()
            if as_json:
                print(json.dumps([s.to_dict() for s in statuses], indent=2))
                return
            if not statuses:
                console.print("No migrations: add migrations/001_name.up.sql (and .down.sql).", markup=False)
                return
            table = Table("version", "name", "status", "applied at", "rollback")
            for s in statuses:
                table.add_row(str(s.version), s.name, "applied" if s.applied_at else "pending",
                              f"{s.applied_at:%Y-%m-%d %H:%M:%S}" if s.applied_at else "",
                              "yes" if s.reversible else "no (up-only)")
            console.print(table)
            return
        steps = ws.migrate(options)
    if as_json:
        print(json.dumps({"dry_run": options.dry_run, "steps": [s.to_dict() for s in steps]}, indent=2))
        return
    if not steps:
        console.print("Nothing to migrate: every migration is applied.", markup=False)
        return
    verb = "Would run" if options.dry_run else "Ran"
    console.print(f"{verb} {len(steps)} migration{'s' if len(steps) != 1 else ''}:", markup=False)
    for step in steps:
        console.print(f"  {step}", markup=False)
