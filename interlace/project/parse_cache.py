"""A cache of parsed SQL model files, so that planning a large project does not parse every file
again: a file's specs are reused while its content (by hash) is unchanged.

Kept in ``.interlace/cache/`` of the project (git-ignored, like the warehouse). Anything unusual —
a missing, unreadable or foreign cache — means an empty cache, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from pathlib import Path

from interlace.project.spec import ModelSpec

__all__ = ["ParseCache"]

_FORMAT = 2  # 2: ModelConfig.columns


def _key() -> tuple[object, ...]:
    from interlace import __version__

    return (_FORMAT, __version__, sys.version_info[:2])


class ParseCache:
    """{relative path: (content digest, specs)} for SQL files."""

    def __init__(self, root: Path) -> None:
        self.path = root / ".interlace" / "cache" / "sql_models.pickle"
        self._entries: dict[str, tuple[bytes, list[ModelSpec]]] = {}
        self._dirty = False
        with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError):
            key, entries = pickle.loads(self.path.read_bytes())
            if key == _key():
                self._entries = entries

    @staticmethod
    def digest(content: bytes) -> bytes:
        return hashlib.blake2b(content, digest_size=16).digest()

    def get(self, rel: str, digest: bytes) -> list[ModelSpec] | None:
        entry = self._entries.get(rel)
        return entry[1] if entry is not None and entry[0] == digest else None

    def put(self, rel: str, digest: bytes, specs: list[ModelSpec]) -> None:
        self._entries[rel] = (digest, specs)
        self._dirty = True

    def save(self, keep: set[str]) -> None:
        """Write the cache, forgetting files no longer present; a failure to write is ignored."""
        stale = set(self._entries) - keep
        for rel in stale:
            del self._entries[rel]
        if not (self._dirty or stale):
            return
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps((_key(), self._entries), protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, self.path)
