"""A watched directory of JSONL / CSV / Parquet files: each file ingested exactly once.

A file is read once its size and mtime held still across two polls. Its rows and the record of
it (path, size, mtime, SHA-256 in ``interlace.stream_files``) commit in one transaction, and each
row's ``_event_id`` is ``<path>:<sha>:<row>``: a crash before the commit ingests the whole file
again after the restart, a crash after it never again.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import logging
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from interlace.state.streams import StreamState
from interlace.streams.adapters.base import PollingAdapter
from interlace.streams.config import DirectoryConfig

if TYPE_CHECKING:
    from interlace.streams.manager import Streams

__all__ = ["DirectoryAdapter", "read_events"]

log = logging.getLogger("interlace.streams")
SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet")


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def read_events(path: Path) -> list[Any]:
    """A file's rows as event dicts (Parquet / CSV through Arrow's types, JSONL as written)."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_table(path).to_pylist()
    elif suffix == ".csv":
        import pyarrow.csv as pcsv

        try:
            rows = pcsv.read_csv(path).to_pylist()
        except Exception:  # noqa: BLE001 - an empty or header-only file
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
    else:
        raise ValueError(f"{path.name}: not a .jsonl, .csv or .parquet file")
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


class DirectoryAdapter(PollingAdapter):
    def __init__(self, streams: Streams, stream: str, conf: DirectoryConfig) -> None:
        super().__init__()
        self.name = f"directory:{stream}"
        self.streams, self.stream, self.conf = streams, stream, conf
        self.interval = conf.poll_interval
        root = Path(conf.path)
        self.root = root if root.is_absolute() else streams.root / root
        self._sizes: dict[str, tuple[int, int]] = {}  # path -> (size, mtime_ns) at the last poll
        self.failed: dict[str, str] = {}  # files that could not be read, and why
        self.ingested = 0

    def step(self) -> bool:
        if not self.root.is_dir():
            raise FileNotFoundError(f"stream '{self.stream}': directory.path {self.root} does not "
                                    "exist (create it, or fix streams.<name>.directory.path)")
        busy = False
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root).as_posix()
            if not path.is_file() or path.suffix.lower() not in SUFFIXES \
                    or not fnmatch.fnmatch(rel, self.conf.pattern) or rel in self.failed:
                continue
            stat = path.stat()
            seen, self._sizes[rel] = self._sizes.get(rel), (stat.st_size, stat.st_mtime_ns)
            if seen != (stat.st_size, stat.st_mtime_ns):
                continue  # new or still being written: wait for it to hold still
            busy |= self._ingest(path, rel, stat.st_size, stat.st_mtime_ns)
        return busy

    def _ingest(self, path: Path, rel: str, size: int, mtime_ns: int) -> bool:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if self.streams.state.ingested_file(self.stream, rel, digest):
            return False
        try:
            events = read_events(path)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            self.failed[rel] = f"{rel}: {exc}"
            log.error("stream '%s': cannot read %s: %s", self.stream, path, exc)
            return False
        for i, event in enumerate(events):
            if isinstance(event, dict) and "_event_id" not in event:
                event["_event_id"] = f"{rel}:{digest[:16]}:{i}"

        def record(cur: Any) -> None:
            StreamState.record_file(cur, self.stream, rel, size, mtime_ns, digest, len(events))

        self.streams.submit(self.stream, events, source=f"file:{rel}", within=record,
                            on_invalid="dead_letter").result()
        self.ingested += 1
        return True
