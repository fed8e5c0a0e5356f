"""An in-process IPython shell with the extension loaded, working in a temporary project.

``RaisingShell.run_cell`` raises the cell's error (so a failing cell fails the test);
``shell.run_cell(..., raising=False)`` runs it as a notebook would, to check what is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output


class RaisingShell(InteractiveShell):
    """A shell whose ``run_cell`` raises the error a cell ended with."""

    def run_cell(self, *args: Any, raising: bool = True, **kwargs: Any) -> Any:
        result = super().run_cell(*args, **kwargs)
        if raising:
            result.raise_error()
        return result


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory, made the working directory."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.delenv("INTERLACE_ENV", raising=False)
    return root


@pytest.fixture
def shell(project: Path) -> Iterator[RaisingShell]:
    """A fresh shell in ``project`` with ``%load_ext interlace`` done."""
    RaisingShell.clear_instance()
    ip = RaisingShell.instance()
    ip.run_line_magic("load_ext", "interlace")
    yield ip
    ip.run_line_magic("unload_ext", "interlace")
    RaisingShell.clear_instance()


def session(ip: InteractiveShell) -> Any:
    return ip.magics_manager.registry["InterlaceMagics"].session


def run_capturing(call: Callable[[], Any]) -> Any:
    with capture_output() as captured:
        call()
    return captured


def displayed_widgets(captured: Any) -> list[Any]:
    """The widget objects a cell displayed, in order."""
    from ipywidgets.widgets.widget import _instances

    found = []
    for output in captured.outputs:
        view = output.data.get("application/vnd.jupyter.widget-view+json")
        if view and _instances[view["model_id"]] not in found:  # a display update shows it again
            found.append(_instances[view["model_id"]])
    return found


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.bold: list[str] = []
        self._cell: list[str] | None = None
        self._in_bold = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "b":
            self._in_bold = True
            self.bold.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "b":
            self._in_bold = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_bold:
            self.bold[-1] += data


def html_tables(html: str) -> tuple[list[str], list[list[list[str]]]]:
    """(bold texts, tables as rows of cell texts) of an HTML fragment."""
    parser = _Tables()
    parser.feed(html)
    return parser.bold, parser.tables
