"""``type: ibis``: any ibis backend by name (``backend: sqlite``, ``config:`` its connect() keys).

``ibis.<backend>.connect(**config)`` on first use. Views and ``replace`` / ``append`` tables are
written through ibis' own API (``create_view``, ``create_table``, ``insert``); a new table is
built under a staging name and checked before it replaces the old one. ``merge_by_key`` and
``scd_type_2`` are refused with a clear error (ibis has no portable MERGE). What interlace built
there (kinds and columns) is kept in ``.interlace/ibis/<env>/<connection>.json``, so planning
does not connect.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import sqlglot
import sqlglot.expressions as exp

from interlace.backends.base import Backend, Check
from interlace.config import ConnectionConfig
from interlace.engine.strategies.base import WriteStats
from interlace.errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa

    from interlace.engine.relation import Relation
    from interlace.project.spec import ModelSpec

__all__ = ["IbisBackend", "ibis_backends"]

DIALECTS = {"pyspark": "spark", "mssql": "tsql"}  # ibis backend name -> sqlglot dialect


def ibis_backends() -> list[str]:
    """The ibis backends installed (their entry points; nothing is imported)."""
    return sorted(e.name for e in entry_points(group="ibis.backends"))


class IbisBackend(Backend):
    type: ClassVar[str] = "ibis"
    dialect: ClassVar[str] = "duckdb"  # replaced per instance from backend:
    strategies: ClassVar[frozenset[str]] = frozenset({"replace", "append"})

    def __init__(self, name: str, conn: ConnectionConfig, *, project_dir: Path, env: str) -> None:
        super().__init__(name, conn, project_dir=project_dir, env=env)
        backend = conn.backend or ""
        if backend not in ibis_backends():
            raise ConfigError(
                f"connection '{name}': ibis has no backend '{backend}'",
                origin=f"connections.{name}.backend",
                hint=f"use one of the installed backends: {', '.join(ibis_backends())} "
                "(others come with their extra: pip install 'ibis-framework[<backend>]')")
        self.backend = backend
        self.dialect = DIALECTS.get(backend, backend)  # type: ignore[misc]
        self.file = project_dir / ".interlace" / "ibis" / env / f"{name}.json"
        self._con: Any = None
        self._lock = threading.RLock()

    @property
    def label(self) -> str:
        return f"engine '{self.name}' (ibis/{self.backend})"

    def ibis(self) -> Any:
        with self._lock:
            if self._con is None:
                import ibis

                config = {k: str(self.project_dir / v) if k in ("database", "path") and isinstance(v, str)
                          and not os.path.isabs(v) and v != ":memory:" else v
                          for k, v in self.conn.config.items()}
                try:
                    self._con = getattr(ibis, self.backend).connect(**config)
                except Exception as exc:  # noqa: BLE001 - the backend's own complaint
                    from interlace.backends.base import first_line

                    raise ConfigError(
                        f"could not connect {self.label}: {first_line(exc)}",
                        origin=f"connections.{self.name}.config",
                        hint=f"check the keys under config: (passed to ibis.{self.backend}.connect)",
                    ) from exc
            return self._con

    # -- the catalog file ---------------------------------------------------------------------------
    def _catalog(self) -> dict[str, dict[str, Any]]:
        if not self.file.is_file():
            return {}
        data: dict[str, dict[str, Any]] = json.loads(self.file.read_text())
        return data

    def _record(self, relation: Relation, kind: str | None) -> None:
        with self._lock:
            catalog = self._catalog()
            key = f"{relation.schema}.{relation.name}"
            if kind is None:
                catalog.pop(key, None)
            else:
                schema = self.ibis().table(relation.name, database=self._database(relation)).schema()
                catalog[key] = {"kind": kind, "columns": [[c, str(t)] for c, t in schema.items()]}
            self.file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.file.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
            tmp.write_text(json.dumps(catalog, indent=1, sort_keys=True))
            os.replace(tmp, self.file)

    def _database(self, relation: Relation) -> str | None:
        return None if relation.schema == "main" else relation.schema

    # -- Backend -----------------------------------------------------------------------------------
    def relations(self) -> dict[tuple[str, str, str], str]:
        return {(self.name.lower(), *k.lower().split(".", 1)): e["kind"]  # type: ignore[misc]
                for k, e in self._catalog().items()}

    def columns(self, relation: Relation) -> list[tuple[str, str]]:
        entry = self._catalog().get(f"{relation.schema}.{relation.name}")
        if entry is not None:
            return [(c, t) for c, t in entry["columns"]]
        try:
            schema = self.ibis().table(relation.name, database=self._database(relation)).schema()
        except Exception:  # noqa: BLE001 - not there
            return []
        return [(c, str(t)) for c, t in schema.items()]

    def query(self, sql: str, params: Mapping[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        table = self.ibis().sql(_bind(sql, params, self.dialect), dialect=self.dialect).to_pyarrow()
        return list(table.column_names), [tuple(r.values()) for r in table.to_pylist()]

    def to_arrow(self, sql: str) -> pa.Table:
        return self.ibis().sql(sql, dialect=self.dialect).to_pyarrow()

    def register(self, name: str, table: pa.Table) -> None:
        import ibis

        con = self.ibis()
        # the schema first, then the rows: ibis 12 on DuckDB fails on create_table(obj=..., temp=True)
        con.create_table(name, schema=ibis.Schema.from_pyarrow(table.schema), temp=True)
        con.insert(name, obj=table)

    def unregister(self, name: str) -> None:
        self._drop("TABLE", name, None)

    def _drop(self, kind: str, name: str, database: str | None) -> None:
        """``DROP <kind> IF EXISTS`` written here: ibis 12's ``drop_table`` loses the table name
        under sqlglot 30 (it runs ``DROP TABLE IF EXISTS`` with no name)."""
        target = exp.table_(name, db=database, quoted=True).sql(dialect=self.dialect)
        self.ibis().raw_sql(f"DROP {kind} IF EXISTS {target}")  # (DuckDB's raw_sql returns its connection)

    def keep(self, schema: str, name: str, view: str) -> str:
        con = self.ibis()
        from interlace.engine.relation import Relation

        database = self._database(Relation(schema, name))
        self._drop("TABLE", name, database)
        con.create_table(name, obj=con.table(view), database=database)
        return exp.table_(name, db=database, quoted=True).sql(dialect=self.dialect)

    def write_view(self, relation: Relation, sql: str) -> None:
        con = self.ibis()
        database = self._database(relation)
        expr = con.sql(sql, dialect=self.dialect)
        kind = self._catalog().get(f"{relation.schema}.{relation.name}", {}).get("kind", "view")
        self._drop(kind.upper(), relation.name, database)
        con.create_view(relation.name, expr, database=database)
        self._record(relation, "view")

    def write_table(self, relation: Relation, sql: str, spec: ModelSpec, check: Check) -> WriteStats:
        from interlace.engine.relation import Relation as Rel

        con = self.ibis()
        database = self._database(relation)
        new = con.sql(sql, dialect=self.dialect)
        exists = self._catalog().get(f"{relation.schema}.{relation.name}", {}).get("kind") == "table"
        stage = f"__interlace_new_{relation.name}"
        staged = new.union(con.table(relation.name, database=database)) \
            if spec.strategy == "append" and exists else new
        self._drop("TABLE", stage, database)
        con.create_table(stage, obj=staged, database=database)
        try:
            check(Rel(relation.schema, stage, catalog=relation.catalog))
            rows = int(new.count().to_pyarrow().as_py())
            if spec.strategy == "append" and exists:
                con.insert(relation.name, obj=new, database=database)
            else:
                previous = self._catalog().get(f"{relation.schema}.{relation.name}", {}).get("kind")
                self._drop((previous or "table").upper(), relation.name, database)
                con.create_table(relation.name, obj=con.table(stage, database=database),
                                 database=database)
        finally:
            self._drop("TABLE", stage, database)
        self._record(relation, "table")
        return WriteStats(rows=rows, inserted=rows)

    def exclusive(self) -> Any:
        return self._lock

    def close(self) -> None:
        with self._lock:
            con, self._con = self._con, None
        if con is not None and hasattr(con, "disconnect"):
            con.disconnect()


def _bind(sql: str, params: Mapping[str, Any], dialect: str) -> str:
    """``:name`` placeholders as literals (ibis' ``sql()`` takes no parameters)."""
    if not params:
        return sql
    tree = sqlglot.parse_one(sql, dialect=dialect)
    for node in list(tree.find_all(exp.Placeholder)):
        if node.name in params:
            node.replace(exp.convert(params[node.name]))
    return tree.sql(dialect=dialect)
