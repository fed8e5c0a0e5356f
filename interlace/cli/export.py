"""``interlace export MODEL``: write a model's table to parquet, CSV or JSON (DuckDB COPY)."""

from __future__ import annotations

import json
from typing import Any

from interlace.cli.main import command, console, open_workspace
from interlace.cli.params import build_options, json_flag, options_from, workspace_flags
from interlace.options import ExportOptions


@command(name="export")
@options_from(ExportOptions)
@workspace_flags
@json_flag
def export(project_dir: str, env: str | None, as_json: bool, **values: Any) -> None:
    """Write MODEL's table to a file (format and path default to the model's export=)."""
    options: ExportOptions = build_options(ExportOptions, values)
    with open_workspace(project_dir, env) as ws:
        result = ws.export(options)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    console.print(f"Exported {result.rows:,} rows of '{result.model}' to {result.path} ({result.format}).",
                  markup=False)
