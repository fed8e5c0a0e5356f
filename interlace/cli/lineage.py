"""``interlace lineage show MODEL[.COLUMN]`` and ``interlace lineage refresh``."""

from __future__ import annotations

import json

import click
from rich.tree import Tree

from interlace.cli import forward
from interlace.cli.main import cli, console, open_workspace
from interlace.cli.params import workspace_flags
from interlace.lineage.graph import LineageNode


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
    answer = forward.answer("lineage.show", project_dir, env, target=target,
                            downstream=not upstream)
    trees = [LineageNode.from_dict(t) for t in answer]
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
    console.print(f"Lineage refreshed: {len(graph.edges)} edges over {len({e[0] for e in graph.edges})} models.")


def _rich(node: LineageNode, tree: Tree | None = None) -> Tree:
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
