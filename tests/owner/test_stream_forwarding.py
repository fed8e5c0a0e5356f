"""`interlace stream ...` while `interlace serve` holds the warehouse: sent to the server, printed
as the command prints it alone (issue 17's follow-up to issue 13's forwarding)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from tests.conftest import run_cli
from tests.owner.conftest import serving

READS = [
    ("stream", "list"),
    ("stream", "show", "clicks"),
    ("stream", "tail", "clicks"),
    ("stream", "list", "--json"),
    ("stream", "show", "nope"),
]


def _out(args: tuple[str, ...], project: Path) -> tuple[str, str, int]:
    done = run_cli(*args, "-d", str(project))
    # the only thing that may differ: how many events arrived within the last minute
    stdout = re.sub(r"\d+/min|\d+ in the last minute|\"rate_per_minute\": \d+", "RATE", done.stdout)
    return stdout, done.stderr, done.returncode


def test_stream_commands_are_forwarded_and_print_what_they_print_alone(project: Path) -> None:
    config = project / "config.yaml"
    config.write_text(config.read_text() + "streams:\n  clicks:\n    trigger: false\n")
    first = ("stream", "publish", "clicks", '{"_event_id": "a", "url": "/a"}')
    second = ("stream", "publish", "clicks", '[{"_event_id": "b", "url": "/b"}]')
    direct_first = _out(first, project)
    assert direct_first == ("clicks: 1 stored (offsets 1-1), 0 duplicates, 0 dead-lettered\n", "",
                            0)
    with serving(project):
        forwarded_second = _out(second, project)
        forwarded_again = _out(first, project)  # a duplicate, dropped by the server's writer
        replayed = _out(("stream", "replay", "clicks", "-c", "reader"), project)
        forwarded = {args: _out(args, project) for args in READS}
    assert forwarded_second == (
        "clicks: 1 stored (offsets 2-2), 0 duplicates, 0 dead-lettered\n", "", 0)
    assert forwarded_again == (
        "clicks: 0 stored (offsets None-None), 1 duplicates, 0 dead-lettered\n", "", 0)
    assert replayed == ("clicks: consumer reader receives events from offset 1 again\n", "", 0)
    assert _out(first, project) == forwarded_again  # the same duplicate, published here
    for args in READS:
        assert forwarded[args] == _out(args, project), args
    assert forwarded[("stream", "list")][0] == "clicks  2 events  RATE  retention 30d  reader lag 2\n"
    assert forwarded[("stream", "show", "nope")][2] != 0
    assert "nope" in forwarded[("stream", "show", "nope")][1]
    tail = forwarded[("stream", "tail", "clicks")][0].splitlines()
    assert [line.split('"_event_id": ')[1][:3] for line in tail] == ['"a"', '"b"']
    with duckdb.connect(str(project / ".interlace" / "dev.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT _event_id, _source FROM clicks ORDER BY _offset").fetchall()
    assert rows == [("a", "cli"), ("b", "cli")]  # stored once each, by the server's writer
