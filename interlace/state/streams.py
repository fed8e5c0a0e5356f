"""State of stream consumers: offsets, in-flight deliveries, dead letters, ingested files.

At-least-once: ``consume`` hands out the events above the consumer's acknowledged offset that are
not in flight (or whose visibility timeout passed), counting each delivery; an event delivered
``max_deliveries`` times without an ack is dead-lettered and never handed out again. ``ack`` is
cumulative (Kafka-style): every event up to ``up_to`` is done. All of it in one transaction on
the caller's cursor, so two consumers of one name never take the same event twice at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from interlace.errors import StateError

__all__ = ["ConsumerRecord", "DeadLetter", "StreamState"]


@dataclass(frozen=True, slots=True)
class ConsumerRecord:
    stream: str
    consumer: str
    acked_offset: int
    in_flight: int
    lag: int  # events above the acknowledged offset
    updated_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "consumer": self.consumer, "acked_offset": self.acked_offset,
                "in_flight": self.in_flight, "lag": self.lag, "updated_at": self.updated_at}


@dataclass(frozen=True, slots=True)
class DeadLetter:
    stream: str
    consumer: str | None
    offset: int | None
    event_id: str | None
    source: str | None
    payload: str | None
    reason: str
    dead_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"stream": self.stream, "consumer": self.consumer, "offset": self.offset,
                "event_id": self.event_id, "source": self.source, "payload": self.payload,
                "reason": self.reason, "dead_at": self.dead_at}


class StreamState:
    """The stream tables of the ``interlace`` schema, through one cursor and lock."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self._cur = connection.cursor()
        self._lock = threading.RLock()

    def close(self) -> None:
        self._cur.close()

    def _txn(self, work: Any) -> Any:
        with self._lock:
            self._cur.begin()
            try:
                out = work(self._cur)
                self._cur.commit()
                return out
            except BaseException:
                self._cur.rollback()
                raise

    def consume(self, stream: str, relation: str, consumer: str, batch_size: int, *,
                visibility: float, max_deliveries: int, now: datetime) -> list[dict[str, Any]]:
        """Up to ``batch_size`` events for ``consumer``, oldest first, marked as delivered at
        ``now`` (the workspace's clock, so visibility timeouts can be tested on a fake one)."""

        def work(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
            cur.execute("INSERT INTO interlace.stream_consumers VALUES (?, ?, 0, now(), now()) "
                        "ON CONFLICT DO NOTHING", [stream, consumer])
            acked = self._acked(cur, stream, consumer)
            # poison first: events delivered max_deliveries times whose visibility ran out
            cur.execute(
                f"""INSERT INTO interlace.stream_dead_letters
                    SELECT d.stream, d.consumer, d."offset", e._event_id, e._source, to_json(e),
                           'not acknowledged after ' || d.deliveries || ' deliveries', ?
                    FROM interlace.stream_deliveries d JOIN {relation} e ON e._offset = d."offset"
                    WHERE d.stream = ? AND d.consumer = ? AND NOT d.dead AND d.deliveries >= ?
                      AND d.delivered_at < ? - to_seconds(?)""",
                [now, stream, consumer, max_deliveries, now, visibility])
            cur.execute(
                """UPDATE interlace.stream_deliveries SET dead = true
                   WHERE stream = ? AND consumer = ? AND NOT dead AND deliveries >= ?
                     AND delivered_at < ? - to_seconds(?)""",
                [stream, consumer, max_deliveries, now, visibility])
            result = cur.execute(
                f"""SELECT e.* FROM {relation} e
                    LEFT JOIN (SELECT * FROM interlace.stream_deliveries
                               WHERE stream = ? AND consumer = ?) d ON d."offset" = e._offset
                    WHERE e._offset > ? AND (d."offset" IS NULL
                          OR (NOT d.dead AND d.delivered_at < ? - to_seconds(?)))
                    ORDER BY e._offset LIMIT ?""",
                [stream, consumer, acked, now, visibility, batch_size])
            names = [c[0] for c in result.description]
            events = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
            if events:  # one statement for the batch (executemany would be a row at a time)
                cur.execute(
                    """INSERT INTO interlace.stream_deliveries
                       SELECT ?, ?, o, 1, ?, false FROM unnest(CAST(? AS BIGINT[])) AS t(o)
                       ON CONFLICT DO UPDATE SET deliveries = deliveries + 1, delivered_at = excluded.delivered_at""",
                    [stream, consumer, now, [e["_offset"] for e in events]])
            return events

        out: list[dict[str, Any]] = self._txn(work)
        return out

    @staticmethod
    def _acked(cur: duckdb.DuckDBPyConnection, stream: str, consumer: str) -> int:
        rows = cur.execute("SELECT acked_offset FROM interlace.stream_consumers "
                           "WHERE stream = ? AND consumer = ?", [stream, consumer]).fetchall()
        return int(rows[0][0]) if rows else 0

    def ack(self, stream: str, consumer: str, up_to: int) -> int:
        """Acknowledge every event of ``stream`` up to offset ``up_to``; returns the new offset."""

        def work(cur: duckdb.DuckDBPyConnection) -> int:
            rows = cur.execute(
                'SELECT max("offset") FROM interlace.stream_deliveries WHERE stream = ? '
                "AND consumer = ?", [stream, consumer]).fetchall()
            delivered = rows[0][0]
            acked = self._acked(cur, stream, consumer)
            if up_to > max(delivered or 0, acked):
                raise StateError(
                    f"consumer '{consumer}' of stream '{stream}' cannot acknowledge offset {up_to}: "
                    f"it was delivered events up to {delivered or acked} only",
                    origin=f"stream '{stream}', consumer '{consumer}'",
                    hint="acknowledge the _offset of the last event consume() returned")
            if up_to <= acked:
                return acked
            cur.execute("UPDATE interlace.stream_consumers SET acked_offset = ?, updated_at = now() "
                        "WHERE stream = ? AND consumer = ?", [up_to, stream, consumer])
            cur.execute('DELETE FROM interlace.stream_deliveries WHERE stream = ? AND consumer = ? '
                        'AND "offset" <= ?', [stream, consumer, up_to])
            return up_to

        result: int = self._txn(work)
        return result

    def rewind(self, stream: str, consumer: str, to_offset: int) -> None:
        """Set ``consumer``'s acknowledged offset (``interlace stream replay``): events above it are
        delivered again."""

        def work(cur: duckdb.DuckDBPyConnection) -> None:
            cur.execute("INSERT INTO interlace.stream_consumers VALUES (?, ?, ?, now(), now()) "
                        "ON CONFLICT DO UPDATE SET acked_offset = excluded.acked_offset, "
                        "updated_at = now()", [stream, consumer, to_offset])
            cur.execute('DELETE FROM interlace.stream_deliveries WHERE stream = ? AND consumer = ? '
                        'AND "offset" > ?', [stream, consumer, to_offset])

        self._txn(work)

    def consumers(self, stream: str, relation: str) -> list[ConsumerRecord]:
        with self._lock:
            rows = self._cur.execute(
                f"""SELECT c.consumer, c.acked_offset, c.updated_at,
                       (SELECT count(*) FROM interlace.stream_deliveries d WHERE d.stream = c.stream
                          AND d.consumer = c.consumer AND NOT d.dead),
                       (SELECT count(*) FROM {relation} e WHERE e._offset > c.acked_offset)
                    FROM interlace.stream_consumers c WHERE c.stream = ? ORDER BY c.consumer""",
                [stream]).fetchall()
        return [ConsumerRecord(stream, r[0], int(r[1]), int(r[3]), int(r[4]), r[2]) for r in rows]

    def min_acked(self, stream: str) -> int | None:
        """The lowest acknowledged offset of the stream's consumers (None without consumers)."""
        with self._lock:
            rows = self._cur.execute("SELECT min(acked_offset) FROM interlace.stream_consumers "
                                     "WHERE stream = ?", [stream]).fetchall()
        return None if rows[0][0] is None else int(rows[0][0])

    def dead_letters(self, stream: str | None = None, limit: int = 100) -> list[DeadLetter]:
        with self._lock:
            rows = self._cur.execute(
                'SELECT stream, consumer, "offset", event_id, source, CAST(payload AS VARCHAR), '
                "reason, dead_at FROM interlace.stream_dead_letters WHERE ? IS NULL OR stream = ? "
                "ORDER BY dead_at DESC LIMIT ?", [stream, stream, limit]).fetchall()
        return [DeadLetter(*r) for r in rows]

    def ingested_file(self, stream: str, path: str, sha256: str) -> bool:
        with self._lock:
            rows = self._cur.execute("SELECT 1 FROM interlace.stream_files WHERE stream = ? "
                                     "AND path = ? AND sha256 = ?", [stream, path, sha256]).fetchall()
        return bool(rows)

    def dead_letter(self, stream: str, consumer: str, events: list[dict[str, Any]],
                    reason: str) -> None:
        """Record delivered events as dead for ``consumer`` (e.g. a webhook that kept failing)."""
        import json

        with self._lock:
            self._cur.executemany(
                "INSERT INTO interlace.stream_dead_letters VALUES (?, ?, ?, ?, ?, ?, ?, now())",
                [[stream, consumer, e.get("_offset"), e.get("_event_id"), e.get("_source"),
                  json.dumps(e, default=str), reason] for e in events])

    @staticmethod
    def record_file(cur: duckdb.DuckDBPyConnection, stream: str, path: str, size: int, mtime_ns: int,
                    sha256: str, events: int) -> None:
        """Inside the writer's transaction: the file's rows and this record commit together."""
        cur.execute("INSERT INTO interlace.stream_files VALUES (?, ?, ?, ?, ?, ?, now()) "
                    "ON CONFLICT DO NOTHING", [stream, path, size, mtime_ns, sha256, events])
