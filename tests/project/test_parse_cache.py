from __future__ import annotations

from pathlib import Path

from interlace.project.discovery import discover_models
from tests.conftest import write_files


def test_sql_files_are_parsed_once_until_their_content_changes(tmp_path: Path, monkeypatch) -> None:
    write_files(tmp_path, {"models/a.sql": "SELECT 1 AS x", "models/b.sql": "SELECT x FROM a"})
    first = discover_models(tmp_path, ["models"])
    assert (tmp_path / ".interlace/cache/sql_models.pickle").exists()
    parsed: list[str] = []
    import interlace.project.discovery as discovery

    real = discovery.parse_sql_models
    monkeypatch.setattr(discovery, "parse_sql_models", lambda text, **kw: parsed.append(kw["path"]) or real(text, **kw))
    again = discover_models(tmp_path, ["models"])
    assert parsed == [] and [s.name for s in again] == [s.name for s in first]
    (tmp_path / "models/b.sql").write_text("SELECT y FROM a")  # same size, same second: content decides
    edited = discover_models(tmp_path, ["models"])
    assert parsed == ["models/b.sql"]
    assert {s.name: s.sql for s in edited}["b"] == "SELECT y FROM a"


def test_a_corrupt_cache_is_ignored(tmp_path: Path) -> None:
    write_files(tmp_path, {"models/a.sql": "SELECT 1 AS x", ".interlace/cache/sql_models.pickle": "not a pickle"})
    assert [s.name for s in discover_models(tmp_path, ["models"])] == ["a"]
