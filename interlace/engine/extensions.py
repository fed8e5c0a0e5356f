"""DuckDB extensions from the ``duckdb-extension-<name>`` PyPI packages, loaded by path.

Nothing is downloaded at run time: the engine turns DuckDB's autoinstall and autoload off and
loads each extension a connection needs from its package, which is built for exactly one DuckDB
version (1.5.5). A package that is not installed is an error naming the extra to install.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import duckdb

from interlace.engine.relation import string_literal
from interlace.errors import ConfigError

__all__ = ["EXTENSIONS", "Extension", "extension_path", "load_extension"]


@dataclass(frozen=True, slots=True)
class Extension:
    """One DuckDB extension and the package (and interlace extra) that ships it."""

    name: str  # the extension file's name: <name>.duckdb_extension
    package: str  # the PyPI distribution
    module: str  # its import name
    extra: str  # pip install 'interlace[<extra>]'


# the plain duckdb-extension-sqlite carries a wrong entrypoint name and does not load: use -scanner
EXTENSIONS: dict[str, Extension] = {
    e.extra: e for e in (
        Extension("sqlite_scanner", "duckdb-extension-sqlite-scanner", "duckdb_extension_sqlite_scanner", "sqlite"),
        Extension("postgres_scanner", "duckdb-extension-postgres-scanner", "duckdb_extension_postgres_scanner",
                  "postgres"),
        Extension("mysql_scanner", "duckdb-extension-mysql-scanner", "duckdb_extension_mysql_scanner", "mysql"),
        Extension("ducklake", "duckdb-extension-ducklake", "duckdb_extension_ducklake", "ducklake"),
    )
}


def extension_path(extension: Extension, *, needed_by: str) -> Path:
    """The extension file inside its installed package; a clear error when it is missing."""
    version = duckdb.__version__
    spec = importlib.util.find_spec(extension.module)
    if spec is None or spec.origin is None:
        raise ConfigError(
            f"{needed_by} needs the DuckDB extension {extension.name}, from the package "
            f"{extension.package}=={version}, which is not installed",
            origin="connections", hint=f"pip install 'interlace[{extension.extra}]'",
        )
    path = Path(spec.origin).parent / "extensions" / f"v{version}" / f"{extension.name}.duckdb_extension"
    if not path.is_file():
        raise ConfigError(
            f"{needed_by} needs the DuckDB extension {extension.name} for DuckDB {version}, but the "
            f"installed {extension.package} does not ship {path.name} for that version",
            origin="connections",
            hint=f"pip install '{extension.package}=={version}' (it must match the duckdb version)",
        )
    return path


def load_extension(connection: duckdb.DuckDBPyConnection, kind: str, *, needed_by: str) -> None:
    """Load the extension behind connection type ``kind`` (sqlite, postgres, mysql, ducklake)."""
    extension = EXTENSIONS[kind]
    path = extension_path(extension, needed_by=needed_by)
    try:
        connection.execute(f"LOAD {string_literal(str(path))}")
    except duckdb.Error as exc:
        raise ConfigError(
            f"{needed_by}: DuckDB {duckdb.__version__} could not load {path}: {exc}",
            origin="connections", hint=f"reinstall it: pip install --force-reinstall '{extension.package}=={duckdb.__version__}'",
        ) from exc
