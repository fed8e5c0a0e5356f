"""The relations and files a SQL model reads, from its tokens alone (no parse tree).

Discovering a large project is mostly parsing: sqlglot's parser costs about six times its
tokenizer. The dependency graph needs only the names after ``FROM`` / ``JOIN`` / ``,`` (in a
FROM clause), the CTE names that shadow them and the write targets of DDL/DML, which a scan of
the token stream finds. :func:`scan_sql` returns the same references and file inputs as the full
parse (``interlace.project.dependencies``; tests/project/test_sql_scan.py holds both to the same
answers), or None when the SQL holds a construct the scan does not model (PIVOT, MERGE, CREATE
MACRO, COPY, ...): the caller then parses it in full. It also returns the normalized text
(the same as ``normalize_sql``) from the same tokens, so a model is tokenized once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

__all__ = ["FILE_READERS", "GENERATORS", "Scan", "scan_sql"]

_DUCKDB = Dialect.get_or_raise("duckdb")
_FILE_LIKE = re.compile(r"[./\\*]")
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
T = TokenType

# Tokens that may be (part of) a table name: sqlglot's identifier tokens, quoted identifiers, and
# strings (``FROM 'file.parquet'`` and ``FROM 'name'`` are tables to sqlglot).
_NAME = frozenset(_DUCKDB.parser_class.ID_VAR_TOKENS) | {T.VAR, T.IDENTIFIER, T.STRING}
_NAME_PART = _NAME - {T.STRING}
# A statement the scan models starts with one of these; anything else is parsed in full.
_STARTS = frozenset({T.SELECT, T.WITH, T.FROM, T.L_PAREN, T.VALUES, T.INSERT, T.CREATE, T.UPDATE,
                     T.DELETE, T.DROP})
# Tokens the scan does not model anywhere in a statement.
_UNSURE = frozenset({T.PIVOT, T.UNPIVOT, T.MERGE, T.COPY, T.COMMAND, T.TABLE_SAMPLE})
# Tokens that end a FROM clause at their own parenthesis level.
_END_FROM = frozenset({T.WHERE, T.GROUP_BY, T.HAVING, T.QUALIFY, T.ORDER_BY, T.LIMIT, T.WINDOW,
                       T.UNION, T.EXCEPT, T.INTERSECT, T.RETURNING, T.SELECT, T.VALUES, T.SET,
                       T.OFFSET, T.FETCH})
_SET_OPS = frozenset({T.UNION, T.EXCEPT, T.INTERSECT})
_MAX_NESTING = 40  # interlace.project.source_files.MAX_SQL_NESTING is enforced before the scan

# Table functions that read files; their string arguments are file paths or globs.
FILE_READERS = frozenset({
    "read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json", "read_json_auto",
    "read_ndjson", "read_ndjson_auto", "read_json_objects", "read_text", "read_blob", "read_xlsx",
    "sniff_csv",
})
# Table functions that generate rows from nothing external.
GENERATORS = frozenset({"range", "generate_series", "unnest", "values"})


@dataclass(frozen=True, slots=True)
class Scan:
    statements: int
    references: tuple[str, ...]
    files: tuple[str, ...] | None  # None: some input is not a local file
    normalized: str


class _Level:
    """What the scan knows about one parenthesis level (or the statement itself)."""

    __slots__ = ("first", "query", "from_clause", "table_next", "delete", "ctes")

    def __init__(self, *, table_next: bool = False) -> None:
        self.first = True  # no token seen yet at this level
        self.query = False  # a SELECT (or WITH, or a DML target) was seen at this level
        self.from_clause = False  # inside a FROM clause: ',' and JOIN introduce a table
        self.table_next = table_next  # '(' right after FROM: a name first is a table
        self.delete = False  # DELETE at this level: USING introduces a table
        self.ctes = False  # inside a WITH list: ',' introduces a CTE name


class _Unsure(Exception):
    """The SQL holds something the scan does not model: parse it in full."""


def scan_sql(sql: str) -> Scan | None:
    """References, file inputs, statement count and normalized text of ``sql``; None when the
    scan is not sure (or the SQL does not tokenize): then the full parse decides."""
    try:
        tokens = _DUCKDB.tokenize(sql)
    except TokenError:
        return None
    normalized = " ".join(_token_text(t) for t in tokens)
    try:
        statements = _split(tokens)
        refs: dict[str, None] = {}
        files: dict[str, None] | None = {}
        for statement in statements:
            files = _Statement(statement, refs, files).scan()
    except _Unsure:
        return None
    if files is not None and any("://" in f for f in files):
        files = None
    return Scan(statements=len(statements), references=tuple(refs),
                files=None if files is None else tuple(files), normalized=normalized)


def _token_text(token: Token) -> str:
    if token.token_type in (T.STRING, T.IDENTIFIER, T.NUMBER):
        return f"{token.token_type.name}:{token.text}"
    return token.text.lower()


def _split(tokens: list[Token]) -> list[list[Token]]:
    out: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        kind = token.token_type
        if kind == T.L_PAREN:
            depth += 1
        elif kind == T.R_PAREN:
            depth -= 1
        elif kind == T.SEMICOLON and depth <= 0:
            out.append([])
            continue
        out[-1].append(token)
    return [s for s in out if s]


class _Statement:
    def __init__(self, tokens: list[Token], refs: dict[str, None], files: dict[str, None] | None) -> None:
        self.tokens = tokens
        self.refs = refs
        self.files = files
        self.ctes: set[str] = set()
        self.found: list[str] = []  # references of this statement, CTE names not yet removed
        self.group = False  # the last table item was '(': its level may start with a table

    def scan(self) -> dict[str, None] | None:
        tokens = self.tokens
        if tokens[0].token_type not in _STARTS:
            raise _Unsure
        levels = [_Level()]
        i = 0
        n = len(tokens)
        while i < n:
            token = tokens[i]
            kind = token.token_type
            level = levels[-1]
            if kind in _UNSURE:
                raise _Unsure
            if kind == T.L_PAREN:
                level.first = False
                levels.append(_Level(table_next=level.table_next))
                if len(levels) > _MAX_NESTING:
                    raise _Unsure
                level.table_next = False
                i += 1
                continue
            if kind == T.R_PAREN:
                if len(levels) == 1:
                    raise _Unsure
                levels.pop()
                i += 1
                continue
            was_first = level.first
            level.first = False
            if level.table_next:
                level.table_next = False
                if kind in _NAME or kind == T.LATERAL:  # FROM (a JOIN b ON ...)
                    level.from_clause = True
                    i = self._table_in(level, i)
                    continue
            if kind == T.WITH:
                level.query = level.ctes = True
                i = self._cte_name(i + 1)
            elif kind == T.COMMA and level.ctes and not level.from_clause:
                i = self._cte_name(i + 1)
            elif kind == T.SELECT:
                level.query, level.from_clause, level.ctes = True, False, False
                i += 1
            elif kind == T.FROM:
                level.ctes = False
                if i > 0 and tokens[i - 1].token_type == T.DELETE:
                    level.delete = level.query = True
                    i = self._target(i + 1)
                elif level.query or was_first:
                    level.from_clause = True
                    i = self._table_in(level, i + 1)
                else:  # EXTRACT(year FROM ts), TRIM(x FROM y), SUBSTRING(s FROM 2): not a table
                    i += 1
            elif kind in (T.JOIN, T.COMMA) and level.from_clause:
                i = self._table_in(level, i + 1)
            elif kind == T.USING and level.delete and i + 1 < n and tokens[i + 1].token_type in _NAME:
                level.from_clause = True
                i = self._table_in(level, i + 1)
            elif kind in _SET_OPS:
                level.query = level.from_clause = False
                level.first = True
                i += 1
                while i < n and tokens[i].token_type in (T.ALL, T.DISTINCT):
                    i += 1
            elif kind in _END_FROM:
                level.from_clause = False
                i += 1
            elif was_first and len(levels) == 1 and kind in (T.INSERT, T.CREATE, T.UPDATE, T.DROP):
                level.query = True
                i = self._ddl(i)
            elif kind in (T.INSERT, T.CREATE, T.UPDATE, T.DROP, T.DELETE, T.INTO) and not was_first:
                if kind == T.DELETE:
                    level.delete = level.query = True
                    i += 1
                elif kind == T.INSERT and level.query:  # WITH c AS (...) INSERT INTO t ...
                    i = self._ddl(i)
                else:
                    raise _Unsure
            else:
                i += 1
        shadowed = {c.lower() for c in self.ctes}
        for ref in self.found:
            if "." in ref or ref.lower() not in shadowed:
                self.refs.setdefault(ref, None)
        return self.files

    # -- pieces ---------------------------------------------------------------------------------

    def _cte_name(self, i: int) -> int:
        tokens = self.tokens
        if i < len(tokens) and tokens[i].token_type == T.RECURSIVE:
            i += 1
        if i >= len(tokens) or tokens[i].token_type not in _NAME_PART:
            raise _Unsure
        self.ctes.add(tokens[i].text)
        return i + 1

    def _name(self, i: int) -> tuple[list[str], int]:
        """The dotted name starting at ``i`` (1 to 3 parts) and the index after it."""
        tokens = self.tokens
        parts = [tokens[i].text]
        i += 1
        while i + 1 < len(tokens) and tokens[i].token_type == T.DOT and tokens[i + 1].token_type in _NAME:
            parts.append(tokens[i + 1].text)
            i += 2
        if len(parts) > 3 or (i < len(tokens) and tokens[i].token_type == T.DOT):
            raise _Unsure
        return parts, i

    def _table_in(self, level: _Level, i: int) -> int:
        self.group = False
        i = self._table(i)
        level.table_next = self.group
        return i

    def _table(self, i: int) -> int:
        """A table item after FROM / JOIN / ','; returns the index after its name (or at '(')."""
        tokens = self.tokens
        if i < len(tokens) and tokens[i].token_type == T.LATERAL:
            i += 1
        if i >= len(tokens):
            raise _Unsure
        kind = tokens[i].token_type
        if kind in (T.L_PAREN, T.VALUES, T.SELECT, T.WITH, T.FROM):
            self.group = kind == T.L_PAREN  # a subquery, or a parenthesized join: the loop descends
            return i
        if kind not in _NAME:
            word = tokens[i].text
            if i + 1 < len(tokens) and tokens[i + 1].token_type == T.L_PAREN and _WORD.match(word):
                return self._function(word.lower(), i + 1)  # a function named by a keyword: glob(...)
            raise _Unsure
        parts, j = self._name(i)
        if j < len(tokens) and tokens[j].token_type == T.L_PAREN:
            if kind == T.STRING or len(parts) > 1:
                raise _Unsure
            return self._function(parts[0].lower(), j)
        if kind == T.STRING and len(parts) > 1:
            raise _Unsure
        name = parts[-1]
        if _FILE_LIKE.search(name):
            if self.files is not None:
                self.files.setdefault(name, None)
            return j
        self.found.append(".".join(parts))
        return j

    def _function(self, name: str, i: int) -> int:
        """A table function called at ``i`` ('('); returns the index of its '(' for the main loop
        (its arguments may hold subqueries)."""
        tokens = self.tokens
        close = _closing(tokens, i)
        strings = [t.text for t in tokens[i + 1:close] if t.token_type == T.STRING]
        if name == "table_changes":
            if i + 1 < close and tokens[i + 1].token_type == T.STRING:
                self.found.append(tokens[i + 1].text)
                self.files = None  # a change feed is not a file
                return i
            raise _Unsure
        if name in GENERATORS:
            return i
        if name in FILE_READERS and strings and self.files is not None:
            for path in strings:
                self.files.setdefault(path, None)
            return i
        self.files = None  # an input we cannot stat (or a function we do not know)
        return i

    def _target(self, i: int) -> int:
        """The write target at ``i`` (skipped: a model does not read what it writes)."""
        tokens = self.tokens
        if i >= len(tokens) or tokens[i].token_type not in _NAME_PART:
            raise _Unsure
        parts, j = self._name(i)
        if _FILE_LIKE.search(parts[-1]) and self.files is not None:
            self.files.setdefault(parts[-1], None)
        return j

    def _ddl(self, i: int) -> int:
        """INSERT [OR ...] INTO t / CREATE [OR REPLACE] [TEMP] TABLE|VIEW [IF NOT EXISTS] t /
        UPDATE t / DROP TABLE|VIEW [IF EXISTS] t; returns the index after the target."""
        tokens = self.tokens
        kind = tokens[i].token_type
        i += 1
        if kind == T.UPDATE:
            return self._target(i)
        if kind == T.INSERT:
            while i < len(tokens) and tokens[i].token_type in (T.OR, T.REPLACE, T.IGNORE):
                i += 1
            if i >= len(tokens) or tokens[i].token_type != T.INTO:
                raise _Unsure
            return self._target(i + 1)
        while i < len(tokens) and tokens[i].token_type in (T.OR, T.REPLACE, T.TEMPORARY):
            i += 1
        if i < len(tokens) and tokens[i].text.lower() == "temp":
            i += 1
        if i >= len(tokens) or tokens[i].token_type not in (T.TABLE, T.VIEW):
            raise _Unsure
        i += 1
        words = [t.text.lower() for t in tokens[i:i + 3]]
        if words[:3] == ["if", "not", "exists"]:
            i += 3
        elif words[:2] == ["if", "exists"]:
            i += 2
        return self._target(i)



def _closing(tokens: list[Token], i: int) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        kind = tokens[j].token_type
        if kind == T.L_PAREN:
            depth += 1
        elif kind == T.R_PAREN:
            depth -= 1
            if depth == 0:
                return j
    raise _Unsure
