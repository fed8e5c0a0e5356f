"""``Project``: the configuration plus the set of model specs, with names checked to be unique."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from interlace.config import LoadedConfig
from interlace.engine.relation import Relation
from interlace.errors import DuplicateModelError, UnknownModelError, did_you_mean
from interlace.project.discovery import discover_models
from interlace.project.spec import ModelSpec

__all__ = ["Project"]


@dataclass
class Project:
    root: Path
    config: LoadedConfig
    models: dict[str, ModelSpec] = field(default_factory=dict)

    @classmethod
    def discover(cls, root: Path, config: LoadedConfig) -> Project:
        project = cls(root=root, config=config)
        for spec in discover_models(root, config.config.models_paths):
            project.add(spec)
        return project

    def add(self, spec: ModelSpec, *, replace: bool = False) -> None:
        """Add a model; a second model with the same name is an error unless ``replace``."""
        existing = self.models.get(spec.name)
        if existing is not None and not replace:
            raise DuplicateModelError(
                f"two models are named '{spec.name}': {existing.origin} and {spec.origin}",
                model=spec.name,
                hint="rename one of them (name=... in the decorator or header, or rename the file)",
            )
        self.models[spec.name] = spec

    def add_all(self, specs: Iterable[ModelSpec]) -> None:
        for spec in specs:
            self.add(spec)

    def get(self, name: str) -> ModelSpec:
        try:
            return self.models[name]
        except KeyError:
            raise UnknownModelError(
                f"no model named '{name}'." + did_you_mean(name, self.models),
                hint="run `interlace info` to list the models",
            ) from None

    def relation(self, spec: ModelSpec) -> Relation:
        """Where a model's table or view lives in the warehouse."""
        conf = self.config.config
        connection = spec.config.connection or conf.default_connection
        catalog = None if connection == conf.default_connection else connection
        return Relation(schema=spec.config.schema or conf.run.default_schema, name=spec.name, catalog=catalog)
