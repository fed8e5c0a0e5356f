"""``models/*.ipynb`` as model sources: SQL cells, Python cells, skipped cells, and their errors."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from interlace.errors import DuplicateModelError, ModelDefinitionError, ModelParseError
from interlace.project.notebooks import load_notebook, strip_magics
from tests.conftest import run_cli, write_files


def write_notebook(path: Path, *cells: nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=list(cells)), path)
    return path


def skipped(source: str) -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["skip"]
    return cell


PIPELINE = (
    new_markdown_cell("# Orders pipeline"),
    new_code_cell("%load_ext interlace\n!echo this never runs headless\nTAX = 1.2"),
    new_code_cell("%%interlace_model orders --materialize table --tag raw\n"
                  "SELECT range AS id, range * 10 AS amount FROM range(5)"),
    new_code_cell("from interlace import model\n\n\n@model(materialize=\"table\")\n"
                  "def taxed(orders):\n    return orders.mutate(gross=orders.amount * TAX)\n"),
    skipped("raise RuntimeError('exploration only: never run when the project is loaded')"),
    new_code_cell("%%interlace_model\n-- @model(name=\"big\", materialize=\"view\")\nSELECT * FROM taxed WHERE gross > 20"),
)


def test_a_notebook_declares_sql_and_python_models(make_project, open_ws) -> None:
    root = make_project({})
    write_notebook(root / "models" / "pipeline.ipynb", *PIPELINE)
    ws = open_ws(root)
    assert sorted(ws.models) == ["big", "orders", "taxed"]
    orders, taxed, big = ws.models["orders"], ws.models["taxed"], ws.models["big"]
    assert (orders.kind, orders.tags, str(orders.origin)) == ("sql", ("raw",), "models/pipeline.ipynb, cell 3, line 1")
    assert (taxed.kind, taxed.dependencies, str(taxed.origin)) == ("python", ("orders",),
                                                                   "models/pipeline.ipynb, cell 4, line 4")
    assert (big.materialize, str(big.origin)) == ("view", "models/pipeline.ipynb, cell 6, line 2")
    result = ws.run()
    assert result.ok, result.errors
    assert ws.sql("SELECT count(*), max(gross) FROM big").fetchone() == (3, 48.0)


def test_the_cli_runs_a_notebook_project(make_project) -> None:
    root = make_project({"models/report.sql": "SELECT count(*) AS n FROM big"})
    write_notebook(root / "models" / "pipeline.ipynb", *PIPELINE)
    result = run_cli("run", "-d", str(root))
    assert result.returncode == 0, result.stderr
    assert "4 succeeded, 0 failed" in result.stdout
    plan = run_cli("plan", "-d", str(root))
    assert [line.split()[:2] for line in plan.stdout.splitlines()[:4]] == [
        ["orders", "skip"], ["taxed", "skip"], ["big", "skip"], ["report", "skip"]]


def test_a_failing_cell_names_the_notebook_and_cell(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", new_markdown_cell("x"), new_code_cell("x = 1\ny = x / 0"))
    with pytest.raises(ModelDefinitionError) as err:
        load_notebook(path, display="models/nb.ipynb")
    assert str(err.value) == (
        "models/nb.ipynb, cell 2, line 2: the cell raised ZeroDivisionError: division by zero\n"
        '  File "<models/nb.ipynb, cell 2>", line 2, in <module>\n'
        "    y = x / 0\n"
        "         ~~^~~\n"
        "ZeroDivisionError: division by zero\n"
        "Fix: fix the cell (it runs when the project is loaded), or tag it 'skip' if it should only run in Jupyter"
    )


def test_a_syntax_error_names_the_cell_and_line(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", new_code_cell("ok = 1"), new_code_cell("a = 1\ndef f(:\n  pass"))
    with pytest.raises(ModelParseError) as err:
        load_notebook(path, display="models/nb.ipynb")
    assert str(err.value) == ("models/nb.ipynb, cell 2, line 2: Python syntax error: invalid syntax\n"
                              "  def f(:\nFix: fix the syntax at that line")


def test_a_bad_model_declaration_in_a_cell_names_the_cell(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb",
                          new_code_cell("from interlace import model\n\n@model(materialize='tabel')\ndef m():\n    return []"))
    with pytest.raises(ModelDefinitionError) as err:
        load_notebook(path, display="models/nb.ipynb")
    assert str(err.value) == (
        "model 'm' (models/nb.ipynb, cell 1, line 3): keyword 'materialize' must be one of 'table', 'view', "
        "'ephemeral', 'none' (got 'tabel')\nFix: correct 'materialize=' in @model"
    )


def test_sql_cell_errors_name_the_cell_and_line(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", new_code_cell("%%interlace_model m\nSELECT 1 FROM WHERE"))
    with pytest.raises(ModelParseError) as err:
        load_notebook(path, display="models/nb.ipynb")
    assert str(err.value).startswith("model 'm' (models/nb.ipynb, cell 1, line 2): SQL does not parse: ")
    path = write_notebook(tmp_path / "nb2.ipynb", new_code_cell("%%interlace_model m --strategy merge_by_key\nSELECT 1"))
    with pytest.raises(ModelDefinitionError) as err:
        load_notebook(path, display="models/nb2.ipynb")
    assert str(err.value) == ("model 'm' (models/nb2.ipynb, cell 1): strategy 'merge_by_key' needs a primary_key\n"
                              "Fix: add primary_key='id' (or a list of columns) to the model")
    path = write_notebook(tmp_path / "nb3.ipynb", new_code_cell("%%interlace_model m --bogus\nSELECT 1"))
    with pytest.raises(ModelDefinitionError) as err:
        load_notebook(path, display="models/nb3.ipynb")
    assert str(err.value).startswith(
        "models/nb3.ipynb, cell 1: the %%interlace_model line does not parse: unrecognized arguments: --bogus\n"
        "  %%interlace_model m --bogus\nFix: write %%interlace_model NAME [--materialize KIND]")


def test_other_cell_magics_must_be_tagged_skip(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", new_code_cell("%%time\nx = 1"))
    with pytest.raises(ModelDefinitionError) as err:
        load_notebook(path, display="models/nb.ipynb")
    assert str(err.value) == (
        "models/nb.ipynb, cell 1: the cell starts with the cell magic %%time, which only IPython can run\n"
        "Fix: tag the cell 'skip' (so it is ignored when the project is loaded), or remove the magic"
    )
    path = write_notebook(tmp_path / "ok.ipynb", skipped("%%time\nx = 1"))
    assert load_notebook(path, display="models/ok.ipynb") == []


def test_a_broken_notebook_file_is_named(make_project, open_ws) -> None:
    root = make_project({"models/broken.ipynb": "{not json"})
    ws = open_ws(root)  # the file is an error of its own model; the project still loads
    err = ws.project.broken["broken"]
    assert isinstance(err, ModelDefinitionError)
    assert str(err).startswith("models/broken.ipynb: the notebook cannot be read: ")
    assert str(err).endswith(
        "Fix: open and save it in Jupyter to repair it, or move it out of the models directory")
    step = ws.plan().step("broken")
    assert step.action == "error" and step.reason.startswith("cannot be built: models/broken.ipynb: the notebook cannot be read: ")
    result = ws.run()
    assert result["broken"].status == "failed" and result["broken"].error is err


def test_a_notebook_model_and_a_file_model_with_one_name_name_both(make_project, open_ws) -> None:
    root = make_project({"models/a_orders.sql": "SELECT 1 AS id"})
    write_notebook(root / "models" / "b.ipynb", new_code_cell("%%interlace_model a_orders\nSELECT 2 AS id"))
    with pytest.raises(DuplicateModelError) as err:
        open_ws(root).models  # noqa: B018
    assert str(err.value) == (
        "model 'a_orders': two models are named 'a_orders': models/a_orders.sql:1 and models/b.ipynb, cell 1, line 1\n"
        "Fix: rename one of them (name=... in the decorator or header, or rename the file)"
    )


def test_strip_magics_keeps_lines_and_indentation() -> None:
    source = "%load_ext interlace\nif True:\n    %time x = 1\n    !ls\ny = 2"
    stripped = strip_magics(source)
    assert stripped.splitlines() == ["pass  # load_ext interlace", "if True:", "    pass  # time x = 1",
                                     "    pass  # ls", "y = 2"]
    namespace: dict = {}
    exec(compile(stripped, "<test>", "exec"), namespace)
    assert namespace["y"] == 2


def test_checkpoints_are_not_model_sources(make_project, open_ws) -> None:
    root = make_project({})
    write_notebook(root / "models" / ".ipynb_checkpoints" / "p-checkpoint.ipynb",
                   new_code_cell("%%interlace_model stale_copy\nSELECT 1"))
    write_files(root, {"models/x.sql": "SELECT 1 AS x"})
    assert sorted(open_ws(root).models) == ["x"]
