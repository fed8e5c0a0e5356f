"""``interlace info`` and ``interlace schema list|history``."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.table import Table

from interlace.cli import forward
from interlace.cli.main import cli, console, open_workspace
from interlace.cli.params import build_options, json_flag, options_from, workspace_flags
from interlace.options import SchemaListOptions
from interlace.state.store import describe_changes


@cli.command()
@workspace_flags
@json_flag
@forward.forwardable
def info(project_dir: str, env: str | None, as_json: bool) -> None:
    """Show the project: configuration, warehouse, models and the last run."""
    data = forward.answer("info", project_dir, env)
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return
    console.print(f"[bold]{data['name']}[/]  ({data['project_dir']})")
    console.print(f"env:        {data['env']}")
    console.print(f"config:     {', '.join(data['config_files'])}")
    console.print(f"warehouse:  {data['warehouse']}")
    engines = data.get("engines") or {}
    console.print("engines:    " + (", ".join(f"{e}: {n} models" for e, n in engines.items()) or "none"),
                  markup=False)
    kinds = ", ".join(f"{n} {k}" for k, n in data["models_by_kind"].items())
    console.print(f"models:     {data['models']}" + (f" ({kinds})" if kinds else ""))
    for name in data["model_names"]:
        console.print(f"  {name}", markup=False)
    last = data["last_run"]
    if last:
        console.print(f"last run:   {last['run_id']} {last['status']} at {last['started_at']:%Y-%m-%d %H:%M:%S}")
    else:
        console.print("last run:   none yet (interlace run)")


@cli.group()
def schema() -> None:
    """Columns of the models and how they changed over time."""


@schema.command("list")
@options_from(SchemaListOptions)
@workspace_flags
@json_flag
@forward.forwardable
def schema_list(project_dir: str, env: str | None, as_json: bool, **values: Any) -> None:
    """Columns and types of the selected models as they are in the warehouse."""
    options = build_options(SchemaListOptions, values)
    answer = forward.answer("schema.list", project_dir, env, select=options.select)
    data, kinds = answer["columns"], answer["kinds"]
    if as_json:
        print(json.dumps({n: [{"name": c, "type": t} for c, t in cols] for n, cols in data.items()}, indent=2))
        return
    for name, cols in data.items():
        if not cols:
            note = "not persisted" if kinds[name] in ("ephemeral", "none") else "not built yet"
            console.print(f"[bold]{name}[/]  ({note})")
            continue
        console.print(f"[bold]{name}[/]  ({kinds[name]}, {len(cols)} columns)")
        for column, dtype in cols:
            console.print(f"  {column:<32} {dtype}", markup=False)


@schema.command("history")
@click.argument("model")
@workspace_flags
@json_flag
@forward.forwardable
def schema_history(model: str, project_dir: str, env: str | None, as_json: bool) -> None:
    """Every recorded version of MODEL's columns, newest first, with what changed."""
    versions = forward.answer("schema.history", project_dir, env, model=model)
    if as_json:
        print(json.dumps([{"version": v["version"], "recorded_at": v["recorded_at"].isoformat(),
                           "run_id": v["run_id"],
                           "columns": [{"name": c, "type": t} for c, t in v["columns"]],
                           "changes": v["changes"]} for v in versions], indent=2))
        return
    if not versions:
        console.print(f"No schema recorded for '{model}' yet: run `interlace run {model}` first.")
        return
    table = Table("version", "recorded", "run", "changes")
    for v in versions:
        table.add_row(str(v["version"]), f"{v['recorded_at']:%Y-%m-%d %H:%M:%S}", v["run_id"] or "",
                      describe_changes(v["changes"], v["columns"]))
    console.print(table)


@schema.command("diff")
@click.argument("model")
@click.option("--from", "from_version", type=int, help="schema version to compare from (default: the previous one)")
@click.option("--to", "to_version", type=int, help="schema version to compare to (default: the latest)")
@click.option("--env1", help="compare the model's table in this environment ...")
@click.option("--env2", help="... with its table in this one")
@workspace_flags
@json_flag
def schema_diff(model: str, from_version: int | None, to_version: int | None, env1: str | None, env2: str | None,
                project_dir: str, env: str | None, as_json: bool) -> None:
    """How MODEL's columns differ between two versions, or between two environments."""
    from interlace.engine.schema_modes import compare_columns

    if (env1 is None) != (env2 is None):
        raise click.UsageError("give both --env1 and --env2 (or neither, to compare versions)")
    if env1 is not None and env2 is not None:
        sides = []
        for side in (env1, env2):
            with open_workspace(project_dir, side) as ws:
                sides.append(ws.columns(model))
        changes = compare_columns(sides[0], sides[1])
        title = f"{model}: env {env1} -> env {env2}"
    else:
        with open_workspace(project_dir, env) as ws:
            first, last, changes = ws.schema_diff(model, from_version, to_version)
        title = f"{model}: version {first} -> {last}"
    if as_json:
        print(json.dumps({"title": title, "changes": [
            {"column": c.column, "kind": c.kind, "old_type": c.old_type, "new_type": c.new_type} for c in changes]},
            indent=2))
        return
    console.print(title, markup=False)
    if not changes:
        console.print("  no differences")
    for change in changes:
        console.print(f"  {change.describe()}", markup=False)
