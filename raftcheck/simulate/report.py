"""A simulation's result as text and JSON. The counterexample itself is printed and exported by
the same code as explore's (checker/report.py, checker/export.py, diagrams/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from ..checker.report import duration
from ..checker.result import Counterexample, Outcome
from .coverage import Coverage
from .engine import SimulationRun, SimulationStats

NOT_EXHAUSTIVE = ("a simulation samples behaviours at random and proves nothing about the "
                  "others; explore checks every one")


def statistics_lines(stats: SimulationStats) -> list[str]:
    capped = " (counting stopped there)" if stats.distinct_capped else ""
    return [
        f"  walks               {stats.walks:,} ({stats.from_milestones:,} from milestones)",
        f"  steps               {stats.steps:,}",
        f"  distinct states     {stats.distinct:,}{capped} (no symmetry reduction)",
        f"  wall time           {duration(stats.seconds)}",
        f"  rate                {stats.rate:,.0f} steps/s",
    ]


def verdict_lines(run: SimulationRun, checked: list[str], *,
                  describe: Callable[[str], str]) -> list[str]:
    if run.outcome is Outcome.VIOLATED:
        assert run.found is not None
        prop = run.found.violation.property
        head = f"VIOLATED: {prop} — {describe(prop)}"
    elif run.outcome is Outcome.HOLDS:
        why = ("the --time-limit budget ran out" if run.stop_reason == "time-limit"
               else "every walk asked for was walked")
        head = (f"NO VIOLATION FOUND of {len(checked)} properties ({why}); not a proof: "
                f"{NOT_EXHAUSTIVE}.")
    else:
        head = "STOPPED: interrupted; no violation among the walks so far (partial statistics)."
    return [head, *statistics_lines(run.stats)]


def coverage_lines(cover: Coverage) -> list[str]:
    lines = ["action coverage (times taken):"]
    width = max((len(kind) for kind in cover.taken), default=0) + 2
    total = sum(cover.taken.values()) or 1
    for kind, times in sorted(cover.taken.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {kind:<{width}}{times:>12,}  {100 * times / total:5.1f}%")
    if cover.never_offered:
        lines.append("  never offered by the model: " + ", ".join(cover.never_offered))
    if cover.offered_not_taken:
        lines.append("  offered but never taken: " + ", ".join(cover.offered_not_taken))
    if not cover.never_taken:
        lines.append("  every action kind was taken")
    return lines


def title_line(cex: Counterexample, walked: int) -> str:
    """The counterexample's heading: how long, how long the walk was, and that it is not
    necessarily shortest."""
    shrunk = (f"shrunk from the walk's {walked}" if walked > cex.length
              else "the walk's own; shrinking removed nothing")
    return (f"Counterexample ({cex.length} steps, {shrunk}; not necessarily the shortest, "
            "explore finds that):")


def coverage_json(cover: Coverage) -> dict[str, Any]:
    return {"taken": dict(sorted(cover.taken.items())),
            "offered_not_taken": cover.offered_not_taken,
            "never_offered": cover.never_offered}


class SimulationProgress:
    """Live progress on stderr: one line, redrawn on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self.shown = False

    def __call__(self, stats: SimulationStats) -> None:
        line = (f"{stats.walks:,} walks | {stats.steps:,} steps | {stats.distinct:,} states | "
                f"{stats.rate:,.0f} steps/s | {duration(stats.seconds)}")
        self.stream.write("\r\x1b[2K" + line if self.live else line + "\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.live and self.shown:
            self.stream.write("\n")
            self.stream.flush()
