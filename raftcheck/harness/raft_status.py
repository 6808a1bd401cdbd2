"""A member's own Raft state, as etcd publishes it at ``/debug/vars`` (expvar ``raft.status``).

``etcdctl endpoint status`` reports as ``raftTerm`` the term of the last *applied* entry, which
stays put while a cut-off member campaigns; ``raft.status`` is the Raft node's state itself:
current term, vote, role (``StateLeader``, ``StateFollower``, ``StateCandidate``,
``StatePreCandidate``), leader, commit and applied indexes. The harness samples both.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RaftStatus:
    """One member's ``raft.status``; IDs lowercase hex, ``lead`` "0" when it knows none."""

    name: str
    member_id: str
    term: int
    vote: str
    state: str
    lead: str
    commit: int
    applied: int

    @property
    def is_leader(self) -> bool:
        return self.state == "StateLeader"

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def parse_raft_status(name: str, body: bytes) -> RaftStatus | None:
    """The ``raft.status`` of a ``/debug/vars`` answer, or None if it has none."""
    try:
        raw = json.loads(body).get("raft.status")
        if not isinstance(raw, dict):
            return None
        return RaftStatus(name, str(raw["id"]), int(raw["term"]), str(raw.get("vote", "0")),
                          str(raw["raftState"]), str(raw.get("lead", "0")),
                          int(raw["commit"]), int(raw.get("applied", 0)))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
