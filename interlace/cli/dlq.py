"""``interlace dlq list|show|retry|resolve`` (the dead-letter queue) and ``interlace breaker
list|reset`` (the connections' circuit breakers)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from interlace.cli.main import cli, console, open_workspace
from interlace.cli.params import json_flag, workspace_flags


def _line(letter: Any) -> str:
    what = f"schedule {letter.schedule}" if letter.kind == "schedule" else f"model {letter.model}"
    error = (letter.error or "").strip().splitlines()[0] if letter.error else "-"
    if letter.status == "resolved":
        error = f"resolved: {letter.resolution}"
    return (f"#{letter.id}  {letter.status}  {what}  attempts {letter.attempts}  run {letter.run_id or '-'}  "
            f"{letter.created_at:%Y-%m-%d %H:%M:%S}  {error}")


@cli.group()
def dlq() -> None:
    """The dead-letter queue: scheduled or retried runs that failed every attempt."""


@dlq.command("list")
@click.option("--status", type=click.Choice(["open", "resolved", "all"]), default="open", show_default=True)
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True)
@workspace_flags
@json_flag
def list_letters(status: str, limit: int, project_dir: str, env: str | None, as_json: bool) -> None:
    """Dead letters, newest first."""
    with open_workspace(project_dir, env) as ws:
        letters = ws.dlq.list(None if status == "all" else status, limit=limit)
    if as_json:
        print(json.dumps([x.to_dict() for x in letters], indent=2, default=str))
        return
    for letter in letters:
        console.print(_line(letter), markup=False)
    if not letters:
        console.print(f"No {'' if status == 'all' else status + ' '}dead letters.", markup=False)


@dlq.command("show")
@click.argument("letter_id")
@workspace_flags
@json_flag
def show(letter_id: str, project_dir: str, env: str | None, as_json: bool) -> None:
    """Everything recorded of dead letter LETTER_ID (its full error, what a retry runs)."""
    with open_workspace(project_dir, env) as ws:
        letter = ws.dlq.get(letter_id)
    if as_json:
        print(json.dumps(letter.to_dict(), indent=2, default=str))
        return
    for key, value in letter.to_dict().items():
        if key != "error":
            console.print(f"{key}: {value if value is not None else '-'}", markup=False)
    console.print(f"error:\n{letter.error or '-'}", markup=False)


@dlq.command("retry")
@click.argument("letter_id")
@workspace_flags
@json_flag
def retry(letter_id: str, project_dir: str, env: str | None, as_json: bool) -> None:
    """Run dead letter LETTER_ID's work again now; a success resolves it (exits 1 if it fails)."""
    from interlace.cli.schedule import notebook_runner

    with open_workspace(project_dir, env) as ws:
        outcome = ws.dlq.retry(letter_id, notebook_runner=notebook_runner())
    if as_json:
        print(json.dumps(outcome.to_dict(), indent=2, default=str))
    else:
        console.print(f"#{outcome.letter.id}: retry run {outcome.run_id} {outcome.status}; the entry is "
                      f"{outcome.letter.status}" + (f": {outcome.error}" if outcome.error else ""), markup=False)
    sys.exit(0 if outcome.status == "success" else 1)


@dlq.command("resolve")
@click.argument("letter_id")
@click.option("--note", default=None, help="How it was handled (kept with the entry).")
@workspace_flags
def resolve(letter_id: str, note: str | None, project_dir: str, env: str | None) -> None:
    """Mark dead letter LETTER_ID handled, without running anything."""
    with open_workspace(project_dir, env) as ws:
        letter = ws.dlq.resolve(letter_id, note)
    console.print(f"#{letter.id}: resolved ({letter.resolution})", markup=False)


@cli.group()
def breaker() -> None:
    """The circuit breakers of the connections (circuit_breaker: in config.yaml)."""


@breaker.command("list")
@workspace_flags
@json_flag
def list_breakers(project_dir: str, env: str | None, as_json: bool) -> None:
    """Each connection that has failed: closed, open or half_open, and its last error."""
    with open_workspace(project_dir, env) as ws:
        states = ws.breakers()
    if as_json:
        print(json.dumps([b.to_dict() for b in states], indent=2, default=str))
        return
    for item in states:
        console.print(f"{item.connection}  {item.status}  failures {item.failures}  "
                      f"last error {item.last_error or '-'}", markup=False)
    if not states:
        console.print("No connection has failed: every breaker is closed.")


@breaker.command("reset")
@click.argument("connection")
@workspace_flags
def reset(connection: str, project_dir: str, env: str | None) -> None:
    """Close CONNECTION's breaker now (after fixing what made it open)."""
    from interlace.errors import InvalidOptionError

    with open_workspace(project_dir, env) as ws:
        if not ws.reset_breaker(connection):
            known = ", ".join(b.connection for b in ws.breakers()) or "none"
            raise InvalidOptionError(f"connection '{connection}' has no circuit breaker (breakers: {known})",
                                     hint="`interlace breaker list` shows them")
    console.print(f"{connection}: breaker closed", markup=False)
