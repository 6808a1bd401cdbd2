"""z3's lease verdict and the explicit timed model's agree on every point of a small grid.

The two decide the same question independently: z3 over every real-valued clock behaviour of
an abstract scenario (raftcheck.timing.lease), the explicit model by running the real server
steps with drifting clocks (raftcheck.spec.timed). Each grid point runs the explicit model to
the end (1.5 to 2 minutes for the whole grid; see raftcheck.timing.crosscheck for the scope).
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from raftcheck.checker.report import counterexample_lines
from raftcheck.timing.crosscheck import GridPoint, explicit_run, grid_points, verdict, z3_stale

POINTS = list(grid_points())


def word(stale: bool) -> str:
    return "stale read" if stale else "safe"


@pytest.mark.parametrize("point", POINTS, ids=str)
def test_z3_and_explicit_model_agree(point: GridPoint) -> None:
    symbolic = z3_stale(*point.args())
    assert symbolic == (point.lease > point.bound), "z3 disagrees with its own closed form"
    model, result = explicit_run(*point.args())
    explicit = verdict(result)
    if explicit != symbolic:
        trace = ([] if result.counterexample is None
                 else counterexample_lines(result.counterexample, model.summary))
        pytest.fail("\n".join([f"{point} (bound {point.bound}): z3 says {word(symbolic)}, the "
                               f"explicit model says {word(explicit)} "
                               f"({result.stats.distinct} states)", *trace]))


def test_grid_has_both_verdicts_for_every_drift() -> None:
    """Agreement means something only if each drift has a safe and an unsafe lease, and the
    boundary case (a lease exactly on the bound, which must be safe) is among them."""
    verdicts: dict[object, set[bool]] = defaultdict(set)
    on_bound = set()
    for point in POINTS:
        verdicts[point.drift].add(z3_stale(*point.args()))
        if point.lease == point.bound:
            on_bound.add(point.drift)
    nonzero = [drift for drift in verdicts if drift]
    assert len(nonzero) >= 2
    for drift, seen in verdicts.items():
        assert seen == {True, False}, f"drift {drift}: only {word(seen.pop())} leases"
    assert on_bound == set(verdicts)
