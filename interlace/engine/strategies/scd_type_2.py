"""``scd_type_2``: a history table, one row per version of each key.

Each row carries ``valid_from``, ``valid_to`` (NULL while current), ``is_current`` and
``_scd2_hash``, a hash of the tracked columns (default: every non-key column except the
``updated_at`` column). A changed key closes its current version and opens a new one; with
``scd2={"delete_mode": "close"}`` a key missing from the output is closed; a key that comes back
opens a new version. Running again on the same input changes nothing. ``valid_from`` is the
``updated_at`` column when given (``scd2={"updated_at": "col"}``), else the run's timestamp.
"""

from __future__ import annotations

from interlace.engine.relation import quote
from interlace.engine.strategies.base import WriteRequest, WriteStats, affected_rows, check_keys
from interlace.errors import ExecutionError

_STAGE = "__interlace_scd2_source"


def scd_type_2(request: WriteRequest) -> WriteStats:
    spec, target = request.spec, request.relation.sql
    options = dict(spec.config.scd2 or {})
    keys = list(spec.config.primary_key)
    columns = [c for c, _ in request.source_columns]
    lowered = {c.lower() for c in columns}
    updated_at = options.get("updated_at")
    if updated_at and updated_at.lower() not in lowered:
        raise ExecutionError(f"scd2 updated_at column '{updated_at}' is not in the model's output",
                             model=spec.name, origin=str(spec.origin),
                             details=f"output columns: {', '.join(columns)}", hint="correct scd2={'updated_at': ...}")
    skip = {k.lower() for k in keys} | ({updated_at.lower()} if updated_at else set())
    tracked = list(options.get("tracked_columns") or [c for c in columns if c.lower() not in skip])
    unknown = [c for c in tracked if c.lower() not in lowered]
    if unknown:
        raise ExecutionError(f"scd2 tracked_columns {', '.join(unknown)} are not in the model's output",
                             model=spec.name, origin=str(spec.origin),
                             details=f"output columns: {', '.join(columns)}", hint="correct scd2={'tracked_columns': [...]}")
    digest = ("md5(CAST(to_json(struct_pack(" + ", ".join(f"{quote(c)} := {quote(c)}" for c in tracked)
              + ")) AS VARCHAR))") if tracked else "md5('')"
    valid_from = f"CAST({quote(updated_at)} AS TIMESTAMPTZ)" if updated_at else "CAST($__interlace_now AS TIMESTAMPTZ)"
    now = {"__interlace_now": request.now}
    request.execute(f"CREATE OR REPLACE TEMP TABLE {_STAGE} AS SELECT *, {digest} AS _scd2_hash, "
                    f"{valid_from} AS __valid_from FROM ({request.sql})", now)
    try:
        check_keys(request, _STAGE)
        select = ", ".join(f"s.{quote(c)}" for c in columns)
        if not request.exists:
            request.cursor.execute(
                f"CREATE TABLE {target} AS SELECT {select}, s.__valid_from AS valid_from, "
                f"CAST(NULL AS TIMESTAMPTZ) AS valid_to, true AS is_current, s._scd2_hash FROM {_STAGE} AS s")
            rows = affected_rows(request.cursor)
            return WriteStats(rows=rows, inserted=rows, updated=0, deleted=0)
        on = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in keys)
        request.cursor.execute(
            f"UPDATE {target} AS t SET valid_to = s.__valid_from, is_current = false FROM {_STAGE} AS s "
            f"WHERE {on} AND t.is_current AND t._scd2_hash <> s._scd2_hash")
        changed = affected_rows(request.cursor)
        closed = 0
        if options.get("delete_mode") == "close":
            request.cursor.execute(
                f"UPDATE {target} AS t SET valid_to = $__interlace_now, is_current = false "
                f"WHERE t.is_current AND NOT EXISTS (SELECT 1 FROM {_STAGE} AS s WHERE {on})", now)
            closed = affected_rows(request.cursor)
        request.cursor.execute(
            f"INSERT INTO {target} BY NAME SELECT {select}, s.__valid_from AS valid_from, "
            f"CAST(NULL AS TIMESTAMPTZ) AS valid_to, true AS is_current, s._scd2_hash FROM {_STAGE} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.is_current AND {on})")
        inserted = affected_rows(request.cursor)
        return WriteStats(rows=None, inserted=inserted, updated=changed, deleted=closed)
    finally:
        request.cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}")
