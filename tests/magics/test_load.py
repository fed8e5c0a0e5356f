"""`%load_ext interlace` stays cheap: the engine, the SQL parser and the widgets load when first used."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("duckdb", "ibis", "sqlglot", "anywidget", "ipywidgets", "pyarrow")

CODE = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = set(sys.modules)
shell.run_line_magic("load_ext", "interlace")
loaded = sorted({m.split(".")[0] for m in set(sys.modules) - before})
shell.run_line_magic("interlace", "help")
print(json.dumps(loaded))
"""


def test_load_ext_imports_neither_the_engine_nor_the_widgets(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", CODE], cwd=tmp_path, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.splitlines()[-1])
    assert "interlace" in loaded
    assert not set(loaded) & set(HEAVY), loaded
    assert "run      Build the selected models" in out.stdout
    assert not (tmp_path / ".interlace").exists()  # nor does it open the warehouse
