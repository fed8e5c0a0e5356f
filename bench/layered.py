"""A generated layered project: the same SQL models written for interlace, dbt and SQLMesh.

Not a benchmark itself; ``peers.py`` and ``plan_scale.py`` use it. Layer 0 models generate a
small table each (``range(rows)``); every later model reads one or two models of the layer below
with a join, a filter, a window or an aggregate joined back, so every table stays ``rows`` rows or
fewer. The query text is identical for the three tools; only how a model names another differs:
``name`` (interlace infers it), ``{{ ref('name') }}`` (dbt), ``bench.name`` (SQLMesh needs a
schema-qualified name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LayeredProject", "TOOLS"]


def _interlace_ref(name: str) -> str:
    return name


def _dbt_ref(name: str) -> str:
    return "{{ ref('" + name + "') }}"


def _sqlmesh_ref(name: str) -> str:
    return f"bench.{name}"


TOOLS: dict[str, Callable[[str], str]] = {
    "interlace": _interlace_ref,
    "dbt": _dbt_ref,
    "sqlmesh": _sqlmesh_ref,
}


@dataclass(frozen=True, slots=True)
class LayeredProject:
    models: int = 1000
    layers: int = 10
    rows: int = 200

    @property
    def width(self) -> int:
        return -(-self.models // self.layers)  # ceil: the last layer may be narrower

    def names(self) -> list[str]:
        return [self.name(i // self.width, i % self.width) for i in range(self.models)]

    def name(self, layer: int, j: int) -> str:
        return f"l{layer:02d}_m{j:04d}"

    @property
    def changed_model(self) -> str:
        """The model the "one changed model" scenario edits: in the middle layer."""
        return self.name(self.layers // 2, 0)

    def last_layer(self) -> list[str]:
        return [n for n in self.names() if n.startswith(f"l{self.layers - 1:02d}_")]

    def sql(self, layer: int, j: int, ref: Callable[[str], str], bump: int = 0) -> str:
        """The query of model (layer, j); ``bump`` adds a constant to its value (a real edit)."""
        plus = f" + {bump}" if bump else ""
        if layer == 0:
            return (f"SELECT range AS id, range % 7 AS k, (range * {j + 1}) % 1000{plus} AS x "
                    f"FROM range({self.rows})")
        below = min(self.width, self.models - (layer - 1) * self.width)
        a = ref(self.name(layer - 1, j % below))
        b = ref(self.name(layer - 1, (j * 7 + 3) % below))
        shape = j % 4
        if shape == 0:
            return (f"SELECT a.id, a.k, (a.x + b.x) % 1000{plus} AS x\n"
                    f"FROM {a} AS a JOIN {b} AS b ON a.id = b.id")
        if shape == 1:
            return f"SELECT id, k, (x * 3 + 1) % 1000{plus} AS x\nFROM {a}\nWHERE x % 10 <> 3"
        if shape == 2:
            return f"SELECT id, k, sum(x) OVER (PARTITION BY k ORDER BY id) % 1000{plus} AS x\nFROM {a}"
        return (f"SELECT a.id, a.k, (a.x + s.total) % 1000{plus} AS x\n"
                f"FROM {a} AS a JOIN (SELECT k, sum(x) AS total FROM {b} GROUP BY k) AS s ON a.k = s.k")

    def write(self, tool: str, root: Path, *, threads: int = 2, bump: int = 0) -> None:
        """Write the project for ``tool`` under ``root`` (models only; see ``write_config``)."""
        ref = TOOLS[tool]
        models = root / "models"
        models.mkdir(parents=True, exist_ok=True)
        for i in range(self.models):
            layer, j = divmod(i, self.width)
            name = self.name(layer, j)
            self.write_model(tool, root, name, self.sql(layer, j, ref, bump if name == self.changed_model else 0))
        self.write_config(tool, root, threads=threads)

    def edit_changed_model(self, tool: str, root: Path, bump: int) -> None:
        layer, j = self.layers // 2, 0
        self.write_model(tool, root, self.changed_model, self.sql(layer, j, TOOLS[tool], bump))

    @staticmethod
    def write_model(tool: str, root: Path, name: str, sql: str) -> None:
        if tool == "sqlmesh":
            sql = f"MODEL (name bench.{name}, kind FULL);\n\n{sql}"
        (root / "models" / f"{name}.sql").write_text(sql + "\n")

    @staticmethod
    def write_config(tool: str, root: Path, *, threads: int = 2) -> None:
        if tool == "interlace":
            (root / "config.yaml").write_text(
                "name: bench\n"
                "connections:\n  default: {type: duckdb, path: warehouse.duckdb}\n"
                f"run: {{max_workers: {threads}}}\n")
        elif tool == "dbt":
            (root / "dbt_project.yml").write_text(
                "name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\n"
                "model-paths: [models]\n"
                "models:\n  bench:\n    +materialized: table\n")
            (root / "profiles.yml").write_text(
                "bench:\n  target: dev\n  outputs:\n    dev:\n"
                f"      type: duckdb\n      path: warehouse.duckdb\n      schema: main\n      threads: {threads}\n")
        elif tool == "sqlmesh":
            (root / "config.yaml").write_text(
                "gateways:\n  local:\n    connection:\n      type: duckdb\n"
                f"      database: warehouse.duckdb\n      concurrent_tasks: {threads}\n"
                "default_gateway: local\n"
                "model_defaults:\n  dialect: duckdb\n  start: '2024-01-01'\n")
        else:  # pragma: no cover - a programming error in the caller
            raise ValueError(f"unknown tool {tool!r}; expected one of {sorted(TOOLS)}")
