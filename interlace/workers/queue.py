"""The shared queue of a plan's models, one row (and one lease) per model, in PostgreSQL.

Several ``interlace worker`` processes build one plan together against one DuckLake whose
catalog is a PostgreSQL database. The queue lives in that same database (schema
``interlace_queue``): the first worker to arrive writes the plan's steps (under an advisory lock,
so there is one plan per queue); every worker then claims a model whose upstream models are all
``done``, holds a lease on it that its heartbeat extends, and marks it ``done`` or ``failed``
(which skips everything downstream). A worker that dies stops renewing its lease; once the lease
has expired another worker claims the model again (``attempts`` counts the claims).

Rows: ``pending`` → ``running`` (worker, expires_at) → ``done`` | ``failed`` | ``skipped``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from interlace.errors import ConfigError
from interlace.planner.plan import Plan, Step

__all__ = ["Claim", "Queue", "QueueCounts", "attach_lock"]

_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS interlace_queue;
CREATE TABLE IF NOT EXISTS interlace_queue.leases (
    queue text NOT NULL,
    model text NOT NULL,
    position integer NOT NULL,
    upstream text[] NOT NULL,
    step jsonb NOT NULL,
    state text NOT NULL,
    worker text,
    expires_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    error text,
    finished_at timestamptz,
    PRIMARY KEY (queue, model)
)
"""

_CLAIM = """
UPDATE interlace_queue.leases AS l
SET state = 'running', worker = %(worker)s, attempts = l.attempts + 1,
    expires_at = now() + make_interval(secs => %(lease)s)
WHERE (l.queue, l.model) = (
    SELECT c.queue, c.model FROM interlace_queue.leases AS c
    WHERE c.queue = %(queue)s
      AND (c.state = 'pending' OR (c.state = 'running' AND c.expires_at < now()))
      AND NOT EXISTS (SELECT 1 FROM interlace_queue.leases AS u
                      WHERE u.queue = c.queue AND u.model = ANY (c.upstream) AND u.state <> 'done')
    ORDER BY c.position LIMIT 1
    FOR UPDATE SKIP LOCKED)
RETURNING l.model, l.step, l.attempts
"""

# everything downstream of a failed model (through the upstream arrays) will not run
_SKIP_DOWNSTREAM = """
WITH RECURSIVE down(model) AS (
    SELECT %(model)s::text
    UNION
    SELECT l.model FROM interlace_queue.leases AS l JOIN down ON down.model = ANY (l.upstream)
    WHERE l.queue = %(queue)s)
UPDATE interlace_queue.leases AS l SET state = 'skipped', error = %(why)s, finished_at = now()
FROM down WHERE l.queue = %(queue)s AND l.model = down.model AND l.model <> %(model)s
    AND l.state IN ('pending', 'running')
"""


@contextlib.contextmanager
def attach_lock(dsn: str) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock: the first ``ATTACH`` of a DuckLake creates its catalog
    tables, which two processes attaching at once would both try (and one fail)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute("SELECT pg_advisory_lock(hashtext('interlace ducklake attach'))")
        try:
            yield
        finally:
            db.execute("SELECT pg_advisory_unlock(hashtext('interlace ducklake attach'))")


@dataclass(frozen=True, slots=True)
class Claim:
    """A model this worker now holds the lease on."""

    step: Step
    attempts: int


@dataclass(frozen=True, slots=True)
class QueueCounts:
    pending: int = 0
    running: int = 0
    done: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def open(self) -> int:
        return self.pending + self.running


