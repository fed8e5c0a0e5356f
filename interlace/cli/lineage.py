"""``interlace lineage show MODEL[.COLUMN]`` and ``interlace lineage refresh``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from interlace.cli import forward
from interlace.cli.main import cli, console, open_workspace
from interlace.cli.params import workspace_flags
from interlace.errors import InterlaceError
from interlace.lineage.graph import LineageGraph, LineageNode
from interlace.lineage.snapshot import read_snapshot, write_snapshot

if TYPE_CHECKING:
    from rich.tree import Tree


@cli.group()
def lineage() -> None:
    """Column-level lineage: where a column comes from and where it goes."""


@lineage.command("show")
@click.argument("target")
@click.option("--upstream/--downstream", default=True, help="follow sources (default) or consumers")
@click.option("--format", "fmt", type=click.Choice(["tree", "json", "dot"]), default="tree", show_default=True)
@workspace_flags
@forward.forwardable
def show(target: str, upstream: bool, fmt: str, project_dir: str, env: str | None) -> None:
    """Lineage of MODEL.COLUMN (or of every column of MODEL)."""
    if forward.owner_client(project_dir, env) is not None:  # it may hold cells' models, writes
        answer = forward.answer("lineage.show", project_dir, env, target=target,
                                downstream=not upstream)
        trees = [LineageNode.from_dict(t) for t in answer]
    else:
        trees = _from_snapshot(Path(project_dir), env, target, downstream=not upstream) \
            or _analyse(project_dir, env, target, downstream=not upstream)
        answer = [t.to_dict() for t in trees]
    if fmt == "json":
        print(json.dumps(answer, indent=2))
    elif fmt == "dot":
        print(_dot(trees, upstream=upstream))
    else:
        for tree in trees:
            console.print(_rich(tree))


@lineage.command("refresh")
@workspace_flags
def refresh(project_dir: str, env: str | None) -> None:
    """Analyse every SQL model's lineage again against the current catalog."""
    with open_workspace(project_dir, env) as ws:
        graph = ws.lineage(refresh=True)
    _snapshot(ws, env, graph)
    console.print(f"Lineage refreshed: {len(graph.edges)} edges over {len({e[0] for e in graph.edges})} models.")


def _from_snapshot(root: Path, env: str | None, target: str, *,
                   downstream: bool) -> list[LineageNode] | None:
    """The answer from the last analysis while nothing it depends on changed (else None: the full
    analysis runs, and says what is wrong with MODEL or COLUMN if anything is)."""
    model, _, column = target.partition(".")
    snapshot = read_snapshot(root.resolve(), env)
    if snapshot is None or model not in snapshot[1]:
        return None
    try:
        return snapshot[0].trees(model, column or None, downstream=downstream) or None
    except InterlaceError:
        return None


def _analyse(project_dir: str, env: str | None, target: str, *,
             downstream: bool) -> list[LineageNode]:
    """The full analysis here (no live owner holds the warehouse), then a fresh snapshot."""
    model, _, column = target.partition(".")
    with open_workspace(project_dir, env) as ws:
        ws.project.get(model)
        graph = ws.lineage()
        trees = graph.trees(model, column or None, downstream=downstream)
    _snapshot(ws, env, graph)
    return trees


def _snapshot(ws: Any, env: str | None, graph: LineageGraph) -> None:
    """Record the analysis for the next read (after closing: closing the warehouse writes it)."""
    path = ws.engine.path
    write_snapshot(ws.root, env, model_paths=list(ws.loaded.config.models_paths),
                   warehouse=str(path) if path is not None else None, models=list(ws.models),
                   graph=graph)


def _rich(node: LineageNode, tree: Tree | None = None) -> Tree:
    from rich.tree import Tree

    label = f"{node.relation}.{node.column}" + (f"  [dim]({node.kind})[/]" if node.kind != "value" else "")
    branch = Tree(label) if tree is None else tree.add(label)
    for child in node.children:
        _rich(child, branch)
    return branch


def _dot(trees: list[LineageNode], *, upstream: bool) -> str:
    """Graphviz, arrows in the direction data flows (source -> consumer)."""
    lines = ["digraph lineage {", "  rankdir=LR;"]
    seen: set[str] = set()

    def walk(node: LineageNode) -> None:
        for child in node.children:
            source, target = (child, node) if upstream else (node, child)
            edge = f'  "{source.relation}.{source.column}" -> "{target.relation}.{target.column}";'
            if edge not in seen:
                seen.add(edge)
                lines.append(edge)
            walk(child)

    for tree in trees:
        walk(tree)
    lines.append("}")
    return "\n".join(lines)
