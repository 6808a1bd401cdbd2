"""Where to put an arrow's label: somewhere along the arrow that covers the least.

Greedy and simple: each label tries points along its arrow, middle first, and takes the one whose
box overlaps the fewest notes, labels and arrow ends already placed (and, a lesser evil, crosses
the fewest lifelines). A placed label then becomes an obstacle for the next.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Fractions of the arrow's length to try, the middle first.
ALONG = (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78, 0.15, 0.85)
#: Offsets of the text baseline from the arrow: just above it, then just below it.
ACROSS = (-5.0, 14.0)


@dataclass(frozen=True)
class Box:
    x1: float
    y1: float
    x2: float
    y2: float

    def overlaps(self, other: Box) -> bool:
        return self.x1 < other.x2 and other.x1 < self.x2 and self.y1 < other.y2 \
            and other.y1 < self.y2


class Placer:
    """Obstacles so far: boxes that labels must not cover, and lifelines they should not cross."""

    def __init__(self, lifelines: list[float]) -> None:
        self.boxes: list[tuple[Box, float]] = []  # (box, cost of covering it)
        self.lifelines = lifelines

    def block(self, box: Box, cost: float = 100.0) -> None:
        self.boxes.append((box, cost))

    def cost(self, box: Box, t: float) -> float:
        covered = sum(cost for other, cost in self.boxes if box.overlaps(other))
        crossed = sum(1 for x in self.lifelines if box.x1 < x < box.x2)
        return covered + 4 * crossed + 6 * abs(t - 0.5)

    def place(self, start: tuple[float, float], end: tuple[float, float], width: float,
              height: float = 12.0) -> tuple[float, float]:
        """The baseline centre for a label of this size on the segment start-end; the label's
        box is then an obstacle."""
        (x1, y1), (x2, y2) = start, end
        best: tuple[float, float, float, Box] | None = None
        for dy in ACROSS:
            for t in ALONG:
                x, y = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t + dy
                box = Box(x - width / 2, y - height + 2, x + width / 2, y + 3)
                cost = self.cost(box, t) + (2 if dy > 0 else 0)
                if best is None or cost < best[0]:
                    best = (cost, x, y, box)
        assert best is not None
        self.block(best[3])
        return best[1], best[2]
