"""``interlace quality [MODEL]``: the latest check results (or their history), with failing rows."""

from __future__ import annotations

import json

import click
from rich.markup import escape
from rich.table import Table

from interlace.cli import forward
from interlace.cli.main import cli, console
from interlace.cli.params import json_flag, workspace_flags
from interlace.formatting import for_people

STATUS = {"pass": "[green]pass[/]", "fail": "[red]fail[/]", "error": "[red]error[/]"}


@cli.command()
@click.argument("model", required=False)
@click.option("--history", is_flag=True, help="every recorded result, not only the latest of each check")
@click.option("--samples/--no-samples", default=True, show_default=True, help="show failing sample rows")
@workspace_flags
@json_flag
@forward.forwardable
def quality(model: str | None, history: bool, samples: bool, project_dir: str, env: str | None, as_json: bool) -> None:
    """Quality check results of MODEL (all models by default)."""
    rows = forward.answer("quality", project_dir, env, model=model, history=history)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        console.print("No quality results yet: declare quality_checks and run `interlace run`.")
        return
    table = Table("model", "check", "severity", "status", "failing", "checked")
    for row in rows:
        status = STATUS.get(row["status"], row["status"])
        if row["status"] == "fail" and row["severity"] == "warn":
            status = "[yellow]warn[/]"
        table.add_row(row["model"], escape(row["check_name"]), row["severity"], status, str(row["failing"]),
                      f"{row['checked_at']:%Y-%m-%d %H:%M:%S}")
    console.print(table)
    for row in rows:
        if row["status"] == "pass" or not samples:
            continue
        console.print(f"\n[bold]{escape(row['model'])}: {escape(row['check_name'])}[/] — {escape(row['message'] or '')}")
        if row["sql"]:
            console.print(f"  reproduce: {row['sql']}", markup=False, soft_wrap=True)
        for sample in row["samples"]:
            console.print("  " + ", ".join(f"{k}={for_people(v)}" for k, v in sample.items()), markup=False,
                          soft_wrap=True)