class Queue:
    """One named queue in a PostgreSQL database (the DuckLake catalog's)."""

    def __init__(self, dsn: str, name: str, *, worker: str, lease_seconds: float) -> None:
        import psycopg

        self.name, self.worker, self.lease_seconds = name, worker, lease_seconds
        try:
            self._db = psycopg.connect(dsn, autocommit=True)
        except psycopg.Error as exc:
            raise ConfigError(f"the worker queue could not connect to PostgreSQL ({dsn}): {exc}",
                              origin="connections (metadata: postgres, dsn)",
                              hint="check the dsn and that the server is running") from exc
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(hashtext('interlace_queue schema'))")
            self._db.execute(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def offer(self, plan: Plan) -> bool:
        """Write ``plan``'s steps as this queue, unless another worker already did (True: we did).

        Builds wait for the builds they read; models that cannot run (errors, blocked) are
        recorded as failed and skipped so that the queue reports them."""
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"interlace_queue {self.name}"])
            if self.exists():
                return False
            rows = list(_rows(self.name, plan.steps))
            with self._db.cursor() as cur:
                cur.executemany(
                    "INSERT INTO interlace_queue.leases (queue, model, position, upstream, step, state, error) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
        return True

    def exists(self) -> bool:
        return bool(self._db.execute("SELECT 1 FROM interlace_queue.leases WHERE queue = %s LIMIT 1",
                                     [self.name]).fetchall())

    def claim(self) -> Claim | None:
        """The next model whose upstream is done (pending, or held by a lease that expired)."""
        rows = self._db.execute(_CLAIM, {"worker": self.worker, "lease": self.lease_seconds,
                                         "queue": self.name}).fetchall()
        if not rows:
            return None
        _, step, attempts = rows[0]
        return Claim(_step(step), int(attempts))

    def renew(self, model: str) -> bool:
        """Extend this worker's lease on ``model`` (False: the lease is no longer ours)."""
        cur = self._db.execute(
            "UPDATE interlace_queue.leases SET expires_at = now() + make_interval(secs => %s) "
            "WHERE queue = %s AND model = %s AND worker = %s AND state = 'running'",
            [self.lease_seconds, self.name, model, self.worker])
        return cur.rowcount == 1

    def finish(self, model: str, *, error: str | None = None) -> None:
        """Mark ``model`` done, or failed (with everything downstream skipped)."""
        with self._db.transaction():
            self._db.execute(
                "UPDATE interlace_queue.leases SET state = %s, error = %s, finished_at = now(), expires_at = NULL "
                "WHERE queue = %s AND model = %s", ["failed" if error else "done", error, self.name, model])
            if error:
                self._db.execute(_SKIP_DOWNSTREAM, {"model": model, "queue": self.name,
                                                    "why": f"skipped: upstream '{model}' failed"})

    def counts(self) -> QueueCounts:
        rows = self._db.execute("SELECT state, count(*) FROM interlace_queue.leases WHERE queue = %s "
                                "GROUP BY state", [self.name]).fetchall()
        return QueueCounts(**{state: int(n) for state, n in rows})

    def rows(self) -> list[dict[str, Any]]:
        """Every model of the queue (for reports and tests)."""
        cur = self._db.execute("SELECT model, state, worker, attempts, error FROM interlace_queue.leases "
                               "WHERE queue = %s ORDER BY position", [self.name])
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _rows(queue: str, steps: Iterable[Step]) -> Iterable[tuple[Any, ...]]:
    wanted = [s for s in steps if s.action in ("build", "check", "error", "blocked")]
    for position, step in enumerate(wanted):
        state = "pending" if step.action in ("build", "check") else (
            "failed" if step.action == "error" else "skipped")
        error = None if state == "pending" else step.reason
        yield (queue, step.model, position, list(step.upstream), json.dumps(asdict(step)), state, error)


def _step(data: dict[str, Any]) -> Step:
    inputs = data.get("inputs")
    return Step(
        model=data["model"], action=data["action"], reason=data["reason"],
        upstream=tuple(data.get("upstream") or ()), fingerprint=data.get("fingerprint"),
        inputs=tuple(tuple(i) for i in inputs) if inputs is not None else None,
        definition=data.get("definition"), reads=tuple(data.get("reads") or ()),
    )
