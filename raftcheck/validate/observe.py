"""What each log format observes, and so what the absence of a line means.

Where a format logs every instance of a step (etcd logs every vote it casts), a step that the
logs of that node do not show did not happen: the checker is strict. Where it does not (hashicorp
1.1.2 never logs a granted vote on the voter's side), the checker assumes the unlogged step
happened if the spec allows it there, and checks that it does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Observes:
    terms: bool  # every change of currentTerm is logged with the new term
    vote_requests: bool  # a candidate logs every RequestVote it sends
    votes_cast: bool  # a voter logs every vote it grants
    votes_counted: bool  # a candidate logs every vote it counts
    elections: bool  # a node logs every time it becomes leader
    truncations: bool  # a node logs every removal of entries from its log (conflicts)
    configs: bool = True  # every configuration a node starts to use is logged by that node
    messages: bool = False  # every replication message sent is logged (and its receipt)
    acks: bool = False  # a leader's acknowledgements (its own included) are all logged
    # a candidate logs counting its own vote before it can win (etcd-raft polls itself
    # first; hashicorp may win before it reads its own answer)
    own_vote: bool = False
    precision: float | None  # clock resolution in seconds (None: no clock)


_ETCD = dict(terms=True, vote_requests=True, votes_cast=True, votes_counted=True, elections=True,
             truncations=True, own_vote=True)
# what is left when a format logs no step (etcd-raft transcripts at "log-level none")
_PARTIAL = dict(terms=False, vote_requests=False, votes_cast=False, votes_counted=False,
                elections=False, truncations=False, configs=False)

# hashicorp 1.1 logs few terms and neither side of a granted vote, but every log suffix it
# clears ("clearing log suffix")
_HASHICORP = dict(terms=False, vote_requests=False, votes_cast=False, votes_counted=True,
                  elections=True, truncations=True, configs=False)

FORMATS: dict[str, Observes] = {
    "etcd-capnslog": Observes(**_ETCD, precision=1.0),
    "etcd-zap": Observes(**_ETCD, precision=0.001),
    # the trace shows every message and state, but not which entries a conflict removed,
    # nor a candidate counting its own vote
    "etcd-raft-trace": Observes(**{**_ETCD, "truncations": False, "own_vote": False},
                                messages=True, acks=True, precision=1e-6),
    # transcripts log at info until a log-level command says otherwise (LoggingLevel events)
    "etcd-raft-interaction": Observes(**_ETCD, precision=None),
    "hashicorp-hclog": Observes(**_HASHICORP, precision=0.001),
    "hashicorp-hclog-json": Observes(**_HASHICORP, precision=1e-6),
}

# at info level hashicorp logs only the tally of an election won, not the votes counted
_HASHICORP_INFO = {**_HASHICORP, "votes_counted": False}
INFO_LEVEL: dict[str, Observes] = {
    "hashicorp-hclog": Observes(**_HASHICORP_INFO, precision=0.001),
    "hashicorp-hclog-json": Observes(**_HASHICORP_INFO, precision=1e-6),
}

NOTHING = Observes(**_PARTIAL, precision=None)

LOGGED_LEVELS = frozenset({"debug", "info"})
"""etcd-raft's log levels at which every step of the raft state machine is logged."""


def interaction_at(level: str) -> Observes:
    """What an etcd-raft transcript observes at a log level: at info and debug, raft logs every
    step (as in etcd's own logs), and the Ready output shows every message sent; at none
    (or warn, error), only the Ready output is left."""
    if level in LOGGED_LEVELS:
        return Observes(**_ETCD, precision=None)
    return NOTHING


def observes(fmt: str, debug: bool = True) -> Observes:
    """What a file of format ``fmt`` observes; ``debug``: it logs at debug level."""
    return FORMATS.get(fmt, NOTHING) if debug else INFO_LEVEL.get(fmt, FORMATS.get(fmt, NOTHING))
