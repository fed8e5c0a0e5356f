"""A project with streams, opened as a workspace (closed at the end of the test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import interlace
from tests.conftest import write_files

CONFIG = """
name: streams
streams:
  clicks:
    debounce: 0.1
    visibility_timeout: 0.2
    max_deliveries: 2
  orders:
    fields: {id: bigint, amount: double, at: timestamp, tags: json}
    required: [id]
  lax:
    fields: {id: bigint}
    on_invalid: dead_letter
  strict_one:
    schema_mode: strict
    trigger: false
"""

MODELS = {
    "models/click_counts.sql": """
        -- @model(materialize="table")
        SELECT url, count(*) AS n FROM clicks GROUP BY url
    """,
}


@pytest.fixture
def open_streams(tmp_path: Path) -> Iterator[Callable[..., interlace.Workspace]]:
    opened: list[interlace.Workspace] = []

    def make(config: str = CONFIG, files: dict[str, str] | None = None,
             name: str = "p") -> interlace.Workspace:
        root = tmp_path / name
        if not root.exists():
            write_files(root, {"config.yaml": config, **(MODELS if files is None else files)})
        ws = interlace.open(root)
        opened.append(ws)
        return ws

    yield make
    for ws in opened:
        ws.close()
