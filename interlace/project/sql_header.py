"""Read SQL model files: ``-- @model(...)`` headers, one or several models per file.

A header uses the same keywords as the Python decorator, with literal values only, and may be
continued over consecutive ``--`` lines. It is parsed with Python's ``ast`` (never evaluated).
A file without a header is one model named after the file stem.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass
from typing import Any

from interlace import kinds
from interlace.errors import ModelDefinitionError, ModelParseError
from interlace.origin import Origin, at_line
from interlace.project.dependencies import normalize_sql
from interlace.project.spec import ModelSpec, make_spec
from interlace.project.sql_check import analyse_model_sql

__all__ = ["parse_sql_models", "sql_model"]

_HEADER = re.compile(r"^\s*--\s*@model\b(.*)$")
_COMMENT = re.compile(r"^\s*--(.*)$")
_LOOKS_LIKE_HEADER = re.compile(r"^\s*--\s*@(\w+)\s*(\(|$)")  # -- @word( or a bare -- @word


@dataclass(frozen=True, slots=True)
class _Block:
    line: int  # 1-based line of the header (or 1 for a file without one)
    keywords: dict[str, Any]
    body: str
    body_line: int  # 1-based line where the SQL body starts


def parse_sql_models(text: str, *, path: str | Origin, stem: str) -> list[ModelSpec]:
    """Every model declared in one SQL file's ``text``; ``path`` is used in messages and origins."""
    blocks = _blocks(text, path)
    if len(blocks) > 1:
        for block in blocks:
            if "name" not in block.keywords:
                raise ModelDefinitionError(
                    f"this file declares {len(blocks)} models, and the header at line {block.line} has no name=",
                    origin=at_line(path, block.line),
                    hint="give every header in a multi-model file its own name=\"...\"",
                )
    return [sql_model(block.body, keywords=block.keywords, origin=at_line(path, block.line),
                      body_origin=at_line(path, block.body_line), default_name=stem,
                      declared_by="the -- @model header") for block in blocks]


def sql_model(body: str, *, keywords: dict[str, Any], origin: Origin, body_origin: Origin, default_name: str,
              declared_by: str) -> ModelSpec:
    """One SQL model from its body and its keywords (from a header, or from notebook cell flags),
    through the same validating constructor as ``@model``. ``body_origin`` is where the SQL starts."""
    name = str(keywords.get("name", default_name))
    sql = body.strip().rstrip(";").rstrip()
    if not sql:
        raise ModelDefinitionError("the model has no SQL after its header", model=name,
                                   origin=origin, hint="write a SELECT below the header")
    refs: tuple[str, ...]
    files: tuple[str, ...] | None
    if "dependencies" in keywords:
        refs, files, normalized = (), None, normalize_sql(sql)
    else:
        found = analyse_model_sql(sql, model=name, path=body_origin, first_line=body_origin.line or 1,
                                  allow_many=_runs_statements(keywords))
        refs, files, normalized = found.references, found.files, found.normalized
    return make_spec(
        kind="sql", origin=origin, keywords=keywords, default_name=default_name, declared_by=declared_by,
        sql=sql, source=sql, inferred_dependencies=refs, file_inputs=files, normalized=normalized,
    )


def _blocks(text: str, path: str | Origin) -> list[_Block]:
    lines = text.splitlines()
    headers: list[tuple[int, int, dict[str, Any]]] = []  # (first line index, last line index, keywords)
    i = 0
    while i < len(lines):
        match = _HEADER.match(lines[i])
        if match:
            end, keywords = _parse_header(lines, i, path)
            headers.append((i, end, keywords))
            i = end + 1
        else:
            _refuse_near_header(lines[i], i + 1, path)
            i += 1
    if not headers:
        return [_Block(line=1, keywords={}, body=text, body_line=1)]
    preamble = [ln for ln in lines[: headers[0][0]] if ln.strip() and not _COMMENT.match(ln)]
    if preamble:
        raise ModelParseError(
            "SQL appears before the first -- @model header",
            origin=at_line(path, lines.index(preamble[0]) + 1),
            hint="move the header to the top of the model, or delete the stray SQL",
        )
    blocks = []
    for n, (start, end, keywords) in enumerate(headers):
        stop = headers[n + 1][0] if n + 1 < len(headers) else len(lines)
        blocks.append(_Block(line=start + 1, keywords=keywords,
                             body="\n".join(lines[end + 1: stop]), body_line=end + 2))
    return blocks


def _refuse_near_header(line: str, number: int, path: str | Origin) -> None:
    """A comment like ``-- @modle(...)`` is a header with a typo, not a comment: silently building
    the model with default keywords would hide the mistake."""
    match = _LOOKS_LIKE_HEADER.match(line)
    if match is None or not difflib.get_close_matches(match.group(1), ["model"], n=1, cutoff=0.6):
        return
    raise ModelParseError(
        f"'-- @{match.group(1)}' looks like a model header, but the header keyword is @model. Did you mean '@model'?",
        origin=at_line(path, number), details="  " + line.strip(),
        hint="spell the header -- @model(...); if the line is only a comment, drop the @",
    )


def _parse_header(lines: list[str], start: int, path: str | Origin) -> tuple[int, dict[str, Any]]:
    """Parse the header starting at ``lines[start]``; return its last line index and keywords."""
    text = "model" + _HEADER.match(lines[start]).group(1)  # type: ignore[union-attr]
    end = start
    while True:
        try:
            tree = ast.parse(text.strip() or "model", mode="eval")
            break
        except SyntaxError as exc:
            following = _COMMENT.match(lines[end + 1]) if end + 1 < len(lines) else None
            if following is None or _HEADER.match(lines[end + 1]):
                line = start + (exc.lineno or 1)
                raise ModelParseError(
                    f"malformed -- @model header: {exc.msg}",
                    origin=at_line(path, line),
                    details="  " + lines[line - 1].strip(),
                    hint="write the header as -- @model(keyword=value, ...) with literal values, "
                    "continuing it on following lines that start with --",
                ) from None
            end += 1
            text += "\n" + following.group(1)
    call = tree.body
    if isinstance(call, ast.Name) and call.id == "model":
        return end, {}
    if not isinstance(call, ast.Call) or call.args:
        raise ModelParseError(
            "malformed -- @model header: expected model(keyword=value, ...) with keywords only",
            origin=at_line(path, start + 1), hint="write -- @model(materialize=\"table\", ...)",
        )
    keywords: dict[str, Any] = {}
    for kw in call.keywords:
        line = start + getattr(kw.value, "lineno", 1)
        if kw.arg is None:
            raise ModelParseError("**mappings are not allowed in a -- @model header",
                                  origin=at_line(path, line), hint="spell each keyword out")
        try:
            keywords[kw.arg] = ast.literal_eval(kw.value)
        except ValueError:
            raise ModelParseError(
                f"keyword '{kw.arg}' in the -- @model header is not a literal value: {ast.unparse(kw.value)}",
                origin=at_line(path, line),
                hint="use only literals (strings, numbers, True/False/None, lists, dicts)",
            ) from None
    return end, keywords


def _runs_statements(keywords: dict[str, Any]) -> bool:
    """A side-effect model (materialize='none' or a strategy that writes nothing) may hold several
    statements; read from the raw keywords, before they are validated."""
    materialization = kinds.MATERIALIZATIONS.get(str(keywords.get("materialize", keywords.get("materialise"))))
    strategy = kinds.STRATEGIES.get(str(keywords.get("strategy", "replace")))
    return bool((materialization and materialization.always_runs) or (strategy and not strategy.writes))
