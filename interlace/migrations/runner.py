"""Apply and roll back migrations: each in its own transaction, recorded with its checksum."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import duckdb

from interlace.engine.engine import Engine
from interlace.errors import MigrationError, StateError
from interlace.migrations.files import discover_migrations
from interlace.state.store import StateStore

__all__ = ["MigrationStatus", "MigrationStep", "Migrator"]


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    version: int
    name: str
    applied_at: datetime | None  # None: pending
    reversible: bool  # has a down file

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "name": self.name, "applied": self.applied_at is not None,
                "applied_at": self.applied_at.isoformat() if self.applied_at else None,
                "reversible": self.reversible}


@dataclass(frozen=True, slots=True)
class MigrationStep:
    version: int
    name: str
    direction: Literal["up", "down"]
    path: str  # the file that runs, relative to the project

    def __str__(self) -> str:
        return f"{self.direction:<4} {self.name}  ({self.path})"

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "name": self.name, "direction": self.direction, "path": self.path}


class Migrator:
    """The migrations of one project against its warehouse."""

    def __init__(self, root: Path, engine: Engine, state: StateStore) -> None:
        self.root, self.engine, self.state = root, engine, state
        self.migrations = {m.version: m for m in discover_migrations(root)}

    def status(self) -> list[MigrationStatus]:
        """Every migration file, applied or pending (checksums of applied ones verified)."""
        applied = self._applied()
        return [MigrationStatus(v, m.name, applied[v]["applied_at"] if v in applied else None, m.down is not None)
                for v, m in sorted(self.migrations.items())]

    def steps(self, *, rollback: bool = False, to: int | None = None) -> tuple[MigrationStep, ...]:
        """What a migrate would run: pending ups; ``rollback`` the latest down; ``to`` up to N or
        down to (and excluding) N."""
        applied = self._applied()
        current = max(applied, default=0)
        if rollback and to is not None:
            raise MigrationError("--rollback and --to cannot be combined",
                                 hint="--rollback undoes the latest migration; --to N moves to version N")
        if to is not None and to not in self.migrations and to != 0:
            known = f"1..{max(self.migrations)}" if self.migrations else "none: migrations/ is empty"
            raise MigrationError(f"there is no migration {to} (versions: {known})",
                                 hint="give --to a version of migrations/, or 0 to roll back everything")
        if rollback:
            if not current:
                raise MigrationError("no migration is applied: there is nothing to roll back",
                                     hint="run `interlace migrate --list` to see the migrations")
            return (self._step(current, "down"),)
        if to is not None and to < current:
            return tuple(self._step(v, "down") for v in sorted(applied, reverse=True) if v > to)
        last = to if to is not None else max(self.migrations, default=0)
        return tuple(self._step(v, "up") for v in sorted(self.migrations) if current < v <= last)

    def apply(self, steps: tuple[MigrationStep, ...]) -> None:
        """Run ``steps`` in order, one transaction each; a failure rolls that one back and stops."""
        if self.engine.read_only:
            raise StateError("this environment's warehouse is opened read-only (access: read)",
                             hint="run migrations in an environment whose connection has access: write")
        cursor = self.engine.cursor()
        try:
            for step in steps:
                migration = self.migrations[step.version]
                with self.engine.transaction(cursor):
                    try:
                        cursor.execute(migration.sql(step.direction))
                    except duckdb.Error as exc:
                        raise MigrationError(
                            f"migration {step.name} ({step.direction}) failed: {exc}", origin=step.path,
                            hint="fix the SQL in that file; nothing of this migration was applied",
                        ) from exc
                    if step.direction == "up":
                        self.state.record_migration(step.version, migration.name, migration.checksum,
                                                    migration.down_checksum, cursor=cursor)
                    else:
                        self.state.forget_migration(step.version, cursor=cursor)
        finally:
            cursor.close()

    def _step(self, version: int, direction: Literal["up", "down"]) -> MigrationStep:
        migration = self.migrations[version]
        if direction == "down" and migration.down is None:
            raise MigrationError(
                f"migration {migration.name} has no down file, so it cannot be rolled back",
                origin=str(migration.up.relative_to(self.root)),
                hint=f"write migrations/{migration.name}.down.sql (and name the up file "
                f"{migration.name}.up.sql)",
            )
        path = migration.up if direction == "up" else migration.down
        assert path is not None
        return MigrationStep(version, migration.name, direction, str(path.relative_to(self.root)))

    def _applied(self) -> dict[int, dict[str, Any]]:
        applied = {row["version"]: row for row in self.state.applied_migrations()}
        for version, row in applied.items():
            migration = self.migrations.get(version)
            if migration is None:
                raise MigrationError(
                    f"migration {row['name']} is applied to this warehouse, but its file is gone",
                    origin="migrations/",
                    hint=f"restore migrations/{row['name']}.up.sql (and its down file)",
                )
            if migration.checksum != row["checksum"]:
                raise MigrationError(
                    f"migration {migration.name} changed after it was applied (checksum "
                    f"{row['checksum'][:12]} when applied, {migration.checksum[:12]} now)",
                    origin=str(migration.up.relative_to(self.root)),
                    hint="restore the file as it was applied and write a new migration for the change",
                )
        return applied
