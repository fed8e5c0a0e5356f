"""``promote``: copy model tables from one environment's warehouse to another's, engine-side.

Both warehouses are attached to the workspace's DuckDB connection and each table is copied
with ``CREATE OR REPLACE TABLE … AS SELECT`` in one transaction together with its state (schema
history, watermark, latest successful run), so the target's plan sees it as built from the same
definition. A target table built more recently than the source is not overwritten without
``force``. Nothing goes through pandas.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlace.config import load_config
from interlace.engine.engine import Engine
from interlace.engine.relation import Relation, quote, string_literal
from interlace.errors import InvalidOptionError, StateError
from interlace.kinds import is_persisted, materialization_of
from interlace.options import PromoteOptions
from interlace.state.store import StateStore, carry_model_state, last_success

if TYPE_CHECKING:
    from interlace.workspace import Workspace

__all__ = ["PromoteResult", "PromoteStep", "promote"]

_SOURCE, _TARGET = "interlace_promote_from", "interlace_promote_to"


@dataclass(frozen=True, slots=True)
class PromoteStep:
    model: str
    action: str  # copy | copied | skip | refused
    reason: str
    rows: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "action": self.action, "reason": self.reason, "rows": self.rows}


@dataclass(frozen=True, slots=True)
class PromoteResult:
    source: str
    target: str
    dry_run: bool
    steps: tuple[PromoteStep, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.source, "to": self.target, "dry_run": self.dry_run,
                "steps": [s.to_dict() for s in self.steps]}


def promote(ws: Workspace, options: PromoteOptions) -> PromoteResult:
    """Copy the selected table models from ``options.source`` to ``options.target``."""
    source, target = options.source, options.target
    if not source or not target:
        raise InvalidOptionError("promote needs --from ENV and --to ENV",
                                 hint="for example: interlace promote --from dev --to prod")
    if source == target:
        raise InvalidOptionError(f"--from and --to are both '{source}'", hint="name two environments")
    paths = {env: _warehouse(ws, env) for env in (source, target)}
    if paths[source] == paths[target]:
        raise InvalidOptionError(f"'{source}' and '{target}' use the same warehouse ({paths[source]})",
                                 hint="give the environments different connections.default.path")
    if not paths[source].is_file():
        raise StateError(f"environment '{source}' has no warehouse yet ({paths[source]})",
                         hint=f"run `interlace run --env {source}` first")
    chosen = ws.select(options.select or None)
    tables = [ws.models[n] for n in sorted(chosen) if materialization_of(ws.models[n]).takes_strategy
              and is_persisted(ws.models[n]) and ws.project.relation(ws.models[n]).catalog is None]
    with _attached(ws, paths, source, target) as (src, dst):
        cursor = ws.engine.cursor()
        try:
            built, existing = last_success(cursor, src), last_success(cursor, dst)
            steps = []
            for spec in tables:
                relation = ws.project.relation(spec)
                if spec.name not in built or not ws.engine.exists(Relation(relation.schema, spec.name, src), cursor):
                    steps.append(PromoteStep(spec.name, "skip", f"not built in '{source}'"))
                elif spec.name in existing and existing[spec.name] > built[spec.name] and not options.force:
                    steps.append(PromoteStep(
                        spec.name, "refused",
                        f"'{target}' built it at {existing[spec.name]:%Y-%m-%d %H:%M:%S}, after '{source}' did "
                        f"({built[spec.name]:%Y-%m-%d %H:%M:%S})"))
                else:
                    steps.append(PromoteStep(spec.name, "copy", f"built in '{source}' at "
                                             f"{built[spec.name]:%Y-%m-%d %H:%M:%S}"))
            refused = [s for s in steps if s.action == "refused"]
            if refused and not options.dry_run:
                raise StateError(
                    f"{len(refused)} table{'s' if len(refused) != 1 else ''} in '{target}' "
                    f"{'are' if len(refused) != 1 else 'is'} newer than in '{source}'; nothing was copied",
                    details="\n".join(f"  {s.model}: {s.reason}" for s in refused),
                    hint="rebuild them in the source first, leave them out of the selection, or pass --force "
                    "to overwrite",
                )
            if not options.dry_run:
                run_id = "promote-" + uuid.uuid4().hex[:8]
                steps = [_copy(ws, cursor, s, src, dst, run_id) if s.action == "copy" else s for s in steps]
        finally:
            cursor.close()
    return PromoteResult(source, target, options.dry_run, tuple(steps))


def _copy(ws: Workspace, cursor: Any, step: PromoteStep, src: str, dst: str, run_id: str) -> PromoteStep:
    relation = ws.project.relation(ws.models[step.model])
    source, target = Relation(relation.schema, relation.name, src), Relation(relation.schema, relation.name, dst)
    with ws.engine.transaction(cursor):
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(dst)}.{quote(relation.schema)}")
        cursor.execute(f"CREATE OR REPLACE TABLE {target.sql} AS SELECT * FROM {source.sql}")
        carry_model_state(cursor, source=src, target=dst, model=step.model, run_id=run_id)
        rows = cursor.execute(f"SELECT count(*) FROM {target.sql}").fetchall()[0][0]
    return PromoteStep(step.model, "copied", step.reason, int(rows))


def _warehouse(ws: Workspace, env: str) -> Path:
    loaded = load_config(ws.root, env)
    path = loaded.database_path(ws.root, loaded.default_connection)
    if path is None:
        raise InvalidOptionError(f"environment '{env}' keeps its warehouse in memory: there is nothing to promote",
                                 hint="give it a file path under connections.default.path")
    return path.resolve()


@contextlib.contextmanager
def _attached(ws: Workspace, paths: dict[str, Path], source: str, target: str) -> Iterator[tuple[str, str]]:
    """Both warehouses as catalogs of the workspace's connection (its own needs no ATTACH)."""
    own = ws.engine.path.resolve() if ws.engine.path else None
    names: list[str] = []
    catalogs = []
    for env, alias, read_only in ((source, _SOURCE, True), (target, _TARGET, False)):
        if paths[env] == own:
            catalogs.append(ws.engine.database)
            continue
        if not read_only:  # a new target gets its state schema before it is attached
            engine = Engine(paths[env])
            try:
                StateStore(engine.connection).close()
            finally:
                engine.close()
        mode = " (READ_ONLY)" if read_only else ""
        ws.engine.connection.execute(f"ATTACH {string_literal(str(paths[env]))} AS {quote(alias)}{mode}")
        names.append(alias)
        catalogs.append(alias)
    try:
        yield catalogs[0], catalogs[1]
    finally:
        for alias in names:
            ws.engine.connection.execute(f"DETACH {quote(alias)}")
