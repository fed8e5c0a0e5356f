"""Mistakes a new user makes in the first hour, each an error that says what, where and how to fix
(the real CLI in a subprocess)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli, write_files


def test_a_misspelled_header_is_an_error_naming_the_line(make_project) -> None:
    root = make_project({
        "models/orders.sql": "SELECT 1 AS id\n",
        "models/daily.sql": "-- daily orders\n-- @modle(materialize=\"view\")\nSELECT * FROM orders\n",
    })
    result = run_cli("run", "-d", str(root))  # the file is its model's error; orders still builds
    assert result.returncode == 1, result.stdout
    assert (
        "models/daily.sql:2: '-- @modle' looks like a model header, but the header keyword is @model."
        " Did you mean '@model'?\n"
        "  -- @modle(materialize=\"view\")\n"
        "Fix: spell the header -- @model(...); if the line is only a comment, drop the @") in result.stdout
    assert "1 succeeded, 1 failed, 0 skipped" in result.stdout


def test_run_where_there_is_no_project_says_so_and_creates_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "somewhere"
    empty.mkdir()
    result = run_cli("run", cwd=empty)
    assert result.returncode == 2, result.stdout
    assert result.stderr.strip() == (
        f"Error: {empty} is not an interlace project: it has no config.yaml and no models/ directory\n"
        "Fix: create a project with `interlace init NAME` (or `interlace init .` here), "
        "or point at one with --project-dir DIR")
    assert list(empty.iterdir()) == []


def test_a_selector_matching_nothing_lists_what_exists(make_project) -> None:
    root = make_project({
        "models/stg_orders.sql": "-- @model(tags=[\"staging\"])\nSELECT 1 AS id\n",
        "models/orders.sql": "-- @model(tags=[\"marts\"])\nSELECT * FROM stg_orders\n",
    })
    result = run_cli("run", "tag:stagin", "-d", str(root))
    assert result.returncode == 2, result.stdout
    assert result.stderr.strip() == (
        "Error: the selector 'tag:stagin' matches no model: no model has the tag 'stagin'. Did you mean 'staging'?\n"
        "  tags: marts, staging\n"
        "Fix: run `interlace info` to list the models; select by name, tag:x, path:models/x or a glob")
    glob = run_cli("plan", "stg_x*", "-d", str(root))
    assert glob.returncode == 2, glob.stdout
    assert glob.stderr.strip() == (
        "Error: the selector 'stg_x*' matches no model: no model name matches 'stg_x*'\n"
        "  models: orders, stg_orders\n"
        "Fix: run `interlace info` to list the models; select by name, tag:x, path:models/x or a glob")
    path = run_cli("plan", "path:model", "-d", str(root))
    assert path.returncode == 2, path.stdout
    assert path.stderr.strip() == (
        "Error: the selector 'path:model' matches no model: no model is declared under 'model'."
        " Did you mean 'models'?\n"
        "  paths: models/orders.sql, models/stg_orders.sql\n"
        "Fix: run `interlace info` to list the models; select by name, tag:x, path:models/x or a glob")


def test_init_dot_names_the_project_after_the_directory(tmp_path: Path) -> None:
    here = tmp_path / "my-shop"
    here.mkdir()
    result = run_cli("init", ".", cwd=here)
    assert result.returncode == 0, result.stderr
    assert "name: my-shop\n" in (here / "config.yaml").read_text()
    assert "Created project my-shop in " in result.stdout
    assert "Next: interlace run" in result.stdout
    ran = run_cli("run", cwd=here)
    assert ran.returncode == 0, ran.stdout + ran.stderr


def test_a_project_with_models_but_no_config_still_runs(tmp_path: Path) -> None:
    root = write_files(tmp_path / "bare", {"models/a.sql": "SELECT 1 AS x\n"})
    result = run_cli("run", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / ".interlace" / "dev.duckdb").exists()
