"""Diagrams for the book: drawing only, no mathematics.

:func:`draw_computational_graph` draws a computational graph (chapter 3): one
box per value, an arrow from every input of a step to its output labelled with
the local derivative, and, beside each box, the value computed in the forward
pass and the adjoint computed in the backward pass. The numbers are computed in
the notebook and handed in, so the figure shows exactly what the code checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from dlmath.plotting import PALETTE

__all__ = ["GraphNode", "GraphEdge", "draw_computational_graph"]


@dataclass(frozen=True)
class GraphNode:
    """A value of the graph: its name (LaTeX allowed), what computes it, where to draw it,
    and its forward value and backward adjoint (``None`` to leave one out)."""

    name: str
    operation: str
    position: tuple[float, float]
    value: float | None = None
    adjoint: float | None = None


@dataclass(frozen=True)
class GraphEdge:
    """An arrow from one node to another, labelled with the local derivative."""

    source: str
    target: str
    local_derivative: str = ""


def draw_computational_graph(ax, nodes: dict[str, GraphNode], edges: list[GraphEdge], *,
                             box_width: float = 1.5, box_height: float = 0.62, title: str = "") -> None:
    """Draw the graph on ``ax``: boxes, arrows with local derivatives, values above, adjoints below.

    Forward values are written in blue above each box ("value"), backward adjoints in
    vermillion below it ("adjoint"); the legend-free colour coding is repeated in
    the text of each label, so the figure reads in grey scale too.
    """
    half_w, half_h = box_width / 2, box_height / 2
    for node in nodes.values():
        x, y = node.position
        ax.add_patch(FancyBboxPatch((x - half_w, y - half_h), box_width, box_height,
                                    boxstyle="round,pad=0.04", fc="white", ec=PALETTE["black"], lw=1.4, zorder=2))
        ax.text(x, y + 0.08, node.name, ha="center", va="center", fontsize=12, zorder=3)
        ax.text(x, y - 0.17, node.operation, ha="center", va="center", fontsize=8, color="0.35", zorder=3)
        if node.value is not None:
            ax.text(x, y + half_h + 0.14, f"value {node.value:.4f}", ha="center", va="bottom", fontsize=8.5,
                    color=PALETTE["blue"], zorder=3)
        if node.adjoint is not None:
            ax.text(x, y - half_h - 0.14, f"adjoint {node.adjoint:.4f}", ha="center", va="top", fontsize=8.5,
                    color=PALETTE["vermillion"], zorder=3)
    for edge in edges:
        (x0, y0), (x1, y1) = nodes[edge.source].position, nodes[edge.target].position
        start = (x0 + half_w, y0)
        end = (x1 - half_w, y1)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, lw=1.3,
                                     color=PALETTE["black"], zorder=1))
        if edge.local_derivative:
            mid_x, mid_y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            ax.text(mid_x, mid_y + 0.12, edge.local_derivative, ha="center", va="bottom", fontsize=8.5,
                    color=PALETTE["green"], zorder=3,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.9))
    xs = [node.position[0] for node in nodes.values()]
    ys = [node.position[1] for node in nodes.values()]
    ax.set_xlim(min(xs) - box_width, max(xs) + box_width)
    ax.set_ylim(min(ys) - 1.2, max(ys) + 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
