"""``interlace keys create|list|revoke``: API keys for ``interlace serve`` (only hashes are stored)."""

from __future__ import annotations

import json

import click

from interlace.cli import forward
from interlace.cli.main import cli, console, err_console, open_workspace
from interlace.cli.params import json_flag, workspace_flags


@cli.group()
def keys() -> None:
    """API keys for `interlace serve`: scopes read < run < admin.

    The server must be stopped (it holds the warehouse), or use its /api/v1/keys endpoints.
    """


@keys.command("create")
@click.argument("name")
@click.option("--scope", type=click.Choice(["read", "run", "admin"]), default="read", show_default=True,
              help="read: browse and plan; run: also start and cancel runs; admin: also manage keys")
@workspace_flags
@json_flag
def create(name: str, scope: str, project_dir: str, env: str | None, as_json: bool) -> None:
    """Create the key NAME and print it once: only its hash is stored."""
    with open_workspace(project_dir, env) as ws:
        # stored unconfirmed, shown, then confirmed: killed before it is shown, the key never works
        new = ws.keys.create(name, scope, confirmed=False)
        if as_json:
            print(json.dumps({"name": new.name, "scope": new.scope, "key_id": new.key_id, "key": new.key}), flush=True)
        else:
            err_console.print(f"Created key '{new.name}' (scope {new.scope}). Copy it now: it is not shown again.")
            print(new.key, flush=True)
        ws.keys.confirm(new.key_id)


@keys.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="include revoked keys")
@workspace_flags
@json_flag
@forward.forwardable
def list_(include_revoked: bool, project_dir: str, env: str | None, as_json: bool) -> None:
    """The stored keys: name, id, scope, dates (never the key)."""
    rows = forward.answer("keys.list", project_dir, env, include_revoked=include_revoked)
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        console.print("No API keys yet: interlace keys create NAME --scope read")
        return
    for row in rows:
        revoked = f"  revoked {row['revoked_at']:%Y-%m-%d %H:%M}" if row["revoked_at"] else ""
        if not row["confirmed"]:
            revoked += "  UNCONFIRMED (its creation was interrupted; it never works: revoke it)"
        click.echo(f"{row['name']:<24} {row['key_id']}  {row['scope']:<6} "
                   f"created {row['created_at']:%Y-%m-%d %H:%M}{revoked}")


@keys.command("revoke")
@click.argument("name")
@workspace_flags
def revoke(name: str, project_dir: str, env: str | None) -> None:
    """Revoke the active key NAME: requests with it are refused from now on."""
    with open_workspace(project_dir, env) as ws:
        ws.keys.revoke(name)
    console.print(f"Revoked key '{name}'.")
