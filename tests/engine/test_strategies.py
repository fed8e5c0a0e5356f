"""merge_by_key and scd_type_2 checked against plain-Python reference implementations.

Hypothesis draws sequences of batches (inserts, updates, deletes, re-inserts); after every batch
the table must equal the reference exactly, and the reported counts must match.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.engine.relation import Relation
from interlace.engine.strategies import WriteRequest
from interlace.errors import ExecutionError
from interlace.kinds import STRATEGIES
from interlace.project.spec import Origin, make_spec

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TARGET = Relation("main", "target")


def spec_for(strategy: str, **keywords: Any):
    return make_spec(kind="sql", origin=Origin("models/target.sql", 1), default_name="target",
                     declared_by="test", sql="SELECT 1", keywords={"strategy": strategy, "primary_key": "id", **keywords})


def apply(con: duckdb.DuckDBPyConnection, spec, batch: list[tuple[int, Any]], now: datetime):
    """Write one batch through the strategy, in a transaction, as the engine does."""
    data = pa.table({"id": pa.array([k for k, _ in batch], pa.int64()),
                     "v": pa.array([v for _, v in batch], pa.string())})
    con.register("batch", data)
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'target'").fetchone()[0] == 1
    con.begin()
    try:
        stats = STRATEGIES[spec.strategy].writer()(WriteRequest(
            con, TARGET, "SELECT * FROM batch", spec, exists=exists,
            source_columns=[("id", "BIGINT"), ("v", "VARCHAR")], now=now))
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.unregister("batch")
    return stats


values = st.one_of(st.none(), st.sampled_from(["a", "b", "c", ""]))
batches = st.lists(st.dictionaries(st.integers(0, 12), values, max_size=10).map(lambda d: sorted(d.items())),
                   min_size=1, max_size=6)


class MergeReference:
    def __init__(self, delete_mode: str) -> None:
        self.delete_mode = delete_mode
        self.rows: dict[int, tuple[Any, bool]] = {}  # key -> (value, soft-deleted)

    def apply(self, batch: list[tuple[int, Any]]) -> tuple[int, int, int]:
        incoming = dict(batch)
        deleted = 0
        if self.delete_mode == "hard":
            gone = [k for k in self.rows if k not in incoming]
            deleted = len(gone)
            for k in gone:
                del self.rows[k]
        elif self.delete_mode == "soft":
            gone = [k for k, (_, dead) in self.rows.items() if k not in incoming and not dead]
            deleted = len(gone)
            for k in gone:
                self.rows[k] = (self.rows[k][0], True)
        inserted = updated = 0
        for k, v in incoming.items():
            if k not in self.rows:
                inserted += 1
            elif self.rows[k] != (v, False):
                updated += 1
            self.rows[k] = (v, False)
        return inserted, updated, deleted

    def table(self) -> set[tuple[Any, ...]]:
        if self.delete_mode == "soft":
            return {(k, v, dead) for k, (v, dead) in self.rows.items()}
        return {(k, v) for k, (v, _) in self.rows.items()}


@pytest.mark.parametrize("delete_mode", ["preserve", "hard", "soft"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=batches)
def test_merge_by_key_matches_reference(delete_mode: str, sequence) -> None:
    con = duckdb.connect()
    spec = spec_for("merge_by_key", delete_mode=delete_mode)
    ref = MergeReference(delete_mode)
    for i, batch in enumerate(sequence):
        stats = apply(con, spec, batch, T0 + timedelta(hours=i))
        expected = ref.apply(batch)
        if i == 0:
            assert (stats.inserted, stats.updated, stats.deleted) == (len(batch), 0, 0)
        else:
            assert (stats.inserted, stats.updated, stats.deleted) == expected
        if delete_mode == "soft":
            rows = con.execute("SELECT id, v, _deleted_at IS NOT NULL FROM target").fetchall()
        else:
            rows = con.execute("SELECT id, v FROM target").fetchall()
        assert set(rows) == ref.table() and len(rows) == len(ref.rows)
    con.close()


class Scd2Reference:
    def __init__(self, close_deleted: bool) -> None:
        self.close_deleted = close_deleted
        self.versions: list[list[Any]] = []  # [id, v, valid_from, valid_to, is_current]

    def current(self, key: int) -> list[Any] | None:
        return next((r for r in self.versions if r[0] == key and r[4]), None)

    def apply(self, batch: list[tuple[int, Any]], now: datetime) -> tuple[int, int, int]:
        incoming = dict(batch)
        inserted = changed = closed = 0
        for k, v in incoming.items():
            cur = self.current(k)
            if cur is not None and cur[1] != v:
                cur[3], cur[4] = now, False
                changed += 1
                cur = None
            if cur is None:
                self.versions.append([k, v, now, None, True])
                inserted += 1
        if self.close_deleted:
            for row in self.versions:
                if row[4] and row[0] not in incoming:
                    row[3], row[4] = now, False
                    closed += 1
        return inserted, changed, closed

    def table(self) -> set[tuple[Any, ...]]:
        return {tuple(r) for r in self.versions}


@pytest.mark.parametrize("delete_mode", ["ignore", "close"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=batches)
def test_scd_type_2_matches_reference(delete_mode: str, sequence) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    spec = spec_for("scd_type_2", scd2={"delete_mode": delete_mode})
    ref = Scd2Reference(close_deleted=delete_mode == "close")
    for i, batch in enumerate(sequence):
        now = T0 + timedelta(hours=i)
        stats = apply(con, spec, batch, now)
        expected = ref.apply(batch, now)
        assert (stats.inserted, stats.updated, stats.deleted) == expected
        rows = con.execute("SELECT id, v, valid_from, valid_to, is_current FROM target").fetchall()
        assert set(rows) == ref.table() and len(rows) == len(ref.versions)
        # idempotent: the same batch again changes nothing
        again = apply(con, spec, batch, now + timedelta(minutes=30))
        assert (again.inserted, again.updated) == (0, 0)
        assert set(con.execute("SELECT id, v, valid_from, valid_to, is_current FROM target").fetchall()) == ref.table()
    con.close()


def test_scd2_valid_from_comes_from_updated_at_column() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    spec = spec_for("scd_type_2", scd2={"updated_at": "changed_at"})

    def write(rows, now):
        data = pa.table({"id": [r[0] for r in rows], "v": [r[1] for r in rows],
                         "changed_at": pa.array([r[2] for r in rows], pa.timestamp("us", tz="UTC"))})
        con.register("batch", data)
        exists = bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name='target'").fetchone()[0])
        con.begin()
        stats = STRATEGIES["scd_type_2"].writer()(WriteRequest(con, TARGET, "SELECT * FROM batch", spec, exists=exists,
                                                      source_columns=[("id", "BIGINT"), ("v", "VARCHAR"),
                                                                      ("changed_at", "TIMESTAMP WITH TIME ZONE")],
                                                      now=now))
        con.commit()
        return stats

    t1, t2 = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC)
    write([(1, "a", t1)], T0)
    # only the timestamp moved: not a change of the tracked columns
    assert write([(1, "a", t2)], T0).inserted == 0
    write([(1, "b", t2)], T0)
    rows = con.execute("SELECT v, valid_from, valid_to, is_current FROM target ORDER BY valid_from").fetchall()
    assert rows == [("a", t1, t2, False), ("b", t2, None, True)]


@pytest.mark.parametrize("strategy", ["merge_by_key", "scd_type_2"])
def test_duplicate_keys_are_rejected_and_nothing_is_written(strategy: str) -> None:
    con = duckdb.connect()
    spec = spec_for(strategy)
    apply(con, spec, [(1, "a")], T0)
    with pytest.raises(ExecutionError) as exc:
        apply(con, spec, [(1, "x"), (1, "y"), (2, "z"), (2, "w"), (2, "q")], T0 + timedelta(hours=1))
    assert exc.value.message == "2 primary key value(s) appear more than once in the output (id); nothing was written"
    assert exc.value.details == "duplicates (key x count): (2) x3, (1) x2"
    assert con.execute("SELECT id, v FROM target").fetchall() == [(1, "a")]


def test_null_keys_are_rejected() -> None:
    con = duckdb.connect()
    with pytest.raises(ExecutionError) as exc:
        apply(con, spec_for("merge_by_key"), [(None, "a"), (1, "b")], T0)  # type: ignore[list-item]
    assert exc.value.message == "1 output row(s) have a NULL in the primary key (id); nothing was written"


def test_merge_on_several_key_columns() -> None:
    con = duckdb.connect()
    spec = make_spec(kind="sql", origin=Origin("m.sql", 1), default_name="target", declared_by="test", sql="SELECT 1",
                     keywords={"strategy": "merge_by_key", "primary_key": ["id", "region"]})
    cols = [("id", "INTEGER"), ("region", "VARCHAR"), ("v", "INTEGER")]

    def write(sql: str, exists: bool):
        con.begin()
        stats = STRATEGIES["merge_by_key"].writer()(WriteRequest(con, TARGET, sql, spec, exists=exists, source_columns=cols, now=T0))
        con.commit()
        return stats

    write("SELECT * FROM (VALUES (1, 'eu', 10), (1, 'us', 20)) t(id, region, v)", False)
    stats = write("SELECT * FROM (VALUES (1, 'eu', 11), (1, 'us', 20), (2, 'eu', 5)) t(id, region, v)", True)
    assert (stats.inserted, stats.updated, stats.deleted) == (1, 1, 0)
    assert sorted(con.execute("SELECT * FROM target").fetchall()) == [(1, "eu", 11), (1, "us", 20), (2, "eu", 5)]
