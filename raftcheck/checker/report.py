"""Search results as text for people: the verdict, the statistics, and a counterexample one
step a line with what the step changed.

What changed comes from the model's summary(state): a flat dict of short strings whose keys
are "group.field" (grouped on one line per group) or free-standing ("net: <message>").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .result import Counterexample, Outcome, SearchResult, Statistics


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)}m {seconds:04.1f}s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)}h {int(minutes):02d}m {int(seconds):02d}s"


def statistics_lines(stats: Statistics, symmetry: bool) -> list[str]:
    reduced = " (after symmetry reduction)" if symmetry else ""
    return [
        f"  distinct states     {stats.distinct:,}{reduced}",
        f"  states generated    {stats.generated:,}",
        f"  depth               {stats.depth}",
        f"  wall time           {duration(stats.seconds)}",
        f"  rate                {stats.rate:,.0f} distinct states/s",
        f"  collision chance    {stats.collision_probability:.1e} "
        "(fingerprint collision, optimistic estimate as TLC computes it)",
    ]


def progress_line(stats: Statistics) -> str:
    return (f"{stats.distinct:,} states | queue {stats.queue:,} | depth {stats.depth} | "
            f"{stats.rate:,.0f} states/s | {duration(stats.seconds)}")


def grouped(summary: dict[str, str]) -> dict[str, dict[str, str]]:
    """{"n1.term": "2", "net: m": "x1"} -> {"n1": {"term": "2"}, "net: m": {"": "x1"}}"""
    out: dict[str, dict[str, str]] = {}
    for key, value in summary.items():
        group, dot, field = key.partition(".")
        if not dot or " " in group:
            group, field = key, ""
        out.setdefault(group, {})[field] = value
    return out


def state_lines(summary: dict[str, str], indent: str = "      ") -> list[str]:
    lines = []
    for group, fields in grouped(summary).items():
        if list(fields) == [""]:
            lines.append(f"{indent}{group} = {fields['']}")
        else:
            lines.append(f"{indent}{group}: " + ", ".join(f"{f} {v}" for f, v in fields.items()))
    return lines


def change_lines(before: dict[str, str], after: dict[str, str],
                 indent: str = "      ") -> list[str]:
    """What a step changed, one line per group (a server, the network, ...)."""
    old, new = grouped(before), grouped(after)
    lines = []
    for group in [*old, *(g for g in new if g not in old)]:
        a, b = old.get(group), new.get(group)
        if a == b:
            continue
        if a is None or b is None:
            sign, fields = ("+", b) if a is None else ("-", a)
            value = fields.get("") if list(fields) == [""] else None
            detail = f" ({value})" if value not in (None, "x1") else ""
            lines.append(f"{indent}{sign} {group}{detail}")
            continue
        changes = [
            f"{f} {a.get(f, '-')} -> {b.get(f, '-')}".strip()
            for f in [*a, *(f for f in b if f not in a)] if a.get(f) != b.get(f)
        ]
        lines.append(f"{indent}{group}: " + ", ".join(changes))
    return lines or [f"{indent}(no visible change)"]


#: Printed under the step whose state a lasso's cycle starts from.
LOOP_MARK = "     ---- the cycle starts here: the last step comes back to this state ----"


def counterexample_lines(cex: Counterexample,
                         summary: Callable[[Any], dict[str, str]]) -> list[str]:
    loop = cex.loop_start
    if loop is None:
        lines = [f"Shortest counterexample ({cex.length} steps):"]
    else:
        cycle = cex.length - loop
        lines = [f"Counterexample, a lasso: a prefix of {loop} step{'s' * (loop != 1)}, then a "
                 f"cycle of {cycle} step{'s' * (cycle != 1)} repeated forever:"]
    lines.append("  0  initial state")
    previous = summary(cex.steps[0].state)
    lines += state_lines(previous)
    if loop == 0:
        lines.append(LOOP_MARK)
    for i, step in enumerate(cex.steps[1:], 1):
        current = summary(step.state)
        lines.append(f"{i:3d}  {step.action}")
        lines += change_lines(previous, current)
        previous = current
        if i == loop:
            lines.append(LOOP_MARK)
    if loop is not None:
        lines.append(f"     the behaviour loops back to step {loop} from here, forever; "
                     f"along it {cex.property} fails")
    elif cex.kind == "transition":
        lines.append(f"     the last step breaks {cex.property}")
    else:
        lines.append(f"     the last state violates {cex.property}")
    return lines


def verdict_lines(result: SearchResult, *, symmetry: bool,
                  describe: Callable[[str], str] | None = None) -> list[str]:
    if result.outcome is Outcome.HOLDS:
        head = (f"HOLDS: all {len(result.checked)} properties hold in every reachable state "
                "within the bounds.")
    elif result.outcome is Outcome.VIOLATED:
        cex = result.counterexample
        assert cex is not None
        head = f"VIOLATED: {cex.property}"
        if describe:
            head += f" — {describe(cex.property)}"
    else:
        reason = {"max-states": "the --max-states budget was reached",
                  "time-limit": "the --time-limit budget ran out",
                  "interrupted": "interrupted"}.get(result.stop_reason or "", result.stop_reason)
        head = (f"STOPPED: {reason} before the search finished; no violation among the states "
                "explored so far (partial statistics below).")
    return [head, *statistics_lines(result.stats, symmetry)]


def liveness_verdict_lines(result: SearchResult) -> list[str]:
    """The verdict of a liveness check (liveness.LivenessResult): one line per property, then
    the statistics of the state graph."""
    verdicts: dict[str, Outcome] = getattr(result, "verdicts", {})
    if result.outcome is Outcome.HOLDS:
        head = (f"HOLDS: all {len(result.checked)} liveness properties hold on every fair "
                "behaviour within the bounds.")
    elif result.outcome is Outcome.VIOLATED:
        broken = [name for name, v in verdicts.items() if v is Outcome.VIOLATED]
        head = (f"VIOLATED: {', '.join(broken)} — a fair behaviour breaks "
                f"{'it' if len(broken) == 1 else 'each'}")
    else:
        head = (f"STOPPED: {result.stop_reason} before the state graph was complete; no "
                "violation among the states explored so far.")
    lines = [head]
    width = max((len(name) for name in verdicts), default=0) + 2
    lines += [f"  {name:<{width}}{verdict}" for name, verdict in verdicts.items()]
    lines += statistics_lines(result.stats, symmetry=False)
    lines += [f"  note: {note}" for note in result.notes]
    return lines
