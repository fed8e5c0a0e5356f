"""``interlace notebook run``: a real papermill run in the registered `interlace` kernel."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

import interlace
from tests.conftest import run_cli, write_files


def write_notebook(path: Path, cells: list[tuple[str, str, list[str]]]) -> Path:
    """Cells as (id, source, tags)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "interlace", "display_name": "interlace", "language": "python"}
    for cell_id, source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.id = cell_id
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


REPORT = [
    ("params", 'n = 3\nlabel = "rows"\nratio = 0.5\nflag = False', ["parameters"]),
    ("build", "import interlace\nws = interlace.open()\nresult = ws.run('numbers')\nresult.raise_for_status()", []),
    ("show", "rows = ws.sql('SELECT count(*) FROM numbers').fetchall()[0][0]\n"
             "print(f'{label}={rows} n={n!r} ratio={ratio!r} flag={flag!r} env={ws.env}')", []),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_files(tmp_path / "p", {
        "config.yaml": "name: p\n",
        "models/numbers.sql": "-- @model(materialize='table')\nSELECT range AS i FROM range(4)\n",
    })
    write_notebook(root / "notebooks" / "report.ipynb", REPORT)
    return root


def _records(project: Path) -> list[dict]:
    with interlace.open(project) as ws:
        return [r.to_dict() for r in ws.notebook_runs()]


def test_a_notebook_runs_with_typed_parameters_in_the_same_workspace(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.ipynb"
    done = run_cli("notebook", "run", "notebooks/report.ipynb", "-p", "n", "5", "-p", "ratio", "2",
                   "-p", "flag", "true", "--output", str(out), "-d", str(project), "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["status"] == "success" and record["parameters"] == {"n": 5, "ratio": 2.0, "flag": True}
    assert record["models"] == ["numbers"] and record["trigger"] == "cli" and record["kernel"] == "interlace"
    archived = Path(record["output_path"])
    assert archived == project / ".interlace" / "runs" / record["run_id"] / "report.ipynb"
    texts = ["".join(o.get("text", "")) for c in nbformat.read(archived, as_version=4).cells
             for o in c.get("outputs", [])]
    assert "rows=4 n=5 ratio=2.0 flag=True env=dev\n" in texts
    assert nbformat.read(out, as_version=4).cells == nbformat.read(archived, as_version=4).cells
    (stored,) = _records(project)
    assert stored["run_id"] == record["run_id"] and stored["status"] == "success"
    assert stored["duration_ms"] > 0 and stored["finished_at"] is not None


def test_unknown_and_mistyped_parameters_are_refused_before_executing(project: Path) -> None:
    unknown = run_cli("notebook", "run", "notebooks/report.ipynb", "-p", "m", "5", "-d", str(project))
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "Error: notebooks/report.ipynb: unknown parameter 'm'. The parameters cell declares: n: int = 3, "
        "label: str = \"rows\", ratio: float = 0.5, flag: bool = False\n"
        "Fix: pass one of the declared names, or declare it in the parameters cell")
    mistyped = run_cli("notebook", "run", "notebooks/report.ipynb", "-p", "n", "five", "-d", str(project))
    assert mistyped.returncode == 2
    assert mistyped.stderr.strip() == (
        "Error: notebooks/report.ipynb: parameter 'n' must be int (declared `n: int = 3`), got \"five\"\n"
        "Fix: give a int value for 'n' (parameters: n: int = 3, label: str = \"rows\", ratio: float = 0.5, "
        "flag: bool = False)")
    assert _records(project) == []  # nothing ran, nothing recorded


def test_a_path_outside_the_project_and_a_missing_kernel_are_clear_errors(project: Path, tmp_path: Path) -> None:
    outside = write_notebook(tmp_path / "elsewhere.ipynb", REPORT)
    done = run_cli("notebook", "run", str(outside), "-d", str(project))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"Error: notebook: notebook '{outside}' is outside the project {project}\n"
        "Fix: put the notebook inside the project directory and give its path relative to it")
    done = run_cli("notebook", "run", "notebooks/report.ipynb", "--kernel", "nope", "-d", str(project))
    assert done.returncode == 2
    assert "Error: --kernel: no Jupyter kernel named 'nope' is installed (installed kernels: " in done.stderr
    assert done.stderr.strip().endswith(
        "Fix: register this environment's kernel: python -m ipykernel install --sys-prefix --name nope "
        "(make .venv/.installed-stamp does it), or pass --kernel with an installed one")


def test_a_failing_cell_is_named_with_its_exception(project: Path) -> None:
    write_notebook(project / "notebooks" / "broken.ipynb", [
        ("params", "divisor = 1", ["parameters"]),
        ("fine", "x = 10", []),
        ("divide", "# divide by the parameter\ny = x / divisor", []),
        ("never", "print('not reached')", []),
    ])
    done = run_cli("notebook", "run", "notebooks/broken.ipynb", "-p", "divisor", "0", "-d", str(project))
    assert done.returncode == 1
    (record,) = _records(project)
    assert record["status"] == "failed"
    assert record["error"] == ("cell 3 (id divide, `# divide by the parameter`) raised ZeroDivisionError: "
                               "division by zero")
    assert record["failed_cell"] == {"number": 3, "id": "divide", "first_line": "# divide by the parameter",
                                     "ename": "ZeroDivisionError", "evalue": "division by zero"}
    assert f"notebook notebooks/broken.ipynb failed (run {record['run_id']}): {record['error']}" in done.stderr
    assert Path(record["output_path"]).is_file()


def test_a_notebook_that_never_ends_hits_its_timeout(project: Path) -> None:
    write_notebook(project / "notebooks" / "forever.ipynb", [
        ("start", "import time", []),
        ("loop", "while True:\n    time.sleep(0.1)", []),
    ])
    done = run_cli("notebook", "run", "notebooks/forever.ipynb", "--timeout", "3", "-d", str(project))
    assert done.returncode == 1, done.stderr
    (record,) = _records(project)
    assert record["status"] == "timeout"
    assert record["error"] == ("the notebook did not finish within its timeout of 3s "
                               "(cell 2, id loop, `while True:` was running)")
