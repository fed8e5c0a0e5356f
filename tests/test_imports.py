"""`import interlace` stays cheap and free of faces (DESIGN §1)."""

from __future__ import annotations

import json
import subprocess
import sys

FACES = ("IPython", "ipywidgets", "anywidget", "panel", "papermill", "fastapi", "jinja2", "bokeh")


def loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_interlace_is_light() -> None:
    modules = loaded_after("import interlace")
    assert not {m for m in modules if m.split(".")[0] in FACES}
    assert "duckdb" not in modules and "ibis" not in modules and "sqlglot" not in modules


def test_core_imports_no_face() -> None:
    modules = loaded_after(
        "import interlace, interlace.workspace, interlace.engine.run, interlace.planner, interlace.state\n"
        "ws = interlace.open(__import__('tempfile').mkdtemp()); ws.run(); ws.close()"
    )
    assert not {m for m in modules if m.split(".")[0] in FACES}
