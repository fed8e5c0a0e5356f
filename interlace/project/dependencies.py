"""Infer which relations a SQL model reads, with sqlglot (DuckDB dialect).

References are returned as dotted names (``orders``, ``staging.orders``, ``other_db.main.t``);
the graph decides which of them are models. CTE names, table functions (``read_csv(...)``), file
scans and the targets of DDL/DML statements are not references.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
import sqlglot.expressions as exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from interlace.errors import ModelParseError
from interlace.origin import Origin, at_line
from interlace.project.source_files import check_nesting
from interlace.project.sql_scan import FILE_READERS, GENERATORS

__all__ = ["analyse_sql", "normalize_sql", "parse_sql", "sql_references", "table_reference",
           "too_many_statements"]

_DUCKDB = Dialect.get_or_raise("duckdb")
_FILE_LIKE = re.compile(r"[./\\*]")
_TOKEN = re.compile(r"<Token token_type: [^,]+, text: ([^,]*), line: \d+, col: \d+[^>]*>")


def normalize_sql(sql: str) -> str:
    """``sql`` without formatting, comments, or case in keywords and unquoted identifiers: compared
    token by token (tokenizing is several times cheaper than parsing and generating SQL again)."""
    try:
        tokens = _DUCKDB.tokenize(sql)
    except TokenError:
        return " ".join(sql.split())
    return " ".join(_token_text(t) for t in tokens)


def _token_text(token: Token) -> str:
    if token.token_type in (TokenType.STRING, TokenType.IDENTIFIER, TokenType.NUMBER):
        return f"{token.token_type.name}:{token.text}"
    return token.text.lower()


def parse_sql(sql: str, *, model: str, path: str | Origin, first_line: int) -> list[Any]:
    """Parse ``sql`` (DuckDB dialect); a parse error names the file line of the problem."""
    check_nesting(sql, display=path, first_line=first_line, model=model)
    try:
        return [s for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]
    except RecursionError:  # deep nesting of another kind than parentheses (CASE, operators...)
        raise ModelParseError("the SQL nests too deeply to analyse", model=model, origin=at_line(path, first_line),
                              hint="flatten the expression (use a CTE or a helper model), or declare "
                                   "dependencies=[...] in the header so the SQL is not analysed") from None
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        line = first_line + int(err.get("line") or 1) - 1
        description = _TOKEN.sub(r"'\1'", str(err.get("description") or exc))
        raise ModelParseError(
            f"SQL does not parse: {description}",
            model=model,
            origin=at_line(path, line),
            details=_snippet(sql, int(err.get("line") or 1), int(err.get("col") or 1)),
            hint="fix the SQL; if DuckDB accepts it but sqlglot does not, declare "
            "dependencies=[...] in the header so the SQL is not analysed",
        ) from None


def sql_references(sql: str, *, model: str, path: str | Origin, first_line: int, allow_many: bool = False) -> tuple[str, ...]:
    """The relations ``sql`` reads, in order of first appearance, without duplicates."""
    return analyse_sql(sql, model=model, path=path, first_line=first_line, allow_many=allow_many)[0]


def analyse_sql(sql: str, *, model: str, path: str | Origin, first_line: int,
                allow_many: bool = False) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """(relations read, files read) of ``sql``; files is None when some input is not a local file
    (a URL, or a table function that reads from outside such as ``postgres_scan``)."""
    statements = parse_sql(sql, model=model, path=path, first_line=first_line)
    return _references(statements, model=model, path=path, first_line=first_line, allow_many=allow_many), \
        _files(statements)


def _references(statements: list[exp.Expression], *, model: str, path: str | Origin, first_line: int,
                allow_many: bool) -> tuple[str, ...]:
    if len(statements) > 1 and not allow_many:
        raise too_many_statements(len(statements), model=model, path=path, first_line=first_line)
    refs: dict[str, None] = {}
    for statement in statements:
        targets = {id(t) for t in _write_targets(statement)}
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            changed = _changes_of(table)
            if changed:  # table_changes('orders'): a DuckLake change feed reads orders
                refs.setdefault(changed, None)
                continue
            if id(table) in targets or not isinstance(table.this, exp.Identifier):
                continue  # a table function such as read_csv(...)
            if _FILE_LIKE.search(table.name):
                continue  # FROM 'data/file.parquet': a replacement scan of a file
            ref = table_reference(table)
            if "." not in ref and ref.lower() in ctes:
                continue
            refs.setdefault(ref, None)
    return tuple(refs)


def too_many_statements(count: int, *, model: str, path: str | Origin, first_line: int) -> ModelParseError:
    return ModelParseError(
        f"the model holds {count} SQL statements; a model is one query",
        model=model, origin=at_line(path, first_line),
        hint="split it into several models (each with its own -- @model(name=...) header), "
        "or use materialize=\"none\" for a block of side-effect statements",
    )


def _changes_of(table: exp.Table) -> str | None:
    """The table a ``table_changes('name')`` call reads (interlace.engine.lake), else None."""
    call = table.this
    if not isinstance(call, exp.Anonymous) or call.name.lower() != "table_changes":
        return None
    args = call.expressions
    return args[0].name if args and isinstance(args[0], exp.Literal) and args[0].is_string else None




def _files(statements: list[exp.Expression]) -> tuple[str, ...] | None:
    files: dict[str, None] = {}
    for statement in statements:
        for table in statement.find_all(exp.Table):
            node = table.this
            if isinstance(node, exp.Identifier):
                if _FILE_LIKE.search(table.name):
                    files.setdefault(table.name, None)
                continue
            name = (node.sql_name() if isinstance(node, exp.Func) else "").lower()
            if isinstance(node, exp.Anonymous):
                name = str(node.this).lower()
            if name in GENERATORS:
                continue
            if name not in FILE_READERS:
                return None  # an input we cannot stat: treat the model as reading external data
            paths = [lit.this for lit in node.find_all(exp.Literal) if lit.is_string]
            if not paths:
                return None
            for p in paths:
                files.setdefault(p, None)
    if any("://" in f for f in files):
        return None
    return tuple(files)


def table_reference(table: exp.Table) -> str:
    return ".".join(part for part in (table.catalog, table.db, table.name) if part)


def _write_targets(statement: exp.Expression) -> list[exp.Table]:
    if isinstance(statement, exp.Drop):  # DROP TABLE a, b: sqlglot keeps them in `tables`
        dropped = statement.args.get("tables") or [statement.this]
        return [t for t in dropped if isinstance(t, exp.Table)]
    if isinstance(statement, exp.Create | exp.Insert | exp.Delete | exp.Update):
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
