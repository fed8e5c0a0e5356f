"""Notebooks as model sources: ``%%interlace_model`` cells and ``@model`` functions in ``.ipynb`` files.

:func:`load_notebook` reads a notebook with nbformat and, cell by cell in order:

- a code cell that starts with ``%%interlace_model`` becomes one or more SQL models
  (:func:`cell_models`, the same function the ``%%interlace_model`` magic calls);
- any other code cell runs in one namespace shared by the whole notebook, with IPython line
  magics (``%load_ext ...``) and shell escapes (``!pip ...``) stripped, and every ``@model`` it
  declares is collected;
- cells tagged ``skip`` are ignored, as are markdown and raw cells.

Errors name the notebook and the cell (its 1-based position, as JupyterLab shows it).
Core: imports no IPython; nbformat is imported when a notebook is read.
"""

from __future__ import annotations

import argparse
import dataclasses
import linecache
import re
import shlex
import warnings
from pathlib import Path
from typing import Any

from interlace.errors import ModelDefinitionError, ModelParseError
from interlace.options import ModelCellOptions, argparse_arguments, options_from_namespace
from interlace.project.decorators import collecting
from interlace.project.discovery import user_traceback
from interlace.project.spec import ModelSpec, Origin, make_spec
from interlace.project.sql_header import parse_sql_models, sql_model

__all__ = ["CELL_MAGIC", "SKIP_TAG", "cell_models", "load_notebook", "parse_cell_line", "strip_magics"]

CELL_MAGIC = "interlace_model"
SKIP_TAG = "skip"
_HEADER = re.compile(r"^\s*--\s*@model\b")
_MAGIC_LINE = re.compile(r"^(\s*)[%!]")
_CELL_MAGIC_LINE = re.compile(r"^\s*%%(\w+)")


class _ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message: str) -> Any:
        raise _ArgumentError(message)


def _parser() -> _Parser:
    parser = _Parser(prog=f"%%{CELL_MAGIC}", add_help=False)
    for names, keywords in argparse_arguments(ModelCellOptions):
        parser.add_argument(*names, **keywords)
    return parser


def parse_cell_line(line: str, *, origin: Origin) -> ModelCellOptions:
    """The options on a ``%%interlace_model`` line (without the ``%%interlace_model`` itself)."""
    try:
        argv = shlex.split(line)
        options: ModelCellOptions = options_from_namespace(ModelCellOptions, _parser().parse_args(argv))
    except (ValueError, _ArgumentError) as exc:
        raise ModelDefinitionError(
            f"the %%{CELL_MAGIC} line does not parse: {exc}", origin=str(origin),
            details=f"  %%{CELL_MAGIC} {line.strip()}",
            hint=f"write %%{CELL_MAGIC} NAME [--materialize KIND] [--strategy STRATEGY] "
            "[--primary-key COLUMN] [--check CHECK] [--schema SCHEMA] [--tag TAG] [--no-run]",
        ) from None
    return options


def cell_models(options: ModelCellOptions, body: str, *, origin: Origin) -> list[ModelSpec]:
    """The SQL model(s) a ``%%interlace_model`` cell declares.

    ``body`` is the cell below the magic line; ``origin`` names the notebook and cell (its line
    numbers count the magic line as line 1). Keywords come either from the flags or from a
    ``-- @model(...)`` header in the body, not from both.
    """
    keywords = _flag_keywords(options)
    if not body.strip():
        raise ModelDefinitionError(
            f"the cell has no SQL below the %%{CELL_MAGIC} line", model=options.name, origin=str(origin),
            hint=f"write the model's SELECT on the lines below %%{CELL_MAGIC} NAME",
        )
    has_header = any(_HEADER.match(ln) for ln in body.splitlines())
    if has_header and keywords:
        flags = ", ".join(f"--{k.replace('_', '-')}" for k in keywords)
        raise ModelDefinitionError(
            f"the cell sets keywords both with flags ({flags}) and in a -- @model header",
            model=options.name, origin=str(origin),
            hint="keep them in one place: either the flags on the %%interlace_model line or the header",
        )
    if not has_header and options.name is None:
        raise ModelDefinitionError(
            "the cell does not name its model", origin=str(origin),
            hint=f"write %%{CELL_MAGIC} NAME, or start the SQL with -- @model(name=\"...\")",
        )
    if not has_header:  # the flags are the keywords: the spec is built from them, no header text
        _validate_flags(options.name, keywords, origin)
        return [sql_model(body, keywords={"name": options.name, **keywords}, origin=origin.at(1),
                          body_origin=origin.at(2), default_name=options.name or "model",
                          declared_by=f"the %%{CELL_MAGIC} flags")]
    # the magic line is line 1 of the cell: the body's lines count from 2
    specs = parse_sql_models("\n" + body, path=origin.at(None), stem=options.name or "model")
    if options.name is not None:
        named = [s.name for s in specs]
        if named != [options.name] and len(specs) == 1:
            raise ModelDefinitionError(
                f"the cell is named '{options.name}' on the %%{CELL_MAGIC} line but '{named[0]}' in its header",
                model=options.name, origin=str(origin), hint="use one name (or drop one of the two)",
            )
    return specs


