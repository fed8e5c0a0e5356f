"""A model's neighbourhood (n hops up and down the DAG) drawn as inline SVG, never the whole DAG.

Positions come from the same layered layout as the notebook's DAG widget
(``interlace.widgets.layout``, pure and free of anywidget), so a model sits where the widget would
draw it. Each node links to its page; long names are shortened on the node and kept whole in its
tooltip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from interlace.widgets.layout import layout
from interlace.widgets.render import escape

__all__ = ["Neighbourhood", "neighbourhood", "neighbourhood_svg"]

NODE_W, NODE_H, DX, DY = 170.0, 30.0, 210.0, 44.0
MAX_NODES = 80
LABEL_CHARS = 22


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    center: str
    names: tuple[str, ...]  # in topological order
    hidden: int  # models within the hops left out to keep the drawing readable


def neighbourhood(center: str, upstream: Mapping[str, Sequence[str]], downstream: Mapping[str, Sequence[str]],
                  order_of: Mapping[str, int], *, hops: int = 2, limit: int = MAX_NODES) -> Neighbourhood:
    """The models within ``hops`` of ``center`` (nearest first, at most ``limit``)."""
    found = {center: 0}
    frontier = [center]
    for depth in range(1, hops + 1):
        nxt: list[str] = []
        for name in frontier:
            for other in (*upstream.get(name, ()), *downstream.get(name, ())):
                if other not in found and other in order_of:
                    found[other] = depth
                    nxt.append(other)
        frontier = nxt
    nearest = sorted(found, key=lambda n: (found[n], order_of[n]))
    kept = nearest[:limit]
    return Neighbourhood(center, tuple(sorted(kept, key=order_of.__getitem__)), len(nearest) - len(kept))


def neighbourhood_svg(hood: Neighbourhood, upstream: Mapping[str, Sequence[str]],
                      href: Callable[[str], str]) -> str:
    """The neighbourhood as an ``<svg>`` element: boxes linked to their pages, edges left to right."""
    kept = set(hood.names)
    ups = {n: [u for u in upstream.get(n, ()) if u in kept] for n in hood.names}
    positions = layout(hood.names, ups, dx=DX, dy=DY)
    width = max((x for x, _ in positions.values()), default=0) + NODE_W + 2
    height = max((y for _, y in positions.values()), default=0) + NODE_H + 2
    parts = [f'<svg class="il-graph" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
             f'height="{height:.0f}" viewBox="-1 -1 {width:.0f} {height:.0f}" role="img" '
             f'aria-label="models around {escape(hood.center)}">']
    for name in hood.names:
        x2, y2 = positions[name]
        for up in ups[name]:
            x1, y1 = positions[up]
            parts.append(f'<path class="il-edge" d="M{x1 + NODE_W:.0f},{y1 + NODE_H / 2:.0f} '
                         f'C{x1 + NODE_W + 30:.0f},{y1 + NODE_H / 2:.0f} {x2 - 30:.0f},{y2 + NODE_H / 2:.0f} '
                         f'{x2:.0f},{y2 + NODE_H / 2:.0f}"/>')
    for name in hood.names:
        x, y = positions[name]
        label = name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"
        css = "il-node il-node-center" if name == hood.center else "il-node"
        parts.append(
            f'<a href="{escape(href(name))}" class="{css}" data-model="{escape(name)}">'
            f'<title>{escape(name)}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W:.0f}" height="{NODE_H:.0f}" rx="6"/>'
            f'<text x="{x + 10:.0f}" y="{y + NODE_H / 2 + 4:.0f}">{escape(label)}</text></a>')
    parts.append("</svg>")
    return "".join(parts)
