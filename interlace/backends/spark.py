"""``type: pyspark``: models run on a Spark session; tables are Parquet directories.

One SparkSession per process (Spark allows one context per JVM), made on first use with the
connection's ``master``, ``app_name`` and ``conf`` (``spark.sql.session.timeZone`` defaults to
UTC; nothing is downloaded: no ``spark.jars.packages``). Tables live under ``warehouse``
(default ``.interlace/spark/<env>``) as ``<schema>/<table>/<version>/`` Parquet directories.

Spark's own catalog is in memory (a Hive metastore costs tens of seconds to start), so interlace
keeps the catalog: ``<warehouse>/_interlace_catalog.json`` lists each table's directory and
columns and each view's SQL, and is registered into a new session. A write never changes a
table in place: the new version is written to a new directory, the model's quality checks run
on it, then the catalog file is replaced (``os.replace``) — a failed write or check leaves the
old table as it was. ``append`` and ``merge_by_key`` are rewrites (old rows and new, deduplicated
by key), since Spark's Parquet tables have no ``MERGE`` (Delta / Iceberg would need jars
downloaded at start-up).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from interlace.backends.base import Backend, Check
from interlace.config import ConnectionConfig
from interlace.engine.strategies.base import WriteStats
from interlace.errors import ConfigError, ExecutionError

if TYPE_CHECKING:
    import pyarrow as pa

    from interlace.engine.relation import Relation
    from interlace.project.spec import ModelSpec

__all__ = ["SparkBackend", "stop"]

CATALOG_FILE = "_interlace_catalog.json"
DEFAULT_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.ansi.enabled": "false",  # DuckDB semantics for division and casts
}

_session_lock = threading.Lock()
_session: Any = None
_session_key: tuple[Any, ...] | None = None


def session_for(master: str, app_name: str, conf: Mapping[str, Any], warehouse: Path) -> Any:
    """The process's SparkSession for these settings (a different one stops the old session)."""
    global _session, _session_key
    settings = {**DEFAULT_CONF, **{k: str(v) for k, v in conf.items()},
                "spark.sql.warehouse.dir": str(warehouse)}
    key = (master, app_name, tuple(sorted(settings.items())))
    with _session_lock:
        if _session is not None and _session_key == key:
            return _session
        if _session is not None:
            _session.stop()
            _session = None
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.master(master).appName(app_name)
        for name, value in settings.items():
            builder = builder.config(name, value)
        _session = builder.getOrCreate()
        _session.sparkContext.setLogLevel("ERROR")
        _session_key = key
        return _session


def stop() -> None:
    """Stop the process's SparkSession (the next Spark model starts a new one)."""
    global _session, _session_key
    with _session_lock:
        if _session is not None:
            _session.stop()
        _session, _session_key = None, None


def _ident(*parts: str) -> str:
    return ".".join("`" + p.replace("`", "``") + "`" for p in parts)