def _flag_keywords(options: ModelCellOptions) -> dict[str, Any]:
    keys = [k.strip() for item in options.primary_key for k in item.split(",") if k.strip()]
    keywords: dict[str, Any] = {
        "materialize": options.materialize, "strategy": options.strategy, "schema": options.schema,
        "primary_key": keys[0] if len(keys) == 1 else keys or None,
        "quality_checks": list(options.check) or None, "tags": list(options.tag) or None,
    }
    return {k: v for k, v in keywords.items() if v is not None}


def _validate_flags(name: str | None, keywords: dict[str, Any], origin: Origin) -> None:
    """Check the flag values now, so a bad one is reported as a flag rather than as a header keyword."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not acted on yet" is warned once, for the real spec
        try:
            make_spec(kind="sql", origin=origin, keywords=keywords, default_name=name or "model",
                      declared_by=f"the %%{CELL_MAGIC} flags", sql="SELECT 1")
        except ModelDefinitionError as exc:
            exc.message = re.sub(r"^keyword '(\w+)'", lambda m: f"--{m.group(1).replace('_', '-')}", exc.message)
            exc.hint = f"correct the flag on the %%{CELL_MAGIC} line" if exc.hint and "correct '" in exc.hint else exc.hint
            raise


# -- reading a notebook --------------------------------------------------------------------------

def load_notebook(path: Path, *, display: str) -> list[ModelSpec]:
    """Every model a notebook declares; ``display`` (the project-relative path) names it in messages."""
    cells = _read(path, display)
    namespace: dict[str, Any] = {"__name__": "interlace_notebook_" + re.sub(r"\W", "_", Path(display).stem),
                                 "__file__": str(path), "display": _no_display}
    specs: list[ModelSpec] = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code" or SKIP_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        source = cell.get("source", "")
        if not source.strip():
            continue
        origin = Origin(display, None, number)
        magic = _CELL_MAGIC_LINE.match(source)
        if magic and magic.group(1) == CELL_MAGIC:
            line, _, body = source.partition("\n")
            options = parse_cell_line(line.strip()[len(CELL_MAGIC) + 2:], origin=origin)
            specs.extend(cell_models(options, body, origin=origin))
        elif magic:
            raise ModelDefinitionError(
                f"the cell starts with the cell magic %%{magic.group(1)}, which only IPython can run",
                origin=str(origin),
                hint=f"tag the cell '{SKIP_TAG}' (so it is ignored when the project is loaded), or remove the magic",
            )
        else:
            specs.extend(_run_code_cell(strip_magics(source), namespace, origin))
    return specs


def strip_magics(source: str) -> str:
    """The cell with IPython line magics and shell escapes replaced by ``pass`` (lines keep their numbers)."""
    return "\n".join(_MAGIC_LINE.sub(r"\1pass  # ", line) if _MAGIC_LINE.match(line) else line
                     for line in source.splitlines())


def _read(path: Path, display: str) -> list[dict[str, Any]]:
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for a bad file
        raise ModelDefinitionError(
            f"the notebook cannot be read: {type(exc).__name__}: {exc}", origin=display,
            hint="open and save it in Jupyter to repair it, or move it out of the models directory",
        ) from None
    return list(notebook.cells)


def _run_code_cell(source: str, namespace: dict[str, Any], origin: Origin) -> list[ModelSpec]:
    filename = f"<{origin}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as exc:
        raise ModelParseError(
            f"Python syntax error: {exc.msg}", origin=str(Origin(origin.path, exc.lineno, origin.cell)),
            details=f"  {(exc.text or '').rstrip()}", hint="fix the syntax at that line",
        ) from None
    with collecting() as collected:
        try:
            exec(code, namespace)
        except ModelDefinitionError as exc:
            if isinstance(exc.origin, str) and exc.origin.startswith(filename):
                line = exc.origin[len(filename):].lstrip(":")
                exc.origin = str(Origin(origin.path, int(line) if line.isdigit() else None, origin.cell))
            raise
        except (Exception, SystemExit) as exc:  # sys.exit() in a cell is the cell's error
            raise ModelDefinitionError(
                f"the cell raised {type(exc).__name__}: {exc}",
                origin=str(Origin(origin.path, _failing_line(exc, filename), origin.cell)),
                details=user_traceback(exc),
                hint=f"fix the cell (it runs when the project is loaded), or tag it '{SKIP_TAG}' "
                "if it should only run in Jupyter",
            ) from None
    return [dataclasses.replace(s, origin=Origin(origin.path, s.origin.line, origin.cell))
            if s.origin.path == filename else s for s in collected]


def _failing_line(exc: BaseException, filename: str) -> int | None:
    import traceback

    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return lines[-1] if lines else None


def _no_display(*objects: Any, **kwargs: Any) -> None:
    """``display()`` for cells run outside Jupyter: there is nowhere to show the output."""
