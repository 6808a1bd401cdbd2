"""The terminal view: a compact lane per node (roles by colour on a terminal, by letter
everywhere), the table of terms, each election with its trigger and warnings, the diagnosis.
Written with rich; when the output is not a terminal rich drops the colours and the same
text remains."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .model import Timeline, hms
from .terms import term_rows

ROLE_MARK = {"leader": ("L", "bold black on green"), "candidate": ("C", "black on yellow"),
             "pre-candidate": ("p", "black on cyan"), "follower": ("-", "dim"),
             "down": ("x", "bold white on red")}
LEADERLESS = "on grey23"
LANE_WIDTH = 72


def secs(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f} s"


def render(t: Timeline, console: Console) -> None:
    span = (t.end - t.start).total_seconds() if t.start and t.end else 0.0
    nodes = ", ".join(f"{m.name} ({m.node})" for m in t.members.values())
    console.print(Text(f"raftcheck timeline: {t.run}", style="bold"))
    console.print(f"{t.implementation}, {len(t.members)} nodes: {nodes}")
    console.print(f"from {t.start:%Y-%m-%d %H:%M:%S.%f}"[:-3] + f" to {hms(t.end)} "
                  f"({span:.1f} s, {t.events} events){_timing(t)}")
    console.print()
    _lanes(t, console, span)
    console.print()
    _terms(t, console)
    _elections(t, console)
    _diagnosis(t, console)
    for note in t.notes:
        console.print(Text(f"note: {note}", style="dim"))
    if t.problems:
        console.print(Text(f"note: {len(t.problems)} raft line(s) did not parse (first: "
                           f"{t.problems[0]})", style="dim"))


def _timing(t: Timeline) -> str:
    settings = {(m.election_ms, m.heartbeat_ms, m.pre_vote) for m in t.members.values()}
    if len(settings) != 1:
        return ""
    election, heartbeat, pre_vote = settings.pop()
    parts = []
    if election:
        parts.append(f"election timeout {election} ms")
    if heartbeat:
        parts.append(f"heartbeat {heartbeat} ms")
    if pre_vote is not None:
        parts.append(f"pre-vote {'on' if pre_vote else 'off'}")
    return "; " + ", ".join(parts) if parts else ""


def _lanes(t: Timeline, console: Console, span: float) -> None:
    if t.start is None or span <= 0:
        return
    step = span / LANE_WIDTH
    console.print(f"lanes: one column = {step:.2f} s; L leader, C candidate, p pre-candidate, "
                  "- follower, x down; # no leader (start-up aside)")
    width = max(len("no leader"), *(len(m.name) for m in t.members.values()))
    for node, member in t.members.items():
        spans = [s for s in t.spans if s.node == node]
        line = Text(member.name.rjust(width) + " ")
        for col in range(LANE_WIDTH):
            start = t.start.timestamp() + col * step
            end = start + step
            covering = Counter[str]()
            for s in spans:
                overlap = min(end, s.end.timestamp()) - max(start, s.start.timestamp())
                if overlap > 0 or (s.start.timestamp() == s.end.timestamp()
                                   and start <= s.start.timestamp() < end):
                    covering[s.role] += max(overlap, 1e-9)
            role = _dominant(covering)
            mark, style = ROLE_MARK.get(role, (" ", "")) if role else (" ", "")
            if _leaderless(t, start, end):
                style = f"{style} {LEADERLESS}" if "on " not in style else style
            line.append(mark, style=style)
        console.print(line)
    marks = Text("no leader".rjust(width) + " ")
    for col in range(LANE_WIDTH):
        start = t.start.timestamp() + col * step
        marks.append("#" if _leaderless(t, start, start + step) else " ", style="red")
    console.print(marks)


def _dominant(covering: Counter[str]) -> str | None:
    """The role to show for one column: a short leadership, candidacy or outage shows even
    in a column mostly spent following."""
    for role in ("down", "leader", "candidate", "pre-candidate"):
        if covering.get(role, 0) > 0:
            return role
    return "follower" if covering else None


def _leaderless(t: Timeline, start: float, end: float) -> bool:
    return any(w.start.timestamp() < end and (w.end is None or w.end.timestamp() > start)
               for w in t.windows if not w.startup)


def _terms(t: Timeline, console: Console) -> None:
    table = Table(title="Terms", title_justify="left", show_lines=False)
    for col in ("term", "pre-vote", "vote", "leader", "elected at", "no leader before",
                "stepped down"):
        table.add_column(col, overflow="fold", no_wrap=col in ("elected at", "term"))
    for r in term_rows(t):
        window = r.window
        before = ("-" if window is None else
                  f"{secs(window.seconds)}{' (start-up)' if window.startup else ''}")
        down = "-"
        if r.tenure is not None and r.tenure.end is not None:
            down = f"{hms(r.tenure.end)} {r.tenure.reason}"
        elif r.tenure is not None:
            down = r.tenure.reason
        table.add_row(str(r.term), ", ".join(t.name(n) for n in r.pre_vote) or "-",
                      ", ".join(t.name(n) for n in r.vote) or "-",
                      Text(t.name(r.leader), style="green") if r.leader else Text("none",
                                                                                 style="red"),
                      hms(r.elected_at), before, down)
    console.print(table)


def _elections(t: Timeline, console: Console) -> None:
    console.print(Text("Elections", style="italic"))
    for e in t.elections:
        trig = e.trigger
        window = e.window
        head = Text(f"term {e.term}: {t.name(e.leader)} at {hms(e.at)}", style="bold")
        if window is not None and not window.startup:
            head.append(f", after {secs(window.seconds)} without a leader (from "
                        f"{hms(window.start)})", style="")
        console.print(head)
        if trig is not None:
            console.print(f"  trigger: {trig.kind}: {trig.summary}")
            if trig.began and trig.began[0] != trig.began[1]:
                console.print(f"  the fault began between {hms(trig.began[0])} and "
                              f"{hms(trig.began[1])}")
            if trig.evidence:
                console.print(Text("  evidence: " + ", ".join(str(s) for s in trig.evidence),
                                   style="dim"))
        if e.warnings:
            counts = Counter((w.kind, t.name(w.node)) for w in e.warnings)
            shown = ", ".join(f"{k} x{n} on {node}" if n > 1 else f"{k} on {node}"
                              for (k, node), n in counts.most_common(6))
            more = " ..." if len(counts) > 6 else ""
            console.print(Text(f"  warnings before it: {shown}{more}", style="yellow"))
    console.print()


def _diagnosis(t: Timeline, console: Console) -> None:
    console.print(Text("Diagnosis", style="italic"))
    for f in t.findings:
        good = f.kind == "no-trouble"
        console.print(Text(("ok  " if good else "!!  ") + f.title,
                           style="bold green" if good else "bold red"))
        if f.detail:
            console.print(f"    {f.detail}")
        if f.advice:
            console.print(Text(f"    what to do: {f.advice}", style="cyan"))
        if f.evidence:
            shown = ", ".join(str(s) for s in f.evidence[:6])
            more = f" (+{len(f.evidence) - 6} more)" if len(f.evidence) > 6 else ""
            console.print(Text(f"    evidence: {shown}{more}", style="dim"))
    console.print()
