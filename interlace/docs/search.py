"""The client-side search index, built at build time and sharded by the prefix of each term.

A term goes to the shard of its first two characters; a shard that would point to more than
:data:`MAX_SHARD_DOCS` documents is split again by one more character (its terms that are no
longer than its key stay in it), so names that share a prefix (``stg_``, ``l00_``) do not make one
huge shard. ``search/shards.js`` lists the keys. The browser loads only the shards a word can be in
(keys that are a prefix of the word, or that start with it), as ``<script>`` files, so the site
also works from ``file://``, where ``fetch()`` of local files is refused. Each shard carries its
terms and the documents they point to, so a result is shown from the shard alone.
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
KEY_CHARS = 2
MAX_SHARD_DOCS = 2000


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
    """The first shard a term is looked for in: its first two characters."""
    return term[:KEY_CHARS]


def split_shards(postings: dict[str, list[int]], limit: int = MAX_SHARD_DOCS) -> dict[str, dict[str, list[int]]]:
    """Group ``postings`` (term -> doc ids) by key: two characters, one more wherever a shard would
    point to more than ``limit`` documents."""
    shards: dict[str, dict[str, list[int]]] = {}
    todo: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for term, ids in postings.items():
        todo[shard_key(term)][term] = ids
    while todo:
        key, group = todo.popitem()
        longer = {t: ids for t, ids in group.items() if len(t) > len(key)}
        if not longer or len({i for ids in group.values() for i in ids}) <= limit:
            shards[key] = group
            continue
        shards[key] = {t: ids for t, ids in group.items() if len(t) <= len(key)}
        for term, ids in longer.items():
            todo.setdefault(term[: len(key) + 1], {})[term] = ids
        if not shards[key]:
            del shards[key]
    return shards


def write_index(docs: Iterable[SearchDoc], out: Path) -> list[Path]:
    """Write ``search/<key>.js`` shards and ``search/shards.js``; returns the files written."""
    postings: dict[str, list[int]] = defaultdict(list)
    table: list[SearchDoc] = []
    for doc_id, doc in enumerate(docs):
        table.append(doc)
        for term in terms(doc.model, doc.column or "", doc.text):
            postings[term].append(doc_id)
    shards = split_shards(postings)
    folder = out / "search"
    folder.mkdir(parents=True, exist_ok=True)
    for key, group in shards.items():
        ids = sorted({i for ids in group.values() for i in ids})
        payload = {
            "terms": group,
            "docs": {str(i): [table[i].model, table[i].column, table[i].snippet[:SNIPPET]] for i in ids},
        }
        (folder / f"{key}.js").write_text(
            f"interlaceSearch.shard({json.dumps(key)}, {json.dumps(payload, separators=(',', ':'))});\n")
    keys = sorted(shards)
    (folder / "shards.js").write_text(f"interlaceSearch.known({json.dumps(keys)});\n")
    return [folder / "shards.js", *(folder / f"{key}.js" for key in keys)]
