"""``merge_by_key``: upsert on the primary key with DuckDB ``MERGE``.

Only rows whose values changed count (and are written) as updated. ``delete_mode``: ``preserve``
keeps target rows missing from the output, ``hard`` deletes them, ``soft`` stamps ``_deleted_at``
(and clears it when the key comes back).
"""

from __future__ import annotations

from interlace.engine.relation import quote
from interlace.engine.strategies.base import WriteRequest, WriteStats, affected_rows, check_keys


def merge_by_key(request: WriteRequest) -> WriteStats:
    spec, target = request.spec, request.relation.sql
    source = f"({request.sql})"
    check_keys(request, source)
    soft = spec.config.delete_mode == "soft"
    if not request.exists:
        extra = ", CAST(NULL AS TIMESTAMPTZ) AS _deleted_at" if soft else ""
        request.execute(f"CREATE TABLE {target} AS SELECT *{extra} FROM {source}")
        rows = affected_rows(request.cursor)
        return WriteStats(rows=rows, inserted=rows, updated=0, deleted=0)
    keys = [k.lower() for k in spec.config.primary_key]
    columns = [c for c, _ in request.source_columns]
    values = [c for c in columns if c.lower() not in keys]
    on = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in spec.config.primary_key)
    missing = f"NOT EXISTS (SELECT 1 FROM {source} AS s WHERE {on})"
    deleted = 0
    if spec.config.delete_mode == "hard":
        request.execute(f"DELETE FROM {target} AS t WHERE {missing}")
        deleted = affected_rows(request.cursor)
    elif soft:
        if "_deleted_at" not in _target_columns(request):
            request.cursor.execute(f"ALTER TABLE {target} ADD COLUMN _deleted_at TIMESTAMPTZ")
        request.execute(f"UPDATE {target} AS t SET _deleted_at = $__interlace_now "
                        f"WHERE t._deleted_at IS NULL AND {missing}", {"__interlace_now": request.now})
        deleted = affected_rows(request.cursor)
    before = _count(request)
    changed = [f"t.{quote(c)} IS DISTINCT FROM s.{quote(c)}" for c in values]
    assignments = [f"{quote(c)} = s.{quote(c)}" for c in values]
    if soft:
        changed.append("t._deleted_at IS NOT NULL")
        assignments.append("_deleted_at = NULL")
    matched = (f"WHEN MATCHED AND ({' OR '.join(changed)}) THEN UPDATE SET {', '.join(assignments)} "
               if changed else "")
    request.execute(
        f"MERGE INTO {target} AS t USING {source} AS s ON ({on}) {matched}"
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(f's.{quote(c)}' for c in columns)})"
    )
    affected = affected_rows(request.cursor)
    inserted = _count(request) - before
    return WriteStats(rows=None, inserted=inserted, updated=affected - inserted, deleted=deleted)


def _count(request: WriteRequest) -> int:
    row = request.cursor.execute(f"SELECT count(*) FROM {request.relation.sql}").fetchall()[0]
    return int(row[0]) if row else 0


def _target_columns(request: WriteRequest) -> set[str]:
    return {row[0].lower() for row in request.cursor.execute(f"DESCRIBE {request.relation.sql}").fetchall()}
