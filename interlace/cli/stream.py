"""``interlace stream list|show|tail|publish|replay``: the project's event streams.

Each is forwarded to the process holding the warehouse (``interlace serve``) when one is live
(:mod:`interlace.cli.forward`, calls in :mod:`interlace.owner.stream_calls`), else it opens the
warehouse itself; either way the answer is printed by the same code.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from interlace.cli import forward
from interlace.cli.main import cli, console
from interlace.cli.params import json_flag, workspace_flags


@cli.group()
def stream() -> None:
    """Event streams (streams: in config.yaml, stream(...) in model files)."""


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)


@stream.command("list")
@workspace_flags
@json_flag
@forward.forwardable
def list_streams(project_dir: str, env: str | None, as_json: bool) -> None:
    """Every stream: events stored, rate over the last minute, consumers and their lag."""
    rows = forward.answer("stream.list", project_dir, env)
    if as_json:
        print(_dump(rows))
        return
    if not rows:
        console.print("No streams: declare one under streams: in config.yaml, or with "
                      "stream('name') in a model file.")
    for row in rows:
        lag = ", ".join(f"{c['consumer']} lag {c['lag']}" for c in row["consumers"]) or "no consumers"
        console.print(f"{row['name']}  {row['events']} events  {row['rate_per_minute']}/min  "
                      f"retention {row['retention']}  {lag}", markup=False)


@stream.command("show")
@click.argument("name")
@workspace_flags
@json_flag
@forward.forwardable
def show(name: str, project_dir: str, env: str | None, as_json: bool) -> None:
    """Stream NAME: columns, consumers, dead letters and the models that read it."""
    info = forward.answer("stream.show", project_dir, env, stream=name)
    if as_json:
        print(_dump(info))
        return
    console.print(f"{info['name']}  ({info['relation']}, declared at {info['origin']})", markup=False)
    console.print(f"  {info['events']} events, last offset {info['last_offset']}, "
                  f"{info['rate_per_minute']} in the last minute, retention {info['retention']}",
                  markup=False)
    console.print("  columns: " + ", ".join(f"{c} {t}" for c, t in info["columns"].items()),
                  markup=False)
    for c in info["consumers"]:
        console.print(f"  consumer {c['consumer']}: acked up to {c['acked_offset']}, lag {c['lag']}, "
                      f"{c['in_flight']} in flight", markup=False)
    console.print(f"  dead letters: {info['dead_letters']}; read by: "
                  f"{', '.join(info['downstream']) or 'no model'}", markup=False)


@stream.command("tail")
@click.argument("name")
@click.option("-n", "--lines", type=click.IntRange(1, 100_000), default=10, show_default=True,
              help="how many of the last events")
@click.option("--follow", "-f", is_flag=True, help="keep printing new events (Ctrl-C stops)")
@workspace_flags
@forward.forwardable
def tail(name: str, lines: int, follow: bool, project_dir: str, env: str | None) -> None:
    """The last events of stream NAME, one JSON object a line (-f: polls twice a second, opening
    the warehouse for each poll unless a server holds it)."""
    events = forward.answer("stream.tail", project_dir, env, stream=name, lines=lines)
    for event in events:
        print(json.dumps(event, default=str), flush=True)
    position = events[-1]["_offset"] if events else 0
    while follow:
        more = forward.answer("stream.tail", project_dir, env, stream=name, lines=1000,
                              after=position)
        for event in more:
            print(json.dumps(event, default=str), flush=True)
            position = event["_offset"]
        if not more:
            time.sleep(0.5)


@stream.command("publish")
@click.argument("name")
@click.argument("events", required=False)
@workspace_flags
@json_flag
@forward.forwardable
def publish(name: str, events: str | None, project_dir: str, env: str | None, as_json: bool) -> None:
    """Publish EVENTS (a JSON object or array; NDJSON on stdin without it) to stream NAME."""
    text = events if events is not None else sys.stdin.read()
    try:
        parsed = json.loads(text)
        batch = parsed if isinstance(parsed, list) else [parsed]
    except json.JSONDecodeError:
        try:
            batch = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON or NDJSON: {exc.msg} (line {exc.lineno})",
                                     param_hint="EVENTS") from None
    result = forward.answer("stream.publish", project_dir, env, stream=name, events=batch)
    if as_json:
        print(_dump(result))
        return
    console.print(f"{name}: {result['accepted']} stored (offsets {result['first_offset']}-"
                  f"{result['last_offset']}), {result['duplicates']} duplicates, "
                  f"{result['dead_lettered']} dead-lettered", markup=False)


@stream.command("replay")
@click.argument("name")
@click.option("--consumer", "-c", required=True, help="the consumer to deliver the events to again")
@click.option("--from", "from_offset", type=click.IntRange(1), default=1, show_default=True,
              help="the first offset delivered again")
@workspace_flags
@forward.forwardable
def replay(name: str, consumer: str, from_offset: int, project_dir: str, env: str | None) -> None:
    """Deliver the events of NAME from --from on to CONSUMER again (rewinds its offset)."""
    forward.answer("stream.replay", project_dir, env, stream=name, consumer=consumer,
                   from_offset=from_offset)
    console.print(f"{name}: consumer {consumer} receives events from offset {from_offset} again",
                  markup=False)
