"""The client-side search index, built at build time and sharded by the prefix of each term.

A term goes to the shard of its first two characters; a shard that would point to more than
:data:`MAX_SHARD_DOCS` documents is split again by one more character (its terms that are no
longer than its key stay in it), so names that share a prefix (``stg_``, ``l00_``) do not make one
huge shard. ``search/shards.js`` lists the keys. The browser loads only the shards a word can be in
(keys that are a prefix of the word, or that start with it), as ``<script>`` files, so the site
also works from ``file://``, where ``fetch()`` of local files is refused.

A term shard holds only document ids; what a result shows (model, column, snippet) is in document
shards of :data:`DOCS_PER_SHARD` ids each (``search/docs-<N>.js``; no term key has a ``-``), loaded for the results shown. So a
word found in every model ("model", "bigint") costs its id list, never 10,000 snippets.
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
DOCS_PER_SHARD = 500


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
    """Write the term shards ``search/<key>.js``, the document shards ``search/docs-<N>.js`` and
    ``search/shards.js`` (the keys and the ids per document shard); returns the files written."""
    postings: dict[str, list[int]] = defaultdict(list)
    table: list[SearchDoc] = []
    for doc_id, doc in enumerate(docs):
        table.append(doc)
        for term in terms(doc.model, doc.column or "", doc.text):
            postings[term].append(doc_id)
    shards = split_shards(postings)
    folder = out / "search"
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "shards.js"]
    for key, group in shards.items():
        written.append(_script(folder / f"{key}.js", f"interlaceSearch.shard({json.dumps(key)}, "
                                                     f"{_compact({'terms': group})});\n"))
    for first in range(0, len(table), DOCS_PER_SHARD):
        entries = {str(i): [d.model, d.column, d.snippet[:SNIPPET]]
                   for i, d in enumerate(table[first:first + DOCS_PER_SHARD], start=first)}
        number = first // DOCS_PER_SHARD
        written.append(_script(folder / f"docs-{number}.js",
                               f"interlaceSearch.docs({number}, {_compact(entries)});\n"))
    _script(folder / "shards.js", f"interlaceSearch.known({json.dumps(sorted(shards))}, {DOCS_PER_SHARD});\n")
    return written


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _script(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
