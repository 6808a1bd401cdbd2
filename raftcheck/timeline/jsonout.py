"""The timeline as JSON: times in RFC 3339 UTC, nodes by the name operators know them by
(etcd's --name, else their id in the logs), every claim with its ``file:line`` evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from raftcheck.traces.events import SourceRef

from .model import Campaign, Finding, LoggedWarning, Timeline, Trigger, Window
from .terms import term_rows


def rfc3339(t: datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _src(s: SourceRef | None) -> str | None:
    return None if s is None else str(s)


def timeline_json(t: Timeline) -> dict[str, Any]:
    name = t.name
    return {
        "run": t.run,
        "implementation": t.implementation,
        "start": rfc3339(t.start),
        "end": rfc3339(t.end),
        "members": [{"name": m.name, "node": m.node, "ids": m.ids, "files": m.files,
                     "election_timeout_ms": m.election_ms, "heartbeat_ms": m.heartbeat_ms,
                     "pre_vote": m.pre_vote} for m in t.members.values()],
        "elections": [{
            "term": e.term, "leader": name(e.leader), "at": rfc3339(e.at),
            "source": str(e.source),
            "previous_leader": name(e.previous.leader) if e.previous else None,
            "leaderless_seconds": e.window.seconds if e.window else None,
            "trigger": _trigger(e.trigger, t),
            "campaigns": [_campaign(c, t) for c in e.campaigns],
            "warnings": [_warning(w, t) for w in e.warnings],
        } for e in t.elections],
        "leaderless": [_window(w) for w in t.windows],
        "terms": [{
            "term": r.term, "pre_vote": [name(n) for n in r.pre_vote],
            "vote": [name(n) for n in r.vote], "leader": name(r.leader) if r.leader else None,
            "elected_at": rfc3339(r.elected_at),
            "leaderless_seconds": r.window.seconds if r.window else None,
            "stepped_down": None if r.tenure is None or r.tenure.end is None else {
                "leader": name(r.tenure.leader), "at": rfc3339(r.tenure.end),
                "why": r.tenure.reason, "source": _src(r.tenure.end_source)},
        } for r in term_rows(t)],
        "warnings": [_warning(w, t) for w in t.warnings],
        "diagnosis": [_finding(f, t) for f in t.findings],
        "clock_skew": [{"node": name(s.node), "reference": name(s.reference),
                        "ahead_at_least": _finite(s.low), "ahead_at_most": _finite(s.high),
                        "corrected_by": s.applied,
                        "evidence": [str(x) for x in s.evidence]} for s in t.skews],
        "notes": t.notes,
        "problems": t.problems,
        "events": t.events,
    }


def _finite(x: float) -> float | None:
    return x if abs(x) != float("inf") else None


def _trigger(trigger: Trigger | None, t: Timeline) -> dict[str, Any] | None:
    if trigger is None:
        return None
    return {"kind": trigger.kind, "summary": trigger.summary, "at": rfc3339(trigger.at),
            "began": None if trigger.began is None else [rfc3339(x) for x in trigger.began],
            "evidence": [str(s) for s in trigger.evidence]}


def _campaign(c: Campaign, t: Timeline) -> dict[str, Any]:
    return {"node": t.name(c.node), "term": c.term, "pre_vote": c.prevote,
            "at": rfc3339(c.at), "outcome": c.outcome, "source": str(c.source)}


def _warning(w: LoggedWarning, t: Timeline) -> dict[str, Any]:
    return {"node": t.name(w.node), "at": rfc3339(w.at), "kind": w.kind, "text": w.text,
            "peer": t.name(w.peer) if w.peer else None, "seconds": w.seconds,
            "election": w.election, "source": str(w.source)}


def _window(w: Window) -> dict[str, Any]:
    return {"start": rfc3339(w.start), "end": rfc3339(w.end), "seconds": w.seconds,
            "startup": w.startup, "shutdown": w.shutdown, "start_source": _src(w.start_source),
            "end_source": _src(w.end_source), "note": w.note or None}


def _finding(f: Finding, t: Timeline) -> dict[str, Any]:
    return {"kind": f.kind, "title": f.title, "detail": f.detail, "advice": f.advice,
            "nodes": [t.name(n) for n in f.nodes], "start": rfc3339(f.start),
            "end": rfc3339(f.end), "evidence": [str(s) for s in f.evidence]}
