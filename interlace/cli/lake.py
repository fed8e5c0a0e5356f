"""``interlace lake``: a DuckLake warehouse's snapshots and maintenance (interlace.engine.lake)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from interlace.cli.main import cli, console, open_workspace
from interlace.cli.params import workspace_flags


@cli.group()
def lake() -> None:
    """Snapshots and maintenance of a DuckLake warehouse (default connection type: ducklake)."""


@lake.command("snapshots")
@workspace_flags
def snapshots(project_dir: str, env: str | None) -> None:
    """List the lake's snapshots (ids to pass to ws.table(name, at=id))."""
    with open_workspace(project_dir, env) as ws:
        rows = ws.snapshots()
    for snap in rows:
        changes = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in sorted(snap.changes.items()))
        console.print(f"{snap.id:>6}  {snap.time.isoformat(timespec='seconds')}  {changes}", markup=False)


@lake.command("checkpoint")
@workspace_flags
def checkpoint(project_dir: str, env: str | None) -> None:
    """Write rows inlined in the catalog to Parquet files and merge small files."""
    with open_workspace(project_dir, env) as ws:
        done = ws.lake_checkpoint()
    console.print(f"checkpoint of lake '{done.lake}': snapshot {done.snapshot_before} -> "
                  f"{done.snapshot_after}", markup=False)


def _older_than(ctx: click.Context, param: click.Parameter, value: str) -> datetime:
    from interlace.schedules import parse_duration

    try:
        when = datetime.fromisoformat(value)
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        return datetime.now(UTC) - parse_duration(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO time or a duration: give a time such as 2026-01-31T00:00:00+00:00 "
            "or an age such as 7d (snapshots older than 7 days)") from None


@lake.command("expire")
@click.option("--older-than", required=True, callback=_older_than,
              help="An ISO time, or an age such as 7d: snapshots before it are expired.")
@workspace_flags
def expire(older_than: datetime, project_dir: str, env: str | None) -> None:
    """Expire old snapshots (time travel before them ends) and delete files no snapshot reads."""
    with open_workspace(project_dir, env) as ws:
        done = ws.lake_expire(older_than)
    ids = ", ".join(map(str, done.expired)) or "none"
    console.print(f"expired {len(done.expired)} snapshot(s) of lake '{done.lake}' ({ids}); "
                  f"deleted {done.files_deleted} file(s)", markup=False)
    if done.kept_from is not None:
        console.print(f"kept snapshot {done.kept_from} and later: a model reading table_changes "
                      "resumes from there", markup=False)
