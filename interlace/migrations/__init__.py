"""User migrations under ``migrations/``: ``NNN_name.up.sql`` + ``NNN_name.down.sql`` (a plain
``NNN_name.sql`` is up-only), applied and rolled back one transaction each, recorded with their
checksums in ``interlace.migrations``. Core: imports no face library.
"""

from __future__ import annotations

from interlace.migrations.files import Migration, discover_migrations
from interlace.migrations.runner import MigrationStatus, MigrationStep, Migrator

__all__ = ["Migration", "MigrationStatus", "MigrationStep", "Migrator", "discover_migrations"]
