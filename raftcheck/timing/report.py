"""A LeaseVerdict as text for people and as JSON for tools."""

from __future__ import annotations

from fractions import Fraction

from .lease import ABOVE_BOUNDARY, INEQUALITY, LeaseQuestion, LeaseVerdict, Timeline


def decimal(value: Fraction, places: int = 4) -> str:
    text = f"{float(round(value, places)):.{places}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def exact_text(value: Fraction) -> str:
    return str(value)


def describe(question: LeaseQuestion) -> str:
    q = question
    timeout = decimal(q.election_min) if q.election_max == q.election_min else \
        f"{decimal(q.election_min)}..{decimal(q.election_max)}"
    return (f"election timeout {timeout}, heartbeat {decimal(q.heartbeat)}, "
            f"lease {decimal(q.lease)}, drift {decimal(q.drift, 6)} "
            f"(clock rates {decimal(q.slowest, 6)}..{decimal(q.fastest, 6)} of real time), "
            f"{q.nodes} servers")


def timeline_lines(timeline: Timeline) -> list[str]:
    rows = [("real time", "node", "local time", "event")]
    rows += [(decimal(e.real), e.node, decimal(e.local), e.what) for e in timeline.events]
    widths = [max(len(row[k]) for row in rows) for k in range(3)]
    lines = ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
             + "  " + row[3] for row in rows]
    rates = ", ".join(f"{node} {decimal(rate, 6)}" for node, rate in timeline.rates.items())
    lines.append(f"  clock rates (local per real time unit; every clock reads 0 at real 0): "
                 f"{rates}")
    return lines


def why_safe_lines(question: LeaseQuestion, bound: Fraction) -> list[str]:
    q = question
    real_wait = q.election_min / q.fastest
    return [
        "  why: every quorum of votes for a new leader holds a follower that acknowledged n1's",
        f"  round; it grants no vote until {decimal(q.election_min)} has passed on its own clock, "
        f"which takes at least",
        f"  {decimal(q.election_min)} / {decimal(q.fastest, 6)} = {decimal(real_wait)} of real "
        f"time; by then n1's clock has advanced at least",
        f"  {decimal(real_wait)} * {decimal(q.slowest, 6)} = {decimal(bound)} >= lease "
        f"{decimal(q.lease)}, so n1's lease has run out before any other leader commits.",
    ]


def verdict_lines(verdict: LeaseVerdict) -> list[str]:
    q = verdict.question
    lines = [f"raftcheck lease: {describe(q)}", ""]
    if verdict.safe:
        lines.append("SAFE: under every clock behaviour within the drift bound, n1's lease runs "
                     "out before another leader can commit.")
        lines.append(f"  {verdict.inequality}")
        lines += why_safe_lines(q, verdict.closed_form)
    else:
        lines.append("UNSAFE: the old leader n1 can serve a stale lease read.")
        lines.append(f"  {verdict.inequality}")
        lines.append("")
        if verdict.timeline is not None:
            lines += timeline_lines(verdict.timeline)
    best = verdict.largest_safe_lease
    lines.append("")
    shown = decimal(best)
    if Fraction(shown) != best:
        shown += f" (exactly {exact_text(best)})"
    lines.append(f"largest safe lease: {shown} = {decimal(q.election_min)} * "
                 f"{decimal(q.slowest, 6)} / {decimal(q.fastest, 6)}")
    check = "z3's minimum equals the closed form" if best == verdict.closed_form else \
        f"z3's minimum differs from the closed form {exact_text(verdict.closed_form)}"
    if verdict.boundary_confirmed is True:
        check += (f"; z3 finds lease {exact_text(best)} safe and a lease "
                  f"{decimal(ABOVE_BOUNDARY * 100, 6)}% longer unsafe")
    elif verdict.boundary_confirmed is False:
        check += "; z3's boundary check FAILED"
    lines.append(f"  {check}")
    for note in verdict.notes:
        lines.append(f"note: {note}")
    return lines


def json_number(value: Fraction) -> int | float:
    return value.numerator if value.denominator == 1 else float(value)


def verdict_json(verdict: LeaseVerdict, exit_code: int) -> dict:
    q = verdict.question
    out: dict = {
        "verdict": "safe" if verdict.safe else "unsafe",
        "exit_code": exit_code,
        "question": {"election_min": json_number(q.election_min),
                     "election_max": json_number(q.election_max),
                     "heartbeat": json_number(q.heartbeat), "lease": json_number(q.lease),
                     "drift": json_number(q.drift), "nodes": q.nodes},
        "condition": INEQUALITY,
        "inequality": verdict.inequality,
        "largest_safe_lease": json_number(verdict.largest_safe_lease),
        "largest_safe_lease_exact": exact_text(verdict.largest_safe_lease),
        "closed_form_exact": exact_text(verdict.closed_form),
        "boundary_confirmed": verdict.boundary_confirmed,
        "agrees": verdict.agrees,
        "notes": list(verdict.notes),
        "timeline": None,
    }
    t = verdict.timeline
    if t is not None:
        out["timeline"] = {
            "old_leader": t.old_leader, "new_leader": t.new_leader,
            "acknowledged": list(t.acknowledged), "voters": list(t.voters),
            "rates": {node: json_number(r) for node, r in t.rates.items()},
            "timeouts": {node: json_number(x) for node, x in t.timeouts.items()},
            "events": [{"real": json_number(e.real), "node": e.node,
                        "local": json_number(e.local), "kind": e.kind, "what": e.what,
                        "real_exact": exact_text(e.real), "local_exact": exact_text(e.local)}
                       for e in t.events],
        }
    return out
