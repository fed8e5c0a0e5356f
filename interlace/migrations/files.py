"""Read ``migrations/``: one :class:`Migration` per version, numbered 1, 2, 3… without gaps."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from interlace.errors import MigrationError

__all__ = ["Migration", "checksum", "discover_migrations"]

_NAME = re.compile(r"^(\d+)_([A-Za-z0-9_]+?)(\.up|\.down)?\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str  # NNN_name, as the files are called
    up: Path
    down: Path | None

    def sql(self, direction: str) -> str:
        path = self.up if direction == "up" else self.down
        return path.read_text() if path is not None else ""

    @property
    def checksum(self) -> str:
        return checksum(self.up)

    @property
    def down_checksum(self) -> str | None:
        return checksum(self.down) if self.down is not None else None


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def discover_migrations(root: Path) -> tuple[Migration, ...]:
    """The migrations of a project, oldest first; bad names, duplicates and gaps are errors."""
    folder = root / "migrations"
    if not folder.is_dir():
        return ()
    ups: dict[int, tuple[str, Path]] = {}
    downs: dict[int, tuple[str, Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        rel = f"migrations/{path.name}"
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationError(
                "is not a migration file name", origin=rel,
                hint="name migrations NNN_name.up.sql and NNN_name.down.sql (or NNN_name.sql for up-only), "
                "such as 001_create_orders.up.sql",
            )
        version, stem = int(match.group(1)), f"{match.group(1)}_{match.group(2)}"
        target = downs if match.group(3) == ".down" else ups
        if version in target:
            raise MigrationError(
                f"migration {version} is defined twice ({target[version][1].name} and {path.name})",
                origin=rel, hint="give each migration its own number",
            )
        target[version] = (stem, path)
    for version, (stem, path) in downs.items():
        if version not in ups:
            raise MigrationError(f"down migration {version} has no up file", origin=f"migrations/{path.name}",
                                 hint=f"add migrations/{stem}.up.sql, or remove the down file")
        if ups[version][0] != stem:
            raise MigrationError(
                f"the down file of migration {version} is called {path.name}, its up file {ups[version][1].name}",
                origin=f"migrations/{path.name}", hint=f"rename it {ups[version][0]}.down.sql")
    versions = sorted(ups)
    missing = sorted(set(range(1, versions[-1] + 1)) - set(versions)) if versions else []
    if missing:
        after = max(v for v in versions if v < missing[0]) if missing[0] > 1 else None
        raise MigrationError(
            f"migration numbering has a gap: {', '.join(str(m) for m in missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing"
            + (f" (after {ups[after][1].name})" if after else ""),
            origin="migrations/", hint="number migrations 1, 2, 3… without gaps (rename the files after the gap)",
        )
    return tuple(Migration(v, ups[v][0], ups[v][1], downs.get(v, (None, None))[1]) for v in versions)
