"""``state:modified`` and ``state:modified+``: models whose fingerprint differs from their last build."""

from __future__ import annotations

import pytest

from interlace.errors import UnknownModelError
from tests.conftest import run_cli

FILES = {
    "models/a.sql": "SELECT 1 AS x",
    "models/b.sql": "SELECT x + 1 AS y FROM a",
    "models/c.sql": "SELECT 3 AS z",
    "models/d.sql": "SELECT y FROM b",
}


def test_state_modified_and_its_downstream(make_project, open_ws) -> None:
    project = make_project(FILES)
    ws = open_ws(project)
    assert ws.select("state:modified") == {"a", "b", "c", "d"}  # never built
    ws.run().raise_for_status()
    assert ws.select("state:modified") == set()
    (project / "models" / "a.sql").write_text("SELECT 10 AS x")
    ws.reload()
    # a changed; b and d's fingerprints cover a's, so they are modified too; c is not
    assert ws.select("state:modified") == {"a", "b", "d"}
    (project / "models" / "c.sql").write_text("SELECT 30 AS z")
    ws.reload()
    assert ws.select("state:modified", exclude="b+") == {"a", "c"}
    assert ws.select("state:modified+") == {"a", "b", "c", "d"}
    result = ws.run("state:modified")
    assert set(result.results) == {"a", "b", "c", "d"}


def test_unknown_state_selector(make_project, open_ws) -> None:
    ws = open_ws(make_project(FILES))
    with pytest.raises(UnknownModelError) as err:
        ws.select("state:new")
    assert str(err.value) == "unknown state selector 'state:new'\nFix: use state:modified or state:modified+"


def test_cli_plan_state_modified(make_project) -> None:
    project = make_project(FILES)
    assert run_cli("run", "--project-dir", str(project)).returncode == 0
    (project / "models" / "c.sql").write_text("SELECT 30 AS z")
    out = run_cli("plan", "state:modified", "--json", "--project-dir", str(project))
    assert out.returncode == 0, out.stderr
    import json

    steps = json.loads(out.stdout)["steps"]
    assert [(s["model"], s["action"]) for s in steps] == [("c", "build")]
