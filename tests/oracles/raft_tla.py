"""A second, deliberately naive transcription of Ongaro's raft.tla, used only as a test oracle.

It shares no code with raftcheck: plain dicts and tuples, one function that enumerates raft.tla's
Next relation literally, TLC's state-constraint semantics, and a plain breadth-first search over
full states (no fingerprints, no interning, no caching). Slow, but obviously faithful, so the
counts raftcheck's raft-tla profile reports can be compared with it at small bounds.
"""

from __future__ import annotations

from collections import deque

FOLLOWER, CANDIDATE, LEADER = "F", "C", "L"


def explore(servers: int, max_term: int, max_log: int, max_msgs: int, max_dup: int,
            values: int = 1, limit: int = 3_000_000) -> tuple[int, int]:
    """(distinct states, depth as TLC counts it) of raft.tla under the state constraint."""
    rng = range(servers)

    def quorum(members: frozenset) -> bool:
        return 2 * len(members) > servers

    def last_term(log: tuple) -> int:
        return log[-1][0] if log else 0

    def send(bag: dict, m: tuple) -> dict:
        bag = dict(bag)
        bag[m] = bag.get(m, 0) + 1
        return bag

    def discard(bag: dict, m: tuple) -> dict:
        bag = dict(bag)
        if m in bag:
            bag[m] -= 1
            if bag[m] == 0:  # a bag: a message with no copies left is not in it
                del bag[m]
        return bag

    def freeze(bag: dict) -> frozenset:
        return frozenset(bag.items())

    def successors(state: tuple) -> list[tuple]:
        srv, msgs, elections, all_logs = state
        out = []
        new_all_logs = all_logs | frozenset(s[3] for s in srv)
        bag = dict(msgs)

        def emit(new_srv, new_bag=None, new_elections=None):
            out.append((new_srv, msgs if new_bag is None else freeze(new_bag),
                        elections if new_elections is None else new_elections, new_all_logs))

        def put(i, value):
            return tuple(value if k == i else srv[k] for k in rng)

        for i in rng:
            term, role, voted, log, commit, responded, granted, voter_log, nxt, match = srv[i]
            emit(put(i, (term, FOLLOWER, voted, log, 0, frozenset(), frozenset(), frozenset(),
                         (1,) * servers, (0,) * servers)))
            if role in (FOLLOWER, CANDIDATE):
                emit(put(i, (term + 1, CANDIDATE, None, log, commit, frozenset(), frozenset(),
                             frozenset(), nxt, match)))
            if role == CANDIDATE:
                for j in rng:
                    if j not in responded:
                        emit(srv, send(bag, ("RVQ", term, last_term(log), len(log), i, j)))
                if quorum(granted):
                    record = (term, i, log, granted, voter_log)
                    emit(put(i, (term, LEADER, voted, log, commit, responded, granted, voter_log,
                                 (len(log) + 1,) * servers, (0,) * servers)),
                         None, elections | {record})
            if role == LEADER:
                for v in range(1, values + 1):
                    emit(put(i, (term, role, voted, (*log, (term, v)), commit, responded,
                                 granted, voter_log, nxt, match)))
                agree = [k for k in range(1, len(log) + 1)
                         if quorum(frozenset({i} | {j for j in rng if match[j] >= k}))]
                new_commit = max(agree) if agree and log[max(agree) - 1][0] == term else commit
                emit(put(i, (term, role, voted, log, new_commit, responded, granted, voter_log,
                             nxt, match)))
                for j in rng:
                    if j == i:
                        continue
                    prev = nxt[j] - 1
                    prev_term = log[prev - 1][0] if prev > 0 else 0
                    last = min(len(log), nxt[j])
                    emit(srv, send(bag, ("AEQ", term, prev, prev_term, log[nxt[j] - 1:last], log,
                                         min(commit, last), i, j)))
        for m in bag:
            kind, mterm, i, j = m[0], m[1], m[-1], m[-2]
            term, role, voted, log, commit, responded, granted, voter_log, nxt, match = srv[i]
            if mterm > term:
                emit(put(i, (mterm, FOLLOWER, None, log, commit, responded, granted, voter_log,
                             nxt, match)))
            if kind == "RVQ" and mterm <= term:
                _, _, llt, lli, _, _ = m
                log_ok = llt > last_term(log) or (llt == last_term(log) and lli >= len(log))
                grant = mterm == term and log_ok and voted in (None, j)
                reply = ("RVR", term, grant, log, i, j)
                emit(put(i, (term, role, j if grant else voted, log, commit, responded, granted,
                             voter_log, nxt, match)), discard(send(bag, reply), m))
            elif kind == "RVR":
                if mterm < term:
                    emit(srv, discard(bag, m))
                elif mterm == term:
                    _, _, grant, mlog, _, _ = m
                    if grant:
                        if all(k != j for k, _ in voter_log):
                            voter_log = voter_log | {(j, mlog)}
                        granted = granted | {j}
                    emit(put(i, (term, role, voted, log, commit, responded | {j}, granted,
                                 voter_log, nxt, match)), discard(bag, m))
            elif kind == "AEQ" and mterm <= term:
                _, _, prev, prev_term, entries, _, mcommit, _, _ = m
                log_ok = prev == 0 or (0 < prev <= len(log) and prev_term == log[prev - 1][0])
                if mterm < term or (role == FOLLOWER and not log_ok):
                    emit(srv, discard(send(bag, ("AER", term, False, 0, i, j)), m))
                if mterm == term and role == CANDIDATE:
                    emit(put(i, (term, FOLLOWER, voted, log, commit, responded, granted,
                                 voter_log, nxt, match)))
                if mterm == term and role == FOLLOWER and log_ok:
                    index = prev + 1
                    if not entries or (len(log) >= index and log[index - 1][0] == entries[0][0]):
                        emit(put(i, (term, role, voted, log, mcommit, responded, granted,
                                     voter_log, nxt, match)),
                             discard(send(bag, ("AER", term, True, prev + len(entries), i, j)), m))
                    if entries and len(log) >= index and log[index - 1][0] != entries[0][0]:
                        emit(put(i, (term, role, voted, log[:-1], commit, responded, granted,
                                     voter_log, nxt, match)))
                    if entries and len(log) == prev:
                        emit(put(i, (term, role, voted, (*log, entries[0]), commit, responded,
                                     granted, voter_log, nxt, match)))
            elif kind == "AER":
                if mterm < term:
                    emit(srv, discard(bag, m))
                elif mterm == term:
                    _, _, success, mmatch, _, _ = m
                    nxt, match = list(nxt), list(match)
                    if success:
                        nxt[j], match[j] = mmatch + 1, mmatch
                    else:
                        nxt[j] = max(nxt[j] - 1, 1)
                    emit(put(i, (term, role, voted, log, commit, responded, granted, voter_log,
                                 tuple(nxt), tuple(match))), discard(bag, m))
            emit(srv, send(bag, m))
            emit(srv, discard(bag, m))
        return out

    def constraint(state: tuple) -> bool:
        srv, msgs, _, _ = state
        return (all(s[0] <= max_term and len(s[3]) <= max_log for s in srv)
                and sum(c for _, c in msgs) <= max_msgs
                and all(c <= max_dup for _, c in msgs))

    init_server = (1, FOLLOWER, None, (), 0, frozenset(), frozenset(), frozenset(),
                   (1,) * servers, (0,) * servers)
    init = (tuple(init_server for _ in rng), frozenset(), frozenset(), frozenset())
    depth_of = {init: 1}
    queue = deque([init])
    while queue:
        state = queue.popleft()
        for nxt in successors(state):
            if nxt not in depth_of and constraint(nxt):
                depth_of[nxt] = depth_of[state] + 1
                queue.append(nxt)
                if len(depth_of) > limit:
                    raise RuntimeError("state space larger than the oracle's limit")
    return len(depth_of), max(depth_of.values())
