"""``Project``: the configuration plus the set of model specs, with names checked to be unique."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from interlace.config import LoadedConfig
from interlace.engine.relation import Relation
from interlace.errors import (
    ConfigError,
    DuplicateModelError,
    ProjectError,
    UnknownModelError,
    did_you_mean,
)
from interlace.functions.discovery import FunctionSpec, discover_functions
from interlace.kinds import is_persisted
from interlace.origin import Origin
from interlace.project.discovery import discover_models
from interlace.project.spec import ModelSpec, make_spec
from interlace.quality.checks import Check, CheckDefinitionError, parse_checks
from interlace.streams.spec import StreamSpec, collecting_streams

__all__ = ["Project"]


# where a model written to a server catalog lands without schema= (they have no 'main')
SERVER_SCHEMAS = {"postgres": "public"}


@dataclass
class Project:
    root: Path
    config: LoadedConfig
    models: dict[str, ModelSpec] = field(default_factory=dict)
    # models that cannot be built as declared, with why: a file that does not load stands in
    # the project as a model named after the file, so plan, DAG and API show it as an error
    broken: dict[str, ProjectError] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)  # functions/*.py and *.sql
    streams: dict[str, StreamSpec] = field(default_factory=dict)  # stream(...) in model files

    @classmethod
    def discover(cls, root: Path, config: LoadedConfig, *, tolerant: bool = False,
                 functions: dict[str, FunctionSpec] | None = None) -> Project:
        """The project's models. ``tolerant``: a file that fails to load makes its model an error
        (``broken``) instead of failing the whole project (long-lived owners: server, notebook).
        ``functions``: the project's functions when the caller has them already."""
        if functions is None:
            functions = {f.name: f for f in discover_functions(root)}
        project = cls(root=root, config=config, functions=functions)
        failed: dict[str, ProjectError] | None = {} if tolerant else None
        with collecting_streams() as streams:
            specs = discover_models(root, config.config.models_paths, failed)
        for spec in specs:
            project.add(spec)
        prefix = f"{root}/"
        project.streams = {s.name: replace(s, origin=s.origin.removeprefix(prefix)) for s in streams}
        for rel, error in (failed or {}).items():
            project._add_broken_file(rel, error)
        project.configured_checks()  # validate config.yaml's quality: section against the models
        return project

    def _add_broken_file(self, rel: str, error: ProjectError) -> None:
        stem = Path(rel).stem
        name = stem if stem.isidentifier() and stem not in self.models else f"_{abs(hash(rel)):x}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            spec = make_spec(kind="sql", origin=Origin(rel), keywords={}, default_name=name,
                             declared_by="a file that does not load", sql="SELECT NULL", source="")
        self.models[name] = spec
        self.broken[name] = error

    def configured_checks(self) -> dict[str, tuple[Check, ...]]:
        """Checks from config.yaml's ``quality:`` section, by model ('*' for every table and view)."""
        quality = self.config.config.quality
        where = str(self.config.files[-1]) if self.config.files else "config.yaml"
        out: dict[str, tuple[Check, ...]] = {}
        for name, raws in [("*", quality.defaults), *quality.models.items()]:
            key = "quality.defaults" if name == "*" else f"quality.models.{name}"
            if name != "*" and name not in self.models:
                raise ConfigError(f"key '{key}' names no model." + did_you_mean(name, self.models),
                                  origin=where, hint="use the name of a model of this project")
            try:
                out[name] = parse_checks(raws)
            except CheckDefinitionError as exc:
                raise ConfigError(f"key '{key}': {exc}", origin=where,
                                  hint="write checks as in @model(quality_checks=...)") from None
        return out

    def checks_for(self, spec: ModelSpec, configured: dict[str, tuple[Check, ...]] | None = None) -> tuple[Check, ...]:
        """Every check that applies to ``spec``: its own, config.yaml's for it, and the defaults."""
        if not is_persisted(spec):
            return ()
        configured = configured if configured is not None else self.configured_checks()
        return (*spec.config.quality_checks, *configured.get(spec.name, ()), *configured.get("*", ()))

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

    def declare(self, spec: ModelSpec) -> ModelSpec | None:
        """Add a model declared interactively; it replaces a model of the same name from the same
        notebook or file (an edited cell), and is a :class:`DuplicateModelError` otherwise.
        Returns the model it replaced, if any."""
        existing = self.models.get(spec.name)
        self.add(spec, replace=existing is not None and existing.origin.path == spec.origin.path)
        return existing

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
        connection = spec.config.connection or conf.engine or conf.default_connection
        lake = conf.connections[conf.default_connection].type == "ducklake"  # tables in the lake
        catalog = None if connection == conf.default_connection and not lake else connection
        kind = conf.connections[connection].type if connection in conf.connections else "duckdb"
        default = SERVER_SCHEMAS.get(kind, conf.run.default_schema) if catalog else conf.run.default_schema
        return Relation(schema=spec.config.schema or default, name=spec.name, catalog=catalog)
