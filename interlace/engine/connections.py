"""Attached catalogs: how each connection type becomes a DuckDB ``ATTACH``, and the write rules.

One row per type in :data:`ATTACHERS` (the extension it needs, and how its ATTACH target and
options are spelled). Models write to an attached catalog with ``connection=``; a catalog with
``access: read`` (``read_only``) refuses them before the run starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from interlace.config import AttachConfig, Config
from interlace.engine.extensions import load_extension
from interlace.engine.relation import quote, string_literal
from interlace.errors import ConfigError, ModelDefinitionError, did_you_mean
from interlace.kinds import is_persisted
from interlace.project.spec import ModelSpec

__all__ = ["ATTACHERS", "Attacher", "attach", "check_writable"]


@dataclass(frozen=True, slots=True)
class Attacher:
    """How one connection type is attached."""

    extensions: Callable[[AttachConfig], tuple[str, ...]]  # keys of engine.extensions.EXTENSIONS
    target: Callable[[AttachConfig, Callable[[str], Path]], str]  # the ATTACH string
    options: Callable[[AttachConfig, Callable[[str], Path]], tuple[str, ...]]  # inside ( ... )


def _file(item: AttachConfig, resolve: Callable[[str], Path]) -> str:
    return str(resolve(item.path or ""))


def _ducklake(item: AttachConfig, resolve: Callable[[str], Path]) -> str:
    if item.metadata == "postgres":
        return f"ducklake:postgres:{item.dsn}"
    metadata = "sqlite:" if item.metadata == "sqlite" else ""
    return f"ducklake:{metadata}{resolve(item.path or '')}"


def _ducklake_options(item: AttachConfig, resolve: Callable[[str], Path]) -> tuple[str, ...]:
    data = resolve(item.data_path) if item.data_path else Path(str(resolve(item.path or "")) + ".files")
    if not item.read_only:
        data.mkdir(parents=True, exist_ok=True)
    return (f"DATA_PATH {string_literal(str(data))}",)


def _ducklake_extensions(item: AttachConfig) -> tuple[str, ...]:
    return ("ducklake", *((item.metadata,) if item.metadata in ("sqlite", "postgres") else ()))


ATTACHERS: dict[str, Attacher] = {
    "duckdb": Attacher(lambda i: (), _file, lambda i, r: ()),
    "sqlite": Attacher(lambda i: ("sqlite",), _file, lambda i, r: ("TYPE sqlite",)),
    "postgres": Attacher(lambda i: ("postgres",), lambda i, r: i.dsn or "", lambda i, r: ("TYPE postgres",)),
    "mysql": Attacher(lambda i: ("mysql",), lambda i, r: i.dsn or "", lambda i, r: ("TYPE mysql",)),
    "ducklake": Attacher(_ducklake_extensions, _ducklake, _ducklake_options),
}


def attach(connection: duckdb.DuckDBPyConnection, item: AttachConfig, project_dir: Path | None) -> None:
    """``ATTACH`` one catalog (loading its extension from its package first)."""
    def resolve(raw: str) -> Path:
        path = Path(raw).expanduser()
        return path if path.is_absolute() or project_dir is None else project_dir / path

    attacher = ATTACHERS[item.type]
    where = f"connection '{item.name}' (type {item.type})"
    for extension in attacher.extensions(item):
        load_extension(connection, extension, needed_by=where)
    options = [*attacher.options(item, resolve), *(("READ_ONLY",) if item.read_only else ())]
    target = attacher.target(item, resolve)
    if item.type in ("duckdb", "sqlite", "ducklake") and not item.dsn and not item.read_only:
        resolve(item.path or "").parent.mkdir(parents=True, exist_ok=True)
    sql = f"ATTACH {string_literal(target)} AS {quote(item.name)}"
    try:
        connection.execute(sql + (f" ({', '.join(options)})" if options else ""))
    except duckdb.Error as exc:
        shown = "the server given by dsn" if item.dsn else target
        raise ConfigError(
            f"could not attach {where} ({shown}): {exc}", origin=f"connections.{item.name}",
            hint="check the dsn and that the server is running" if item.dsn
            else "check the path, or set read_only: false (access: write) to create it",
        ) from exc


def check_writable(models: Mapping[str, ModelSpec], config: Config, attached: Mapping[str, AttachConfig]) -> None:
    """Every model's ``connection=`` names a connection it may write to."""
    for spec in models.values():
        name = spec.config.connection
        if name is None or name == config.default_connection or not is_persisted(spec):
            continue
        if name not in config.connections:
            raise ModelDefinitionError(
                f"connection='{name}' is not one of the connections in config.yaml "
                f"({', '.join(sorted(config.connections))}).{did_you_mean(name, config.connections)}",
                model=spec.name, origin=str(spec.origin), hint="name a connection under 'connections:'",
            )
        if name not in attached:  # an engine (type pyspark / ibis): it runs the model itself
            continue
        if attached[name].read_only:
            raise ConfigError(
                f"model '{spec.name}' ({spec.origin}) writes to connection '{name}', which is access: read",
                origin=f"connections.{name}.access",
                hint=f"set connections.{name}.access: write, or remove connection='{name}' from the model",
            )
