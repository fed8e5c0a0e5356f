"""Owner files that lie (a dead process, a PID reused by another program) are not believed; the
wire form brings back the types the renderers print; a request without the token is refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest

import interlace
from interlace.engine.results import RunResult
from interlace.errors import ModelParseError, OwnerError, RunInProgressError, error_from_dict
from interlace.owner.channel import OwnerChannel
from interlace.owner.file import Owner, find_owner, owner_paths, publish, read_token
from interlace.owner.wire import decode, encode, loads
from interlace.state.liveness import start_ticks
from tests.conftest import run_cli


def _owner(root: Path, pid: int, started: str | None) -> Owner:
    return Owner(
        pid=pid,
        started=started,
        address="http://127.0.0.1:9",
        env="dev",
        kind="serve",
        project_dir=str(root),
        warehouse=None,
        since="2026-12-01T00:00:00+00:00",
    )


def test_a_dead_owner_is_ignored_and_its_files_removed(project: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    publish(project, _owner(project, gone.pid, None), "t0ken")
    assert find_owner(project, "dev") is None
    assert not any(p.exists() for p in owner_paths(project, "dev"))
    publish(project, _owner(project, gone.pid, None), "t0ken")
    info = run_cli("info", "-d", str(project))  # the CLI opens the warehouse itself
    assert info.returncode == 0, info.stderr
    assert not owner_paths(project, "dev")[0].exists()


def test_a_pid_reused_by_another_program_is_not_the_owner(project: Path) -> None:
    ticks = start_ticks(os.getpid())
    assert ticks is not None
    publish(
        project, _owner(project, os.getpid(), str(int(ticks) - 1)), "t0ken"
    )  # this PID, another start
    assert find_owner(project, "dev") is None
    publish(project, _owner(project, os.getpid(), ticks), "t0ken")
    assert find_owner(project, "dev") == _owner(project, os.getpid(), ticks)


def test_a_file_that_names_a_non_loopback_address_is_not_believed(project: Path) -> None:
    owner = dataclasses.replace(
        _owner(project, os.getpid(), start_ticks(os.getpid())), address="http://203.0.113.9:80"
    )
    publish(project, owner, "t0ken")
    assert find_owner(project, "dev") is None


def test_a_missing_token_file_says_how_to_recover(project: Path) -> None:
    owner = _owner(project, os.getpid(), start_ticks(os.getpid()))
    publish(project, owner, "t0ken")
    owner_paths(project, "dev")[1].unlink()
    with pytest.raises(OwnerError) as caught:
        read_token(project, owner)
    assert str(caught.value) == (
        f"the owner file names interlace serve (PID {os.getpid()}) at http://127.0.0.1:9, but its token file "
        f"{owner_paths(project, 'dev')[1]} is missing\n"
        f"Fix: restart that process, or stop it and run the command again (`kill {os.getpid()}`)"
    )


def test_the_channel_refuses_a_request_without_its_token(project: Path) -> None:
    ws = interlace.open(project)
    try:
        with OwnerChannel(ws, kind="kernel") as channel:
            for token in (None, "wrong", channel.token[:-1]):
                headers = {"X-Interlace-Owner": token} if token else {}
                request = urllib.request.Request(
                    f"{channel.address}/v1/call",
                    method="POST",
                    headers=headers,
                    data=json.dumps({"name": "info", "env": "dev"}).encode(),
                )
                with pytest.raises(urllib.error.HTTPError) as refused:
                    urllib.request.urlopen(request, timeout=30)
                assert refused.value.code == 401
                assert (
                    loads(refused.value.read())["error"]["message"]
                    == "the owner token is missing or wrong"
                )
            good = urllib.request.Request(
                f"{channel.address}/v1/call",
                method="POST",
                headers={"X-Interlace-Owner": channel.token},
                data=json.dumps({"name": "info", "env": "dev", "args": {}}).encode(),
            )
            with urllib.request.urlopen(good, timeout=30) as answered:
                assert loads(answered.read())["result"]["name"] == "demo"
        assert not owner_paths(project, "dev")[0].exists()
    finally:
        ws.close()


def test_the_wire_form_keeps_the_types() -> None:
    value = {
        "at": dt.datetime(2026, 12, 1, 10, 0, 5, 123, tzinfo=dt.UTC),
        "day": dt.date(2026, 1, 2),
        "cols": [("id", "BIGINT")],
        "amount": Decimal("1.50"),
        "raw": b"\x00\x01",
        "n": None,
        "keyed": {1: "one"},
        "nested": {"$wire": "not a tag"},
        "t": dt.time(1, 2),
        "d": dt.timedelta(3),
    }
    assert decode(json.loads(json.dumps(encode(value)))) == value


def test_errors_and_results_survive_the_wire(project: Path) -> None:
    error = ModelParseError(
        "SQL does not parse", model="m", origin="models/m.sql:1", hint="fix it", sql="x"
    )
    again = error_from_dict(error.to_dict())
    assert type(again) is ModelParseError and str(again) == str(error)
    busy = error_from_dict(RunInProgressError("busy", run_id="r1", hint="wait").to_dict())
    assert isinstance(busy, RunInProgressError) and busy.run_id == "r1"
    ws = interlace.open(project)
    try:
        result = ws.run()
    finally:
        ws.close()
    assert RunResult.from_dict(result.to_dict()).to_dict() == result.to_dict()
    assert RunResult.from_dict(result.to_dict()).summary() == result.summary()