class SparkBackend(Backend):
    type: ClassVar[str] = "pyspark"
    dialect: ClassVar[str] = "spark"
    strategies: ClassVar[frozenset[str]] = frozenset({"replace", "append", "merge_by_key"})
    merges_by = "rewrite (old rows not in the new output, plus the new rows), no MERGE"

    def __init__(self, name: str, conn: ConnectionConfig, *, project_dir: Path, env: str) -> None:
        super().__init__(name, conn, project_dir=project_dir, env=env)
        raw = Path((conn.warehouse or ".interlace/spark/{env}").replace("{env}", env)).expanduser()
        self.warehouse = raw if raw.is_absolute() else project_dir / raw
        self._lock = threading.RLock()
        self._spark: Any = None
        self._ibis: Any = None

    # -- the session and the catalog file ------------------------------------------------------------
    def session(self) -> Any:
        with self._lock:
            if self._spark is None:
                self.warehouse.mkdir(parents=True, exist_ok=True)
                try:
                    spark = session_for(self.conn.master, self.conn.app_name, self.conn.conf, self.warehouse)
                except ImportError as exc:
                    raise ConfigError(
                        f"connection '{self.name}' is type pyspark, but pyspark is not installed",
                        origin=f"connections.{self.name}.type",
                        hint="pip install 'interlace[spark]' (pyspark and ibis' pyspark backend)") from exc
                except Exception as exc:  # noqa: BLE001 - a JVM that does not start
                    from interlace.backends.base import first_line

                    raise ConfigError(
                        f"could not start Spark for connection '{self.name}' (master "
                        f"{self.conn.master}): {first_line(exc)}", origin=f"connections.{self.name}",
                        hint="check master: and conf:, and that Java 17 is installed (java -version)",
                    ) from exc
                self._register_catalog(spark)
                self._spark = spark
            return self._spark

    def _catalog(self) -> dict[str, dict[str, Any]]:
        path = self.warehouse / CATALOG_FILE
        if not path.is_file():
            return {}
        data: dict[str, dict[str, Any]] = json.loads(path.read_text())
        return data

    def _save(self, catalog: Mapping[str, Any]) -> None:
        path = self.warehouse / CATALOG_FILE
        tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_text(json.dumps(catalog, indent=1, sort_keys=True))
        os.replace(tmp, path)

    def _register_catalog(self, spark: Any) -> None:
        """Make the catalog file's tables and views known to a (new) session."""
        pending = list(self._catalog().items())
        for key, entry in pending:
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {_ident(key.split('.')[0])}")
            if entry["kind"] == "table":
                spark.sql(f"DROP TABLE IF EXISTS {_ident(*key.split('.'))}")
                spark.catalog.createTable(key, path=entry["location"], source="parquet")
        views = [(k, e) for k, e in pending if e["kind"] == "view"]
        for _ in range(len(views)):  # a view over a view: retry until every one resolves
            failed = []
            for key, entry in views:
                try:
                    spark.sql(f"CREATE OR REPLACE VIEW {_ident(*key.split('.'))} AS {entry['sql']}")
                except Exception:  # noqa: BLE001 - its source view is not registered yet
                    failed.append((key, entry))
            if not failed or len(failed) == len(views):
                break
            views = failed

    # -- Backend -----------------------------------------------------------------------------------
    def ibis(self) -> Any:
        with self._lock:
            if self._ibis is None:
                import ibis

                self._ibis = ibis.pyspark.connect(self.session())
            return self._ibis

    def relations(self) -> dict[tuple[str, str, str], str]:
        return {(self.name.lower(), *k.lower().split(".", 1)): e["kind"]  # type: ignore[misc]
                for k, e in self._catalog().items() if not e.get("hidden")}

    def columns(self, relation: Relation) -> list[tuple[str, str]]:
        entry = self._catalog().get(f"{relation.schema}.{relation.name}")
        if entry is not None:
            return [(c, t) for c, t in entry["columns"]]
        if relation.name.startswith("__interlace_new_"):
            spark = self.session()
            return [(f.name, f.dataType.simpleString())
                    for f in spark.table(_ident(relation.schema, relation.name)).schema.fields]
        return []

    def query(self, sql: str, params: Mapping[str, Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
        df = self.session().sql(sql, args=_args(params) or None)
        return list(df.columns), [tuple(row) for row in df.collect()]

    def to_arrow(self, sql: str) -> pa.Table:
        return self.session().sql(sql).toArrow()

    def register(self, name: str, table: pa.Table) -> None:
        spark = self.session()
        if table.num_rows == 0:  # Spark infers nothing from no rows: give it the schema
            df = spark.createDataFrame(table.to_pandas(), schema=_spark_schema(table))
        else:
            df = spark.createDataFrame(table)
        df.createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        with contextlib.suppress(Exception):
            self.session().catalog.dropTempView(name)

    def write_view(self, relation: Relation, sql: str) -> None:
        spark = self.session()
        key = f"{relation.schema}.{relation.name}"
        with self._lock:
            catalog = self._catalog()
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {_ident(relation.schema)}")
            old = catalog.get(key)
            if old is not None and old["kind"] == "table":
                spark.sql(f"DROP TABLE IF EXISTS {_ident(relation.schema, relation.name)}")
            spark.sql(f"CREATE OR REPLACE VIEW {_ident(relation.schema, relation.name)} AS {sql}")
            fields = spark.table(_ident(relation.schema, relation.name)).schema.fields
            catalog[key] = {"kind": "view", "sql": sql,
                            "columns": [[f.name, f.dataType.simpleString()] for f in fields]}
            self._save(catalog)
            if old is not None and old["kind"] == "table":
                shutil.rmtree(old["location"], ignore_errors=True)

    def keep(self, schema: str, name: str, view: str) -> str:
        """Temporary view ``view`` written as the hidden table ``schema.name`` (what a view reads
        that was moved in from DuckDB); returns its name in Spark SQL."""
        spark = self.session()
        location = self.warehouse / schema / name / uuid.uuid4().hex[:12]
        spark.table(view).write.parquet(str(location))
        key = f"{schema}.{name}"
        with self._lock:
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {_ident(schema)}")
            spark.sql(f"DROP TABLE IF EXISTS {_ident(schema, name)}")
            spark.catalog.createTable(key, path=str(location), source="parquet")
            catalog = self._catalog()
            previous = catalog.get(key)
            catalog[key] = {"kind": "table", "location": str(location), "hidden": True, "columns": []}
            self._save(catalog)
        if previous is not None:
            shutil.rmtree(previous["location"], ignore_errors=True)
        return _ident(schema, name)

    def write_table(self, relation: Relation, sql: str, spec: ModelSpec, check: Check) -> WriteStats:
        spark = self.session()
        key = f"{relation.schema}.{relation.name}"
        new = spark.sql(sql)
        old_entry = self._catalog().get(key)
        old = spark.table(_ident(relation.schema, relation.name)) \
            if old_entry is not None and old_entry["kind"] == "table" else None
        rows = new.count()
        stats = WriteStats(rows=rows, inserted=rows, updated=0, deleted=0)
        result = new
        if spec.strategy == "append" and old is not None:
            result = old.unionByName(new, allowMissingColumns=True)
            stats = WriteStats(rows=rows, inserted=rows)
        elif spec.strategy == "merge_by_key":
            _check_keys(new, spec, self.label)
            if old is not None:
                result, stats = _merged(old, new, spec, rows)
        location = self.warehouse / relation.schema / relation.name / uuid.uuid4().hex[:12]
        result.write.parquet(str(location))
        stage = f"__interlace_new_{relation.name}"
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {_ident(relation.schema)}")
        spark.sql(f"DROP TABLE IF EXISTS {_ident(relation.schema, stage)}")
        spark.catalog.createTable(f"{relation.schema}.{stage}", path=str(location), source="parquet")
        try:
            from interlace.engine.relation import Relation as Rel

            check(Rel(relation.schema, stage, catalog=relation.catalog))
        except BaseException:
            spark.sql(f"DROP TABLE IF EXISTS {_ident(relation.schema, stage)}")
            shutil.rmtree(location, ignore_errors=True)
            raise
        fields = spark.table(_ident(relation.schema, stage)).schema.fields
        with self._lock:
            spark.sql(f"DROP TABLE IF EXISTS {_ident(relation.schema, stage)}")
            catalog = self._catalog()
            previous = catalog.get(key)
            if previous is not None:
                spark.sql(f"DROP {'VIEW' if previous['kind'] == 'view' else 'TABLE'} IF EXISTS "
                          f"{_ident(relation.schema, relation.name)}")
            spark.catalog.createTable(key, path=str(location), source="parquet")
            catalog[key] = {"kind": "table", "location": str(location),
                            "columns": [[f.name, f.dataType.simpleString()] for f in fields]}
            self._save(catalog)  # the commit: readers of the catalog file see the new version
        if previous is not None and previous["kind"] == "table":
            shutil.rmtree(previous["location"], ignore_errors=True)
        return stats

    def close(self) -> None:
        self._ibis = None  # the process's session stays for the next workspace (stop() ends it)


def _args(params: Mapping[str, Any]) -> dict[str, Any]:
    """Bound parameters for ``spark.sql``: lists become array literals."""
    if not params:
        return {}
    from pyspark.sql import functions as F

    return {k: F.array(*[F.lit(x) for x in v]) if isinstance(v, list | tuple) else v
            for k, v in params.items()}


def _check_keys(new: Any, spec: ModelSpec, where: str) -> None:
    from pyspark.sql import functions as F

    keys = list(spec.config.primary_key)
    missing = [k for k in keys if k.lower() not in {c.lower() for c in new.columns}]
    if missing:
        raise ExecutionError(f"primary_key column(s) {', '.join(missing)} are not in the model's output",
                             model=spec.name, origin=str(spec.origin), hint="correct primary_key=")
    nulls = new.filter(" OR ".join(f"{_ident(k)} IS NULL" for k in keys)).count()
    dupes = new.groupBy(*keys).count().filter(F.col("count") > 1).count()
    if nulls or dupes:
        raise ExecutionError(
            f"primary_key ({', '.join(keys)}) is not unique and non-null in the output on {where}: "
            f"{nulls} row(s) with a NULL key, {dupes} key(s) more than once",
            model=spec.name, origin=str(spec.origin),
            hint="make the model return one row per key (deduplicate it in the query)")


def _merged(old: Any, new: Any, spec: ModelSpec, rows: int) -> tuple[Any, WriteStats]:
    """``merge_by_key`` as a rewrite: old rows whose key is not in the output, plus the output."""
    keys = list(spec.config.primary_key)
    inserted = new.join(old.select(*keys), keys, "left_anti").count()
    shared = [c for c in new.columns if c in old.columns]
    changed = new.select(*shared).exceptAll(old.select(*shared)).count() - inserted
    if spec.config.delete_mode == "hard":
        deleted = old.join(new.select(*keys), keys, "left_anti").count()
        return new, WriteStats(rows=rows, inserted=inserted, updated=changed, deleted=deleted)
    kept = old.join(new.select(*keys), keys, "left_anti")
    return kept.unionByName(new, allowMissingColumns=True), WriteStats(
        rows=rows, inserted=inserted, updated=changed, deleted=0)


def _spark_schema(table: pa.Table) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(table.schema)
