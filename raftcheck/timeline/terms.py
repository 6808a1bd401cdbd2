"""The table of terms, shared by every output: for each term, who campaigned (pre-vote and
vote), who won and when, how long the cluster had no leader before, who stepped down and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .model import Election, Tenure, Timeline, Window


@dataclass
class TermRow:
    term: int
    pre_vote: list[str] = field(default_factory=list)  # nodes that asked for this term
    vote: list[str] = field(default_factory=list)  # nodes that campaigned at this term
    leader: str | None = None
    elected_at: datetime | None = None
    election: Election | None = None
    window: Window | None = None
    tenure: Tenure | None = None


def term_rows(timeline: Timeline) -> list[TermRow]:
    rows: dict[int, TermRow] = {}
    for c in timeline.campaigns:
        if c.term is None:
            continue
        row = rows.setdefault(c.term, TermRow(c.term))
        names = row.pre_vote if c.prevote else row.vote
        if c.node not in names:
            names.append(c.node)
    for e in timeline.elections:
        if e.term is None:
            continue
        row = rows.setdefault(e.term, TermRow(e.term))
        row.leader, row.elected_at, row.election, row.window = e.leader, e.at, e, e.window
    for t in timeline.tenures:
        if t.term is not None and t.term in rows:
            rows[t.term].tenure = t
    return [rows[t] for t in sorted(rows)]
