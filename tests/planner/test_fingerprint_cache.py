"""The cached, copy-free definition hash is the hash earlier versions stored (no mass rebuild)."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from interlace.origin import Origin
from interlace.planner import fingerprint
from interlace.planner.fingerprint import METADATA_ONLY, definitions, normalized_definition
from interlace.project.spec import ModelConfig, ModelSpec


def stored_by_earlier_versions(spec: ModelSpec) -> str:
    config = {k: v for k, v in dataclasses.asdict(spec.config).items() if k not in METADATA_ONLY}
    payload = json.dumps([spec.kind, spec.name, normalized_definition(spec), config],
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Nested:
    every: str
    keys: tuple[str, ...]


CONFIGS = [
    ModelConfig(),
    ModelConfig(materialize="incremental", strategy="merge", primary_key=("id", "day"),
                cursor="updated_at", fields={"id": "BIGINT"}, strict=True),
    ModelConfig(column_mapping={"a": "b"}, scd2={"valid": Nested("1d", ("x",))},
                schema_mode="lenient", delete_mode="hard", description="ignored", tags=("t",)),
]


def test_the_definition_hash_is_unchanged_for_every_kind_of_config() -> None:
    for number, config in enumerate(CONFIGS):
        spec = ModelSpec(name=f"m{number}", kind="sql", origin=Origin("models/m.sql", 1),
                         config=config, sql="select 1 as x")
        assert fingerprint._own_uncached(spec) == stored_by_earlier_versions(spec)
        assert definitions({spec.name: spec})[spec.name] == stored_by_earlier_versions(spec)[:32]


def test_the_cache_answers_for_the_same_spec_object_only() -> None:
    spec = ModelSpec(name="m", kind="sql", origin=Origin("models/m.sql", 1), config=ModelConfig(), sql="select 1")
    edited = dataclasses.replace(spec, sql="select 2", normalized="")
    assert fingerprint._own(spec) == fingerprint._own(spec)
    assert fingerprint._own(edited) != fingerprint._own(spec)
    assert fingerprint._OWN[id(spec)][0] is spec
