"""Write strategies against hand-written DuckDB SQL doing the same job, in the same script.

  merge_by_key  upsert a batch of C changed rows (90% updates of existing keys with new values,
                10% new keys) into an N-row table (default 1M into 10M). Hand-written: one
                ``MERGE INTO … WHEN MATCHED AND (values differ) THEN UPDATE … WHEN NOT MATCHED THEN
                INSERT`` in a transaction.
  scd_type_2    a new snapshot of K keys of which a fraction changed (default 10% of 1M) into a
                history table. Hand-written: stage the snapshot with an md5 hash of the tracked
                columns, close the changed current versions (UPDATE), insert the new versions
                (INSERT … anti-join), in a transaction.

Both sides start from the same data in a copy of one prepared DuckDB file; the interlace side's
table was created by interlace itself (first run), so its catalogue and state are real. What is
timed is the write until it is checkpointed into the file, in process: ``ws.run(force=True)`` for
the one model (plan, transaction, strategy, run record, catalogue) and ``ws.close()``, against the
hand-written statements (BEGIN … COMMIT) and closing the connection. The close counts because
DuckDB checkpoints a large WAL either at COMMIT or at close, and the two sides do not do it at the
same moment (interlace's commit leaves the WAL for the close); opening is outside the timing for
both. Best of N; the results of the two sides are compared (row counts, current versions, a
checksum) before any figure is printed.

The strategies are implemented in interlace/engine/strategies/; a strategy not yet registered in
``STRATEGIES`` prints a "not available yet" line instead of a figure.

    python bench/strategies.py [--rows 10000000] [--changed 1000000] [--scd-keys 1000000]
                               [--scd-changed 0.1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import duckdb
from benchkit import DATA_DIR, Timing, figure, machine_info, remove

TARGETS = {"merge_by_key": 1.2, "scd_type_2": 1.5}  # issue 3: interlace / hand-written


def base_rows(n: int) -> str:
    """N deterministic rows: a key and three value columns of common types."""
    return (f"SELECT range AS id, (range * 7919) % 100000 AS a, 'name-' || (range % 50000) AS b, "
            f"DATE '2020-01-01' + CAST(range % 2000 AS INTEGER) AS d FROM range({n})")


class Case:
    """One strategy: how to prepare both sides, the hand-written SQL, and what to compare."""

    name: str
    header: str

    def describe(self) -> str:
        raise NotImplementedError

    def prepare_source(self, con: duckdb.DuckDBPyConnection) -> None:  # first load
        raise NotImplementedError

    def change_source(self, con: duckdb.DuckDBPyConnection) -> None:  # the batch to write
        raise NotImplementedError

    def prepare_raw(self, con: duckdb.DuckDBPyConnection) -> None:  # target + src for the raw side
        raise NotImplementedError

    def raw_sql(self) -> list[str]:
        raise NotImplementedError

    def summary(self, con: duckdb.DuckDBPyConnection) -> tuple[int, ...]:
        raise NotImplementedError


class Merge(Case):
    name = "merge_by_key"
    header = '-- @model(strategy="merge_by_key", primary_key="id")'

    def __init__(self, rows: int, changed: int) -> None:
        self.rows, self.updates, self.inserts = rows, changed - changed // 10, changed // 10
        self.step = max(rows // max(self.updates, 1), 1)

    def describe(self) -> str:
        return (f"merge_by_key: {self.updates + self.inserts:,} changed rows ({self.updates:,} updates, "
                f"{self.inserts:,} new keys) into a {self.rows:,}-row table")

    def prepare_source(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"CREATE OR REPLACE TABLE src AS {base_rows(self.rows)}")

    def batch(self) -> str:
        updates = (f"SELECT id, a + 1 AS a, b || '-v2' AS b, d + 1 AS d FROM ({base_rows(self.rows)}) "
                   f"WHERE id % {self.step} = 0 AND id < {self.updates * self.step}")
        inserts = (f"SELECT id + {self.rows} AS id, a, b, d FROM ({base_rows(self.inserts)})")
        return f"{updates} UNION ALL {inserts}"

    def change_source(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"CREATE OR REPLACE TABLE src AS {self.batch()}")

    def prepare_raw(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"CREATE TABLE target AS {base_rows(self.rows)}")
        con.execute(f"CREATE TABLE src AS {self.batch()}")

    def raw_sql(self) -> list[str]:
        return [
            "MERGE INTO target AS t USING src AS s ON (t.id = s.id) "
            "WHEN MATCHED AND (t.a IS DISTINCT FROM s.a OR t.b IS DISTINCT FROM s.b OR t.d IS DISTINCT FROM s.d) "
            "THEN UPDATE SET a = s.a, b = s.b, d = s.d "
            "WHEN NOT MATCHED THEN INSERT (id, a, b, d) VALUES (s.id, s.a, s.b, s.d)",
        ]

    def summary(self, con: duckdb.DuckDBPyConnection) -> tuple[int, ...]:
        row = con.execute("SELECT count(*), sum(hash(id, a, b, d) % 1000003) FROM target").fetchone()
        return tuple(int(v) for v in row)  # type: ignore[union-attr]


class Scd2(Case):
    name = "scd_type_2"
    header = '-- @model(strategy="scd_type_2", primary_key="id", scd2={"tracked_columns": ["a", "b", "d"]})'

    def __init__(self, keys: int, fraction: float) -> None:
        self.keys, self.every = keys, max(round(1 / fraction), 1)

    def describe(self) -> str:
        return f"scd_type_2: a snapshot of {self.keys:,} keys, 1 in {self.every} changed, into the history"

    def prepare_source(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"CREATE OR REPLACE TABLE src AS {base_rows(self.keys)}")

    def snapshot(self) -> str:
        return (f"SELECT id, CASE WHEN id % {self.every} = 0 THEN a + 1 ELSE a END AS a, b, d "
                f"FROM ({base_rows(self.keys)})")

    def change_source(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"CREATE OR REPLACE TABLE src AS {self.snapshot()}")

    def prepare_raw(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            f"CREATE TABLE target AS SELECT *, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS valid_from, "
            f"CAST(NULL AS TIMESTAMPTZ) AS valid_to, true AS is_current, "
            f"md5(concat_ws('|', a, b, d)) AS _scd2_hash FROM ({base_rows(self.keys)})")
        con.execute(f"CREATE TABLE src AS {self.snapshot()}")

    def raw_sql(self) -> list[str]:
        return [
            "CREATE TEMP TABLE stage AS SELECT *, md5(concat_ws('|', a, b, d)) AS _scd2_hash, "
            "now() AS _valid_from FROM src",
            "UPDATE target AS t SET valid_to = s._valid_from, is_current = false FROM stage AS s "
            "WHERE t.id = s.id AND t.is_current AND t._scd2_hash <> s._scd2_hash",
            "INSERT INTO target SELECT s.id, s.a, s.b, s.d, s._valid_from, NULL, true, s._scd2_hash "
            "FROM stage AS s WHERE NOT EXISTS (SELECT 1 FROM target AS t WHERE t.is_current AND t.id = s.id)",
            "DROP TABLE stage",
        ]

    def summary(self, con: duckdb.DuckDBPyConnection) -> tuple[int, ...]:
        row = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE is_current), count(*) FILTER (WHERE valid_to IS NOT NULL), "
            "sum(hash(id, a, b, d) % 1000003) FILTER (WHERE is_current) FROM target").fetchone()
        return tuple(int(v) for v in row)  # type: ignore[union-attr]


def prepare(case: Case, base: Path) -> tuple[Path, Path, Path]:
    """(interlace project, its warehouse snapshot, the raw snapshot): both before the write."""
    import interlace

    project = base / case.name / "project"
    remove(project.parent)
    (project / "models").mkdir(parents=True)
    (project / "config.yaml").write_text(
        "name: strategies\nconnections:\n  default: {type: duckdb, path: warehouse.duckdb}\n")
    (project / "models" / "target.sql").write_text(f"{case.header}\nSELECT * FROM src\n")
    warehouse = project / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    case.prepare_source(con)
    con.close()
    with interlace.open(project) as ws:
        ws.run().raise_for_status()  # creates the target table the interlace way
    con = duckdb.connect(str(warehouse))
    case.change_source(con)
    con.execute("CHECKPOINT")
    con.close()
    ours_snapshot = project.parent / "interlace-before.duckdb"
    shutil.copyfile(warehouse, ours_snapshot)
    raw_snapshot = project.parent / "raw-before.duckdb"
    con = duckdb.connect(str(raw_snapshot))
    case.prepare_raw(con)
    con.execute("CHECKPOINT")
    con.close()
    return project, ours_snapshot, raw_snapshot


def time_interlace(project: Path, snapshot: Path) -> float:
    import interlace

    warehouse = project / "warehouse.duckdb"
    remove(Path(f"{warehouse}.wal"))
    shutil.copyfile(snapshot, warehouse)
    ws = interlace.open(project)
    try:
        ws.models  # noqa: B018 - discovery outside the timing (it is the same for any strategy)
        start = time.perf_counter()
        result = ws.run("target", force=True)
    finally:
        ws.close()  # timed: the checkpoint that makes the write durable in the file
    elapsed = time.perf_counter() - start
    result.raise_for_status()
    return elapsed


def time_raw(case: Case, db: Path, snapshot: Path) -> float:
    remove(Path(f"{db}.wal"))
    shutil.copyfile(snapshot, db)
    con = duckdb.connect(str(db))
    start = time.perf_counter()
    try:
        con.begin()
        for sql in case.raw_sql():
            con.execute(sql)
        con.commit()
    finally:
        con.close()  # timed: the checkpoint that makes the write durable in the file
    return time.perf_counter() - start


def summary_of(case: Case, db: Path) -> tuple[int, ...]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return case.summary(con)
    finally:
        con.close()


def bench_case(case: Case, base: Path, repeat: int) -> None:
    project, ours_snapshot, raw_snapshot = prepare(case, base)
    raw_db = project.parent / "raw.duckdb"
    ours_runs, raw_runs = [], []
    for _ in range(repeat):  # interleaved, so drift in machine load hits both alike
        raw_runs.append(time_raw(case, raw_db, raw_snapshot))
        ours_runs.append(time_interlace(project, ours_snapshot))
    ours_sum = summary_of(case, project / "warehouse.duckdb")
    raw_sum = summary_of(case, raw_db)
    same = ours_sum == raw_sum
    print(f"check {case.name}: interlace {ours_sum} vs hand-written {raw_sum}: {'same' if same else 'DIFFERENT'}")
    if not same:
        raise SystemExit(f"{case.name}: interlace and the hand-written SQL disagree; figures not comparable")
    raw, ours = Timing(tuple(raw_runs)), Timing(tuple(ours_runs))
    goal = TARGETS[case.name]
    figure(f"{case.name}: hand-written DuckDB SQL", raw)
    figure(f"{case.name}: interlace run (one model)", ours, base=raw, base_name="hand-written",
           target=f"<= {goal}x: {'met' if ours.best / raw.best <= goal else 'MISSED'}")


def available() -> set[str]:
    from interlace.engine.strategies import STRATEGIES

    return set(STRATEGIES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000, help="merge: rows in the target table")
    parser.add_argument("--changed", type=int, default=1_000_000, help="merge: changed rows in the batch")
    parser.add_argument("--scd-keys", type=int, default=1_000_000, help="scd2: keys in each snapshot")
    parser.add_argument("--scd-changed", type=float, default=0.1, help="scd2: fraction of keys changed")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases: list[Case] = [Merge(args.rows, args.changed), Scd2(args.scd_keys, args.scd_changed)]
    have = available()
    print(machine_info({
        "benchmark": "strategies vs hand-written DuckDB SQL; in process, write + checkpoint, best of "
                     f"{args.repeat}; registered strategies: {', '.join(sorted(have))}",
    }))
    base = DATA_DIR / "strategies"
    for case in cases:
        print(case.describe())
        if case.name not in have:
            print(f"{case.name}: not available yet (interlace.engine.strategies.STRATEGIES has "
                  f"{', '.join(sorted(have))}); no figure")
            continue
        bench_case(case, base, args.repeat)


if __name__ == "__main__":
    main()
