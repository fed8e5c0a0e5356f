"""Infer which relations a SQL model reads, with sqlglot (DuckDB dialect).

References are returned as dotted names (``orders``, ``staging.orders``, ``other_db.main.t``);
the graph decides which of them are models. CTE names, table functions (``read_csv(...)``), file
scans and the targets of DDL/DML statements are not references.
"""

from __future__ import annotations

import re

import sqlglot
import sqlglot.expressions as exp
from sqlglot.errors import ParseError

from interlace.errors import ModelParseError

__all__ = ["parse_sql", "sql_references", "table_reference"]

_FILE_LIKE = re.compile(r"[./\\*]")
_TOKEN = re.compile(r"<Token token_type: [^,]+, text: ([^,]*), line: \d+, col: \d+[^>]*>")


def parse_sql(sql: str, *, model: str, path: str, first_line: int) -> list[exp.Expression]:
    """Parse ``sql`` (DuckDB dialect); a parse error names the file line of the problem."""
    try:
        return [s for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        line = first_line + int(err.get("line") or 1) - 1
        description = _TOKEN.sub(r"'\1'", str(err.get("description") or exc))
        raise ModelParseError(
            f"SQL does not parse: {description}",
            model=model,
            origin=f"{path}:{line}",
            details=_snippet(sql, int(err.get("line") or 1), int(err.get("col") or 1)),
            hint="fix the SQL; if DuckDB accepts it but sqlglot does not, declare "
            "dependencies=[...] in the header so the SQL is not analysed",
        ) from None


def sql_references(sql: str, *, model: str, path: str, first_line: int, allow_many: bool = False) -> tuple[str, ...]:
    """The relations ``sql`` reads, in order of first appearance, without duplicates."""
    statements = parse_sql(sql, model=model, path=path, first_line=first_line)
    if len(statements) > 1 and not allow_many:
        raise ModelParseError(
            f"the model holds {len(statements)} SQL statements; a model is one query",
            model=model, origin=f"{path}:{first_line}",
            hint="split it into several models (each with its own -- @model(name=...) header), "
            "or use materialize=\"none\" for a block of side-effect statements",
        )
    refs: dict[str, None] = {}
    for statement in statements:
        targets = {id(t) for t in _write_targets(statement)}
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            if id(table) in targets or not isinstance(table.this, exp.Identifier):
                continue  # a table function such as read_csv(...)
            if _FILE_LIKE.search(table.name):
                continue  # FROM 'data/file.parquet': a replacement scan of a file
            ref = table_reference(table)
            if "." not in ref and ref.lower() in ctes:
                continue
            refs.setdefault(ref, None)
    return tuple(refs)


def table_reference(table: exp.Table) -> str:
    return ".".join(part for part in (table.catalog, table.db, table.name) if part)


def _write_targets(statement: exp.Expression) -> list[exp.Table]:
    if isinstance(statement, exp.Create | exp.Insert | exp.Delete | exp.Update | exp.Drop):
        target = statement.this
        if isinstance(target, exp.Schema):
            target = target.this
        if isinstance(target, exp.Table):
            return [target]
    return []


def _snippet(sql: str, line: int, col: int) -> str:
    lines = sql.splitlines() or [sql]
    text = lines[min(line, len(lines)) - 1]
    return f"  {text}\n  {' ' * max(col - 1, 0)}^"
