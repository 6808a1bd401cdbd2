"""Pure predicates over one round of ``endpoint status`` answers; the cluster's wait_* methods
poll them with a deadline. ``None`` in a status map means the member did not answer."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from raftcheck.harness.etcdctl import MemberStatus

Statuses = Mapping[str, MemberStatus | None]


def agreed_leader(statuses: Statuses, quorum: int, *, min_term: int = 0,
                  exclude: Collection[str] = ()) -> tuple[str, int] | None:
    """(name, term) of a member that reports itself leader at term >= ``min_term`` and that a
    quorum (itself included) reports as leader at that same term; else None.

    A leader cut off in a minority may still believe it leads, but it has no quorum behind it.
    """
    for st in statuses.values():
        if st is None or not st.is_leader or st.name in exclude or st.raft_term < min_term:
            continue
        votes = sum(1 for o in statuses.values()
                    if o is not None and o.leader_id == st.member_id
                    and o.raft_term == st.raft_term)
        if votes >= quorum:
            return st.name, st.raft_term
    return None


def caught_up(statuses: Statuses, name: str) -> MemberStatus | None:
    """``name``'s status once its applied index has reached the (highest-term) leader's."""
    me = statuses.get(name)
    leaders = [s for s in statuses.values() if s is not None and s.is_leader]
    if me is None or not leaders:
        return None
    top = max(leaders, key=lambda s: s.raft_term)
    return me if me.applied_index >= top.applied_index else None


def converged(statuses: Statuses, live: Collection[str]) -> dict[str, MemberStatus] | None:
    """The statuses of the ``live`` members once all answer with one leader (a live member that
    reports itself leader), one term and one applied index; else None."""
    answers = {n: statuses.get(n) for n in live}
    if not answers:
        return None
    views = {(s.leader_id, s.raft_term, s.applied_index) if s is not None else None
             for s in answers.values()}
    if len(views) != 1 or None in views:
        return None
    result = {n: s for n, s in answers.items() if s is not None}
    return result if any(s.is_leader for s in result.values()) else None
