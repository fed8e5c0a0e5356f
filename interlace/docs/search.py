"""The client-side search index, built at build time and sharded by the first letter of each term.

The browser loads only the shards of the terms it is asked for (as ``<script>`` files, so the
site also works from ``file://``, where ``fetch()`` of local files is refused). Each shard carries
its terms and the documents they point to, so a result is shown from the shard alone.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SearchDoc", "shard_key", "terms", "write_index"]

_WORD = re.compile(r"[a-z0-9]+")
SNIPPET = 160


@dataclass(frozen=True, slots=True)
class SearchDoc:
    model: str
    column: str | None
    text: str  # what is searched besides the names (description, tags, owner, type)
    snippet: str


def terms(*texts: str) -> set[str]:
    """Lower-case words of ``texts`` (identifiers split on ``_`` and also kept whole)."""
    found: set[str] = set()
    for text in texts:
        lowered = text.lower()
        found.update(w for w in _WORD.findall(lowered) if len(w) > 1)
        found.update(w for w in re.findall(r"[a-z0-9_]+", lowered) if "_" in w)
    return found


def shard_key(term: str) -> str:
    return term[0] if term[0].isalnum() else "_"


def write_index(docs: Iterable[SearchDoc], out: Path) -> list[Path]:
    """Write ``search/<key>.js`` shards and ``search/shards.js``; returns the files written."""
    shards: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    table: list[SearchDoc] = []
    for doc_id, doc in enumerate(docs):
        table.append(doc)
        for term in terms(doc.model, doc.column or "", doc.text):
            shards[shard_key(term)][term].append(doc_id)
    folder = out / "search"
    folder.mkdir(parents=True, exist_ok=True)
    for key, postings in shards.items():
        ids = sorted({i for ids in postings.values() for i in ids})
        payload = {
            "terms": postings,
            "docs": {str(i): [table[i].model, table[i].column, table[i].snippet[:SNIPPET]] for i in ids},
        }
        (folder / f"{key}.js").write_text(
            f"interlaceSearch.shard({json.dumps(key)}, {json.dumps(payload, separators=(',', ':'))});\n")
    keys = sorted(shards)
    (folder / "shards.js").write_text(f"interlaceSearch.known({json.dumps(keys)});\n")
    return [folder / "shards.js", *(folder / f"{key}.js" for key in keys)]
