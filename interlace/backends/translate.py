"""A SQL model's DuckDB SQL as another engine's SQL (sqlglot), and the inputs that must move there.

The model's SQL is parsed in the DuckDB dialect. Tables of the target engine (references whose
catalog is the engine's connection name, as ``Project.relation`` writes them) lose that catalog;
everything else the query reads — the project's DuckDB tables, in-memory results of the run, and
file readers such as ``read_csv('seeds/x.csv')`` — is an :class:`Input`: DuckDB reads it into
Arrow and the engine registers it as a temporary view (the data moves, the query does not).

Constructs the target has no equivalent for raise :class:`Untranslatable`, naming the construct:
sqlglot's own (``unsupported_level=RAISE``) and the ones in :data:`GAPS`, which sqlglot would
otherwise pass through for the engine to reject with a less helpful message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlglot
import sqlglot.expressions as exp
from sqlglot.errors import ErrorLevel, UnsupportedError

__all__ = ["GAPS", "Gap", "Input", "Translated", "Untranslatable", "translate"]

# table functions DuckDB evaluates on the engine's behalf (their rows are moved as an Input)
FILE_READERS = frozenset({"read_csv", "read_csv_auto", "read_parquet", "parquet_scan", "read_json",
                          "read_json_auto", "read_ndjson"})


class Untranslatable(Exception):
    """A construct of the model's SQL that the target dialect cannot express."""

    def __init__(self, construct: str, keyword: str) -> None:
        super().__init__(construct)
        self.construct = construct
        self.keyword = keyword  # a word to find the construct's line in the source


@dataclass(frozen=True, slots=True)
class Gap:
    """A DuckDB construct a dialect lacks (sqlglot translates it verbatim)."""

    construct: str
    keyword: str
    dialects: frozenset[str]
    found: Callable[[exp.Expression], bool]


def _join_kind(kind: str) -> Callable[[exp.Expression], bool]:
    return lambda node: isinstance(node, exp.Join) and kind in {
        str(node.args.get(k) or "").upper() for k in ("kind", "side", "method")}


def _type(*names: str) -> Callable[[exp.Expression], bool]:
    wanted = {getattr(exp.DataType.Type, n) for n in names}
    return lambda node: isinstance(node, exp.DataType) and node.this in wanted


_SPARKISH = frozenset({"spark", "spark2", "databricks", "hive"})
GAPS: tuple[Gap, ...] = (
    Gap("ASOF JOIN", "ASOF", _SPARKISH, _join_kind("ASOF")),
    Gap("POSITIONAL JOIN", "POSITIONAL", _SPARKISH, _join_kind("POSITIONAL")),
    Gap("the HUGEINT type", "HUGEINT", _SPARKISH, _type("INT128", "UINT128")),
    Gap("SIMILAR TO", "SIMILAR", _SPARKISH, lambda node: isinstance(node, exp.SimilarTo)),
)


@dataclass(frozen=True, slots=True)
class Input:
    """Rows the engine does not have: ``duckdb_sql`` reads them, ``name`` is their view there."""

    name: str
    duckdb_sql: str


@dataclass(frozen=True, slots=True)
class Translated:
    sql: str  # in the target dialect
    inputs: tuple[Input, ...] = field(default_factory=tuple)


def translate(sql: str, *, dialect: str, catalog: str, prefix: str = "__interlace_in_") -> Translated:
    """``sql`` (DuckDB, model references already resolved) in ``dialect``; tables outside
    ``catalog`` become :class:`Input` s named ``prefix`` + a number (a per-build ``prefix`` keeps
    concurrent builds' temporary views apart). Raises :class:`Untranslatable`."""
    statements = [s for s in sqlglot.parse(sql, dialect="duckdb") if s is not None]
    inputs: dict[str, Input] = {}
    out = []
    for statement in statements:
        _check(statement, dialect)
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in list(statement.find_all(exp.Table)):
            _localise(table, catalog=catalog, ctes=ctes, inputs=inputs, prefix=prefix)
        try:
            out.append(statement.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE))
        except UnsupportedError as exc:
            raise Untranslatable(str(exc).strip(), str(exc).split()[0] if str(exc) else "") from exc
    return Translated(";\n".join(out), tuple(inputs.values()))


def _check(statement: Any, dialect: str) -> None:
    for node in statement.walk():
        for gap in GAPS:
            if dialect in gap.dialects and gap.found(node):
                raise Untranslatable(gap.construct, gap.keyword)


def _localise(table: Any, *, catalog: str, ctes: set[str], inputs: dict[str, Input],
              prefix: str) -> None:
    alias = table.alias or table.name
    if isinstance(table.this, exp.Anonymous | exp.Func):
        name = (table.this.name if isinstance(table.this, exp.Anonymous) else table.this.sql_name()).lower()
        if name not in FILE_READERS and not isinstance(table.this, exp.ReadCSV):
            return  # another table function: the dialect translates it (range -> explode ...)
        copy = table.copy()
        copy.set("alias", None)
        _replace(table, _input(inputs, prefix, f"SELECT * FROM {copy.sql(dialect='duckdb')}"), alias)
        return
    if not isinstance(table.this, exp.Identifier):
        return
    if not table.db and table.name.lower() in ctes:
        return
    if table.catalog and table.catalog.lower() == catalog.lower():
        table.set("catalog", None)  # the engine's own table: db.name there
        return
    # a DuckDB table of the project, or an in-memory result of the run (memory_prefix)
    copy = table.copy()
    copy.set("alias", None)
    _replace(table, _input(inputs, prefix, f"SELECT * FROM {copy.sql(dialect='duckdb')}"), alias)


def _input(inputs: dict[str, Input], prefix: str, duckdb_sql: str) -> str:
    for existing in inputs.values():
        if existing.duckdb_sql == duckdb_sql:
            return existing.name
    name = f"{prefix}{len(inputs)}"
    inputs[name] = Input(name, duckdb_sql)
    return name


def _replace(table: exp.Table, view: str, alias: str) -> None:
    table.replace(exp.Table(this=exp.to_identifier(view),
                            alias=exp.TableAlias(this=exp.to_identifier(alias))))
