"""Write a model's table to parquet, CSV or JSON files with DuckDB's ``COPY`` (no pandas).

``export={"format": ..., "path": ..., "partition_by": [...]}`` on a model writes the file after
every successful build; ``interlace export`` writes one on demand. Paths are relative to the project.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from interlace.engine.relation import Relation, quote, string_literal
from interlace.errors import ExecutionError, InvalidOptionError
from interlace.project.spec import EXPORT_FORMATS, ModelSpec

__all__ = ["COPY_OPTIONS", "ExportResult", "export_model", "export_relation", "format_of"]

COPY_OPTIONS: dict[str, tuple[str, ...]] = {
    "parquet": ("FORMAT parquet",),
    "csv": ("FORMAT csv", "HEADER true"),
    "json": ("FORMAT json",),
}
_PARTITIONED = ("parquet", "csv")


@dataclass(frozen=True, slots=True)
class ExportResult:
    model: str
    format: str
    path: str
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "format": self.format, "path": self.path, "rows": self.rows}


def format_of(path: str, given: str | None) -> str:
    """The export format: as given, else from the file suffix."""
    fmt = given or Path(path).suffix.lstrip(".").lower()
    if fmt not in COPY_OPTIONS:
        raise InvalidOptionError(
            f"cannot tell the export format of {path!r}" if given is None else f"unknown export format {fmt!r}",
            hint=f"give --format {' | '.join(EXPORT_FORMATS)}",
        )
    return fmt


def export_relation(cursor: duckdb.DuckDBPyConnection, relation: Relation, *, model: str, fmt: str, path: Path,
                    partition_by: Sequence[str] = ()) -> ExportResult:
    """``COPY (SELECT * FROM relation) TO path``; returns how many rows were written."""
    options = list(COPY_OPTIONS[fmt])
    if partition_by:
        if fmt not in _PARTITIONED:
            raise InvalidOptionError(f"partition_by works with {' and '.join(_PARTITIONED)}, not {fmt}",
                                     model=model, hint="drop partition_by, or export parquet or csv")
        options += [f"PARTITION_BY ({', '.join(quote(c) for c in partition_by)})", "OVERWRITE_OR_IGNORE true"]
    path.parent.mkdir(parents=True, exist_ok=True)
    sql = f"COPY (SELECT * FROM {relation.sql}) TO {string_literal(str(path))} ({', '.join(options)})"
    try:
        rows = cursor.execute(sql).fetchall()
    except duckdb.Error as exc:
        raise ExecutionError(f"export to {path} failed: {exc}", model=model, sql=sql,
                             hint="check the path and the partition_by columns") from exc
    return ExportResult(model, fmt, str(path), int(rows[0][0]) if rows else 0)


def export_model(cursor: duckdb.DuckDBPyConnection, spec: ModelSpec, relation: Relation,
                 project_dir: Path | None) -> ExportResult:
    """The model's ``export=`` (run after each successful build)."""
    config = dict(spec.config.export or {})
    path = Path(config["path"]).expanduser()
    if not path.is_absolute() and project_dir is not None:
        path = project_dir / path
    return export_relation(cursor, relation, model=spec.name, fmt=config["format"], path=path,
                           partition_by=tuple(config.get("partition_by", ())))
