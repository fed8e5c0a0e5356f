"""Analyse one SQL model cheaply: dependencies from its tokens, syntax from DuckDB's own parser.

``interlace.project.sql_scan`` finds what the model reads from its tokens; DuckDB's parser
(``extract_statements``: parses, runs nothing; about 10 µs a model) says whether the SQL is valid
and how many statements it holds — the parser that will run it, so SQL that DuckDB accepts is
never refused for a limitation of sqlglot's. When the scan is not sure, sqlglot parses the model
in full as before (``interlace.project.dependencies``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from interlace.errors import ModelParseError
from interlace.origin import Origin, at_line
from interlace.project.dependencies import analyse_sql, normalize_sql, too_many_statements
from interlace.project.source_files import check_nesting
from interlace.project.sql_scan import scan_sql

__all__ = ["ModelSQL", "analyse_model_sql"]

_LINE = re.compile(r"^LINE (\d+):", re.MULTILINE)
_local = threading.local()


@dataclass(frozen=True, slots=True)
class ModelSQL:
    references: tuple[str, ...]
    files: tuple[str, ...] | None
    normalized: str


def analyse_model_sql(sql: str, *, model: str, path: str | Origin, first_line: int,
                      allow_many: bool = False) -> ModelSQL:
    """What a SQL model reads, the files it scans and its normalized text; a syntax error (or
    several statements where one query is expected) raises ModelParseError at the file line."""
    check_nesting(sql, display=path, first_line=first_line, model=model)
    scan = scan_sql(sql)
    if scan is not None:
        statements = _duckdb_statements(sql, model=model, path=path, first_line=first_line)
        if statements == scan.statements:
            if statements > 1 and not allow_many:
                raise too_many_statements(statements, model=model, path=path, first_line=first_line)
            return ModelSQL(scan.references, scan.files, scan.normalized)
    refs, files = analyse_sql(sql, model=model, path=path, first_line=first_line, allow_many=allow_many)
    return ModelSQL(refs, files, normalize_sql(sql))


def _duckdb_statements(sql: str, *, model: str, path: str | Origin, first_line: int) -> int:
    import duckdb

    con = getattr(_local, "con", None)
    if con is None:  # one in-memory connection per thread: a connection is not shared by threads
        con = _local.con = duckdb.connect(":memory:")
    try:
        return len(con.extract_statements(sql))
    except duckdb.ParserException as exc:
        raise _parse_error(str(exc), sql, model=model, path=path, first_line=first_line) from None


def _parse_error(text: str, sql: str, *, model: str, path: str | Origin, first_line: int) -> ModelParseError:
    head, _, rest = text.partition("\n")
    description = head.removeprefix("Parser Error: ").strip() or "syntax error"
    match = _LINE.search(rest)
    line = int(match.group(1)) if match else max(len(sql.splitlines()), 1)
    details: Any = "\n".join("  " + ln for ln in rest.strip("\n").splitlines()) if match else None
    return ModelParseError(
        f"SQL does not parse: {description}",
        model=model,
        origin=at_line(path, first_line + line - 1),
        details=details,
        hint="fix the SQL (this is DuckDB's parser speaking: the model would fail the same way "
             "when built)",
    )
