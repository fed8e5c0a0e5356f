"""Reads do not serialize: a read held open does not block other reads, and reads during a run
see committed data; cached reads follow the catalogue and the project files."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.server.conftest import Live

GATED_FUNCTION = '''
import time
from pathlib import Path


def gate_wait(n: int) -> int:
    """Blocks the query that calls it until the test opens the gate."""
    Path({entered!r}).touch()
    deadline = time.monotonic() + 60
    while not Path({gate!r}).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the test never opened the gate")
        time.sleep(0.01)
    return n
'''

GATED_MODEL = """
import time
from pathlib import Path

from interlace import model


@model(materialize="table")
def held(base):
    Path({entered!r}).touch()
    deadline = time.monotonic() + 60
    while not Path({gate!r}).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the test never opened the gate")
        time.sleep(0.01)
    return base.mutate(doubled=base.n * 2)
"""


def _wait_for(path: Path, what: str, alive: Callable[[], bool] = lambda: True) -> None:
    deadline = time.monotonic() + 60  # a hang guard, not a measured threshold
    while not path.exists():
        assert alive(), f"{what}: the request ended before reaching the gate"
        assert time.monotonic() < deadline, f"{what} never reached the gate"
        time.sleep(0.01)


def _in_thread(live: Live, path: str) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def go() -> None:
        with live.client("read", timeout=90) as c:
            response = c.get(path)
            out["status"], out["body"] = response.status_code, response.json()

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread, out


def test_a_held_read_does_not_block_other_reads(
    live_factory: Callable[..., Live], tmp_path: Path
) -> None:
    gate, entered = tmp_path / "gate", tmp_path / "entered"
    gate.touch()  # open while the project builds
    live: Live = live_factory(
        {
            "functions/gate.py": GATED_FUNCTION.format(entered=str(entered), gate=str(gate)),
            "models/base.sql": '-- @model(materialize="table")\nSELECT range AS n FROM range(3)',
            "models/gated.sql": '-- @model(materialize="view")\nSELECT gate_wait(n) AS n FROM base',
        }
    )
    with live.client("run") as c:
        run_id = c.post("/api/v1/runs", json={}).json()["run_id"]
    assert live.wait_for_run(run_id)["status"] == "success"
    gate.unlink()
    entered.unlink(missing_ok=True)

    slow, out = _in_thread(live, "/api/v1/models/gated/preview")
    _wait_for(entered, "the gated preview", slow.is_alive)
    # the preview's query is inside the warehouse now, waiting at the gate; every other read
    # answers meanwhile (before, they queued behind it on one lock: these calls would time out)
    with live.client("read", timeout=30) as c:
        models = c.get("/api/v1/models")
        assert models.status_code == 200 and models.json()["total"] == 2
        assert c.get("/api/v1/models/base/preview").json()["rows"] == [{"n": 0}, {"n": 1}, {"n": 2}]
        assert c.get(f"/api/v1/runs/{run_id}").json()["status"] == "success"
        assert [r["run_id"] for r in c.get("/api/v1/runs").json()["runs"]] == [run_id]
        assert c.get("/api/v1/models/base/columns").json()["columns"] == [
            {"name": "n", "type": "BIGINT"}
        ]
        assert c.get("/api/v1/quality").status_code == 200
    assert slow.is_alive() and not out, "the gated read finished before the gate opened"
    gate.touch()
    slow.join(60)
    assert out["status"] == 200, out
    assert out["body"]["rows"] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_reads_during_a_run_see_committed_data_then_the_finished_run(
    live_factory: Callable[..., Live], tmp_path: Path
) -> None:
    gate, entered = tmp_path / "gate", tmp_path / "entered"
    live: Live = live_factory(
        {
            "models/base.sql": '-- @model(materialize="table")\nSELECT range AS n FROM range(3)',
            "models/held.py": GATED_MODEL.format(entered=str(entered), gate=str(gate)),
            "models/after_held.sql": (
                '-- @model(materialize="view")\nSELECT count(*) AS rows FROM held'
            ),
        }
    )
    with live.client("read") as c:
        before = {m["name"]: m for m in c.get("/api/v1/models").json()["models"]}
    assert {m["last_run_id"] for m in before.values()} == {None}
    with live.client("run") as c:
        run_id = c.post("/api/v1/runs", json={}).json()["run_id"]
    _wait_for(entered, "the held model")

    with live.client("read", timeout=30) as c:
        run = c.get(f"/api/v1/runs/{run_id}").json()
        assert run["status"] == "running" and run["active"] is True
        outcomes = {r["model"]: r["status"] for r in run["model_runs"]}
        assert outcomes == {"base": "success"}, (
            outcomes
        )  # held has not committed, after_held not begun
        assert c.get("/api/v1/models/base/preview").json()["rows"] == [{"n": 0}, {"n": 1}, {"n": 2}]
        held = c.get("/api/v1/models/held/preview")
        assert held.status_code == 409 and held.json()["error"]["code"] == "MODEL_NOT_BUILT"
        listed = c.get("/api/v1/models").json()
        assert {m["name"]: m["last_run_id"] for m in listed["models"]} == {m: None for m in before}
        assert c.get(f"/api/v1/runs/{run_id}/models").json()["model_runs"][0]["model"] == "base"

    gate.touch()
    finished = live.wait_for_run(run_id)
    assert finished["status"] == "success"
    with live.client("read") as c:
        # the catalogue moved: the cached list is recomputed, not served stale
        listed = c.get("/api/v1/models").json()
        assert {m["name"]: m["last_run_id"] for m in listed["models"]} == {
            m: run_id for m in before
        }
        first = c.get(f"/api/v1/runs/{run_id}").json()
        again = c.get(f"/api/v1/runs/{run_id}").json()
        assert first == again and first["active"] is False
        assert sorted(r["model"] for r in first["model_runs"]) == ["after_held", "base", "held"]
        assert c.get("/api/v1/models/held/preview").json()["rows"][2] == {"n": 2, "doubled": 4}


def test_the_cached_model_list_follows_the_project_files_and_its_filters(shop_live: Live) -> None:
    with shop_live.client("read") as c:
        first = c.get("/api/v1/models").json()
        assert first == c.get("/api/v1/models").json()  # the page answered from the cache
        names = [m["name"] for m in first["models"]]
        tagged = c.get("/api/v1/models", params={"search": names[0], "limit": 1}).json()
        assert tagged["models"][0]["name"] == names[0] and len(tagged["models"]) == 1
        assert c.get("/api/v1/models", params={"offset": 1}).json()["models"] == first["models"][1:]
        (shop_live.workspace.root / "models" / "added_later.sql").write_text("SELECT 1 AS one\n")
        deadline = time.monotonic() + 30  # the project's files are looked at once a second
        while True:
            listed = [m["name"] for m in c.get("/api/v1/models").json()["models"]]
            if "added_later" in listed:
                break
            assert time.monotonic() < deadline, f"the new model never appeared: {listed}"
            time.sleep(0.2)
        assert sorted(listed) == sorted([*names, "added_later"])
        bad = c.get("/api/v1/models", params={"limit": 0})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "VALIDATION_ERROR"


def test_key_writes_are_seen_by_the_next_read(shop_live: Live) -> None:
    with shop_live.client("admin") as c:
        made = c.post("/api/v1/keys", json={"name": "later", "scope": "read"})
        assert made.status_code == 201, made.text
        assert "later" in [k["name"] for k in c.get("/api/v1/keys").json()["keys"]]
        with httpx.Client(
            base_url=shop_live.url, headers={"X-API-Key": made.json()["key"]}
        ) as later:
            assert later.get("/api/v1/models").status_code == 200
            assert c.delete("/api/v1/keys/later").status_code in (200, 204)
            assert "later" not in [k["name"] for k in c.get("/api/v1/keys").json()["keys"]]
            refused = later.get("/api/v1/models")
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "UNAUTHORIZED"


def test_the_guard_looks_a_stored_key_up_off_the_event_loop_once_per_cache_period(
    shop_live: Live,
) -> None:
    from interlace.config import AuthConfig
    from interlace.keys import KeyRing

    ring = KeyRing(AuthConfig(), shop_live.workspace.keys)
    key = shop_live.keys["read"]
    assert ring.needs_lookup(key)  # never seen: the store is read (the guard uses a worker thread)
    principal = ring.resolve(key)
    assert principal is not None and principal.scope == "read"
    assert not ring.needs_lookup(key)  # cached: resolved on the loop, no store read
    assert not ring.needs_lookup(
        "not-a-stored-key-format"
    )  # env keys and junk never read the store
    ring.forget()
    assert ring.needs_lookup(key)
    with shop_live.client("read") as c:  # the guard's threaded lookup answers like the inline one
        assert c.get("/api/v1/models").status_code == 200
    with httpx.Client(base_url=shop_live.url, headers={"X-API-Key": key[:-2] + "xx"}) as wrong:
        refused = wrong.get("/api/v1/models")
        assert refused.status_code == 401 and "not valid" in refused.json()["error"]["message"]
