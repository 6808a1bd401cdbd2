"""Each event kind matched to the spec actions that can produce it.

A handler takes one candidate World and one event and returns the Worlds in which the event is
the next observable step (usually one; several where the log leaves a choice open), or raises
:class:`~raftcheck.validate.world.Unexplained` naming the rule or property that no step
satisfies. Unobserved steps in between are assumed only where the format does not log them
(``observe.py``); docs/validate.md lists what each event constrains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from raftcheck.spec import invariants
from raftcheck.spec import server as spec
from raftcheck.spec.records import (
    NIL,
    MessageType,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Server,
    bits,
)
from raftcheck.spec.rules import Rules
from raftcheck.traces import events as ev
from raftcheck.traces.events import SourceRef

from .logshape import ShapeLog
from .observe import NOTHING, Observes
from .world import Committed, Unexplained, World, check_transition

ROLE_NAMES = {Role.FOLLOWER: "follower", Role.CANDIDATE: "candidate", Role.LEADER: "leader",
              Role.PRE_CANDIDATE: "pre-candidate"}
VOTE, VOTE_RESP = MessageType.REQUEST_VOTE_REQUEST, MessageType.REQUEST_VOTE_RESPONSE
PRE_VOTE, PRE_VOTE_RESP = spec.PRE_VOTE_REQUEST, spec.PRE_VOTE_RESPONSE
LEADER_MESSAGES = frozenset({"MsgApp", "MsgHeartbeat", "MsgSnap", "MsgTimeoutNow",
                             "AppendEntriesRequest", "InstallSnapshotRequest"})


@dataclass
class Context:
    """What the handlers share besides the World: the rules, node numbering, each node's
    format, and where things were first seen (for reports)."""

    rules: Rules
    node_format: dict[int, Observes] = field(default_factory=dict)
    leader_source: dict[tuple[int, int], SourceRef] = field(default_factory=dict)
    vote_source: dict[tuple[int, int], tuple[int, SourceRef]] = field(default_factory=dict)
    commit_source: SourceRef | None = None
    commit_seen: dict[int, SourceRef] = field(default_factory=dict)  # node -> its last commit
    numbers: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)

    def index(self, name: str) -> int:
        i = self.numbers.get(name)
        if i is None:
            digits = name[1:] if name[:1] == "n" and name[1:].isdigit() else ""
            i = int(digits) - 1 if digits and int(digits) - 1 not in self.names_taken() \
                else max([*self.numbers.values(), -1]) + 1
            self.numbers[name] = i
            while len(self.names) <= i:
                self.names.append(f"n{len(self.names) + 1}")
            self.names[i] = name
        return i

    def names_taken(self) -> set[int]:
        return set(self.numbers.values())

    def name(self, i: int) -> str:
        return self.names[i] if i < len(self.names) else f"n{i + 1}"

    def observes(self, i: int) -> Observes:
        return self.node_format.get(i, NOTHING)


Handler = Callable[[World, ev.Event, Context], Iterable[World]]


# --- helpers ---------------------------------------------------------------------------------


def _stub(term: int) -> RequestVoteRequest:
    """A message that only carries a term, for update_term (which reads nothing else)."""
    return RequestVoteRequest(VOTE, term, NIL, NIL, 0, 0)


def _role(s: Server) -> str:
    return f"{ROLE_NAMES[s.role]} at term {s.term}"


def current(w: World, i: int, e: ev.Event, cx: Context, term: int | None = None
            ) -> tuple[World, Server]:
    """Node i's record, created from this first observation if there is none yet."""
    s = w.server(i)
    if s is None:
        s = spec.initial_server(cx.rules)._replace(term=term or 0, log=ShapeLog())
        w = w.with_server(i, s)
    return w, s


def put(w: World, i: int, after: Server, cx: Context, what: str) -> World:
    check_transition(w.server(i), after, what)
    return w.with_server(i, after)


def at_term(w: World, i: int, term: int | None, e: ev.Event, cx: Context) -> World:
    """The event shows node i at ``term``: the same term, or a higher one reached by steps the
    format does not log (UpdateTerm); never a lower one (TermMonotonic)."""
    w, s = current(w, i, e, cx, term)
    if term is None or term == s.term:
        return w
    n = cx.name(i)
    if term < s.term:
        raise Unexplained("TermMonotonic", f"{n} is at term {term} here, but was already at "
                          f"term {s.term}: a server's currentTerm never decreases")
    if cx.observes(i).terms:
        raise Unexplained("UpdateTerm", f"{n} is at term {term} here, but its log last showed "
                          f"it at term {s.term} and this format logs every change of term")
    return put(w, i, spec.update_term(cx.rules, s, _stub(term)), cx, f"{n} adopts term {term}")


def reshape(w: World, i: int, log: ShapeLog, e: ev.Event, cx: Context, what: str) -> World:
    """Node i's log is now ``log``; it must still hold every committed entry it held."""
    s = w.server(i)
    assert s is not None
    # Only entries the node itself knows committed: its own log held exactly those (a
    # shorter or divergent log may hold other entries at the same indexes).
    known = min(s.commit_index, len(s.log))
    if len(log) < known:
        source = cx.commit_seen.get(i)
        where = f" (its commit index since {source})" if source else ""
        raise Unexplained(
            "LeaderCompleteness",
            f"{what}: {cx.name(i)} no longer holds entry {known}, which it knew committed"
            f"{where}; only a leader lacking a committed entry could make a follower remove "
            "it", (source,) if source else ())
    return put(w, i, s._replace(log=log), cx, what)


def _holds(log: ShapeLog, c: Committed) -> bool:
    return len(log) >= c.index and (c.term is None or log.term_at(c.index) == c.term)


def observe_log_end(w: World, i: int, index: int | None, term: int | None, e: ev.Event,
                    cx: Context, what: str) -> World:
    """The node's last entry is (index, term), by appends and truncations not logged."""
    if index is None or term is None:
        return w
    s = w.server(i)
    assert s is not None
    log = s.log.ending(index, term)
    return w if log == s.log else reshape(w, i, log, e, cx, what)


def observe_commit(w: World, i: int, index: int | None, e: ev.Event, cx: Context) -> World:
    """Node i's commitIndex is at least ``index``: entries up to it are committed."""
    if not index:
        return w
    s = w.server(i)
    assert s is not None
    # The entry's term is not taken from the shape: between glimpses, a ShapeLog's terms are
    # guesses. Known commits are compared by index (how many entries must survive).
    term = None
    new = Committed(index, term, s.term)
    old = w.committed
    if old is not None and old.index == index and None not in (old.term, term) \
            and old.term != term:
        raise Unexplained("StateMachineSafety", f"{cx.name(i)} commits entry {index} of term "
                          f"{term}, but entry {index} of term {old.term} was committed "
                          f"(at {cx.commit_source})", (cx.commit_source,)
                          if cx.commit_source else ())
    if index > s.commit_index:
        cx.commit_seen[i] = e.source
    w = w.with_server(i, s._replace(commit_index=max(s.commit_index, index)))
    if old is None or index > old.index:
        cx.commit_source = e.source
        return w._replace(committed=new)
    return w


def find(w: World, kind: int, src: int, dst: int, term: int | None = None,
         granted: bool | None = None, last: tuple[int | None, int | None] = (None, None)):
    """The sent messages of ``kind`` from src to dst matching what is given."""
    for m in w.sent:
        if m.type != kind or m.src != src or m.dst != dst:
            continue
        if term is not None and m.term != term:
            continue
        if granted is not None and m.vote_granted != granted:
            continue
        if kind in (VOTE, PRE_VOTE) and last[0] is not None and \
                (m.last_log_index, m.last_log_term) != last:
            continue
        yield m


def strict(cx: Context, w: World, j: int, what: str) -> bool:
    """Whether node j's own log would show ``what`` (j observed, its format logs it)."""
    return w.server(j) is not None and getattr(cx.observes(j), what)


# --- roles and terms -------------------------------------------------------------------------


def on_node_started(w: World, e: ev.NodeStarted, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    n = cx.name(i)
    s = w.server(i)
    if s is None:
        w, s = current(w, i, e, cx, e.term)
    else:
        w = put(w, i, spec.restart(cx.rules, i, s), cx, f"{n} restarts")
        if e.term is not None and e.term < s.term:
            raise Unexplained("TermMonotonic", f"{n} restarts at term {e.term}, but was at "
                              f"term {s.term}: currentTerm is persistent")
        w = at_term(w, i, e.term, e, cx)
        if e.vote is not None and w.server(i).voted_for not in (NIL, cx.index(e.vote)):
            raise Unexplained("VotedOncePerTerm", f"{n} restarts having voted for {e.vote}, "
                              f"but voted for {cx.name(w.server(i).voted_for)} in term "
                              f"{w.server(i).term}: votedFor is persistent")
    w = observe_log_end(w, i, e.last_index, e.last_term, e, cx, f"{n}'s log at restart")
    yield observe_commit(w, i, e.commit, e, cx)


def on_became_follower(w: World, e: ev.BecameFollower, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, s = current(w, i, e, cx, e.term)
    n = cx.name(i)
    if e.term is not None and e.term > s.term:
        yield put(w, i, spec.update_term(cx.rules, s, _stub(e.term)), cx,
                  f"{n} becomes follower at term {e.term}")
        return
    w = at_term(w, i, e.term, e, cx)
    yield _to_follower(w, i, cx, f"{n} becomes follower at term {s.term}")


def _to_follower(w: World, i: int, cx: Context, what: str) -> World:
    s = w.server(i)
    if s.role == Role.FOLLOWER:
        return w
    if s.role == Role.LEADER:
        after = spec.check_quorum_step_down(cx.rules, i, s)
        if after is None:
            raise Unexplained("LeaderStepDown", f"{what}: a leader leaves office only on "
                              "seeing a higher term (or by check-quorum, which is off)")
        return put(w, i, after, cx, what)
    # A (pre-)candidate hears from the leader of its term, or its pre-vote fails.
    return put(w, i, spec._clear_role_variables(cx.rules, s._replace(role=Role.FOLLOWER)),
               cx, what)


def on_stepped_down(w: World, e: ev.SteppedDown, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    s = w.server(i)
    after = spec.check_quorum_step_down(cx.rules, i, s)
    if after is None:
        if s.role == Role.FOLLOWER:
            yield w  # already a follower (a format that logs the step after the fact)
            return
        raise Unexplained("CheckQuorum", f"{cx.name(i)} steps down, but is {_role(s)}")
    yield put(w, i, after, cx, f"{cx.name(i)} steps down (check-quorum)")


def on_became_pre_candidate(w: World, e: ev.BecamePreCandidate, cx: Context
                            ) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    s = w.server(i)
    after = spec.pre_vote_timeout(cx.rules, i, s)
    if after is None:
        raise Unexplained("PreVote", f"{cx.name(i)} becomes pre-candidate, but is {_role(s)}")
    yield put(w, i, after, cx, f"{cx.name(i)} becomes pre-candidate")


def on_became_candidate(w: World, e: ev.BecameCandidate, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, s = current(w, i, e, cx, None if e.term is None else e.term - 1)
    n = cx.name(i)
    if e.term is not None and e.term - 1 > s.term:
        w = at_term(w, i, e.term - 1, e, cx)  # unobserved UpdateTerm (if the format allows)
        s = w.server(i)
    if s.role == Role.PRE_CANDIDATE:
        after = spec.pre_vote_won(cx.rules, i, s)
        if after is None and cx.observes(i).votes_counted:
            got = ", ".join(cx.name(k) for k in bits(s.votes_granted)) or "none"
            raise Unexplained("PreVote", f"{n} starts an election at term {s.term + 1} with "
                              f"pre-votes from {got}: not a quorum of {cx.rules.nodes}")
        after = after or spec.timeout(cx.rules, i, s)
    else:
        after = spec.timeout(cx.rules, i, s)
    if after is None:
        raise Unexplained("Timeout", f"{n} becomes candidate, but is {_role(s)}")
    if e.term is not None and after.term != e.term:
        raise Unexplained("Timeout", f"{n} becomes candidate at term {e.term} from term "
                          f"{s.term}: an election increments the term by one")
    yield put(w, i, after, cx, f"{n} becomes candidate at term {after.term}")


def on_became_leader(w: World, e: ev.BecameLeader, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    s = w.server(i)
    n, term = cx.name(i), s.term
    view = invariants.View((s,), cx.rules.nodes // 2 + 1, 0, w.elections | {(term, i)},
                           frozenset())
    if not invariants.election_safety(view):
        other = next(leader for t, leader in w.elections if t == term and leader != i)
        first = cx.leader_source.get((term, other))
        raise Unexplained("ElectionSafety", f"two leaders in term {term} — {cx.name(other)} at "
                          f"{first} and {n} at {e.source}", (first,) if first else ())
    if s.role == Role.CANDIDATE and not cx.observes(i).votes_counted:
        s = s._replace(votes_granted=(1 << cx.rules.nodes) - 1)  # votes not logged: assumed
    after = spec.become_leader(cx.rules, i, s)
    if after is None:
        if s.role != Role.CANDIDATE:
            raise Unexplained("BecomeLeader", f"{n} becomes leader at term {term}, but is "
                              f"{_role(s)}: only a candidate can win an election")
        got = ", ".join(cx.name(k) for k in bits(s.votes_granted)) or "none"
        raise Unexplained("BecomeLeader", f"{n} becomes leader at term {term} with votes from "
                          f"{got} only: not a quorum of {cx.rules.nodes}")
    c = w.committed
    if c is not None and c.by_term < term and not _holds(after.log, c) and \
            len(after.log) < c.index:
        raise Unexplained("LeaderCompleteness", f"{n} becomes leader at term {term} with "
                          f"{len(after.log)} entries, but entry {c.index} was committed "
                          f"(at {cx.commit_source})")
    cx.leader_source.setdefault((term, i), e.source)
    w = put(w, i, after, cx, f"{n} becomes leader at term {term}")
    yield w._replace(elections=w.elections | {(term, i)})


def on_term_observed(w: World, e: ev.TermObserved, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.old_term, e, cx)
    if e.term is None:
        yield w  # a format that does not print the term: the change shows later, if at all
        return
    s = w.server(i)
    if e.from_node is not None:
        w = _check_sender(w, cx.index(e.from_node), e.term, e.message_type or "", i, cx)
    if e.message_type == "MsgPreVote" or e.term <= s.term:
        yield w  # a pre-vote never changes the receiver's term
        return
    yield put(w, i, spec.update_term(cx.rules, s, _stub(e.term)), cx,
              f"{cx.name(i)} adopts term {e.term}")


def _check_sender(w: World, j: int, term: int, kind: str, i: int, cx: Context) -> World:
    """A message of ``kind`` from j at ``term`` reached i: could j have sent it?"""
    sj = w.server(j)
    if sj is None:
        return w  # j's log is not given: anything it might have sent is assumed
    n, nj = cx.name(i), cx.name(j)
    if kind in LEADER_MESSAGES:
        if (term, j) in w.elections:
            return w
        if not cx.observes(j).elections:
            return assume_leader(w, j, term, cx)
        raise Unexplained("AppendEntries", f"{n} receives {kind} from {nj} at term {term}, "
                          f"but {nj} never became leader at term {term} (only a leader "
                          "sends it)")
    if kind in ("MsgVote", "RequestVoteRequest"):
        if strict(cx, w, j, "vote_requests") and not any(find(w, VOTE, j, i, term)):
            raise Unexplained("RequestVote", f"{n} receives a vote request from {nj} at term "
                              f"{term} that {nj} never sent")
    elif cx.observes(j).terms and sj.term < term:
        raise Unexplained("UpdateTerm", f"{n} receives {kind} from {nj} at term {term}, but "
                          f"{nj} has not reached term {term}")
    return w


def assume_leader(w: World, i: int, term: int, cx: Context) -> World:
    """A format that does not log every election shows node i acting as leader of ``term``:
    it was elected unobserved, unless that contradicts ElectionSafety or its term."""
    other = next((x for t, x in w.elections if t == term and x != i), None)
    if other is not None:
        first = cx.leader_source.get((term, other))
        raise Unexplained("ElectionSafety", f"two leaders in term {term} — {cx.name(other)} "
                          f"at {first} and {cx.name(i)}, which acts as leader here",
                          (first,) if first else ())
    s = w.server(i)
    if s.term < term:
        w = put(w, i, spec.update_term(cx.rules, s, _stub(term)), cx,
                f"{cx.name(i)} adopts term {term}")
        s = w.server(i)
    if s.term == term and s.role != Role.LEADER:
        s = s._replace(role=Role.LEADER, next_index=(len(s.log) + 1,) * cx.rules.nodes,
                       match_index=(0,) * cx.rules.nodes)
        w = put(w, i, s, cx, f"{cx.name(i)} is leader at term {term}")
    return w._replace(elections=w.elections | {(term, i)})


def on_at_term(w: World, e: ev.Event, cx: Context) -> Iterable[World]:
    """Events that only show the node's current term."""
    yield at_term(w, cx.index(e.node), getattr(e, "term", None), e, cx)


def on_leader_known(w: World, e: ev.LeaderKnown, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    leader = cx.index(e.leader)
    if leader != i and e.term is not None:
        w = _check_sender(w, leader, e.term, "MsgApp", i, cx)
    yield w


# --- votes -----------------------------------------------------------------------------------


def on_vote_requested(w: World, e: ev.VoteRequested, cx: Context) -> Iterable[World]:
    i, j = cx.index(e.node), cx.index(e.voter)
    yield _request(w, i, j, e.term, e.last_log_index, e.last_log_term, e.prevote, e, cx)


def _request(w: World, i: int, j: int, term: int | None, index: int | None,
             log_term: int | None, prevote: bool, e: ev.Event, cx: Context) -> World:
    w = at_term(w, i, term, e, cx)
    n = cx.name(i)
    w = observe_log_end(w, i, index, log_term, e, cx, f"{n}'s log when campaigning")
    s = w.server(i)
    m = (spec.request_pre_vote if prevote else spec.request_vote)(cx.rules, i, j, s)
    if m is None:
        kind = "pre-vote" if prevote else "vote"
        raise Unexplained("RequestVote", f"{n} asks {cx.name(j)} for a {kind} at term "
                          f"{s.term}, but is {_role(s)}")
    return w._replace(sent=w.sent | {m})


def on_vote_cast(w: World, e: ev.VoteCast, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    n = cx.name(i)
    w = observe_log_end(w, i, e.last_log_index, e.last_log_term, e, cx, f"{n}'s log")
    if e.candidate is None:
        yield w
        return
    yield _vote(w, i, cx.index(e.candidate), e.granted, e.prevote,
                (e.candidate_last_log_index, e.candidate_last_log_term), e, cx)


def _vote(w: World, i: int, c: int, granted: bool, prevote: bool,
          last: tuple[int | None, int | None], e: ev.Event, cx: Context) -> World:
    """Voter i answers candidate c (HandleRequestVoteRequest)."""
    s = w.server(i)
    n, nc = cx.name(i), cx.name(c)
    if c == i:
        return w  # a candidate's own vote, counted when it became candidate
    if granted and not prevote and s.voted_for not in (NIL, c):
        first = cx.vote_source.get((i, s.term))
        where = f" at {first[1]}" if first else ""
        raise Unexplained("VotedOncePerTerm", f"{n} votes for {nc} in term {s.term}, but "
                          f"already voted for {cx.name(s.voted_for)}{where}",
                          (first[1],) if first else ())
    kind = PRE_VOTE if prevote else VOTE
    found = [m for m in find(w, kind, c, i, None, None, last)
             if (cx.rules.pre_vote_term_ok(s, m) if prevote and granted else
                 m.term == s.term if granted else True)]
    if found:
        m = max(found, key=lambda m: m.term)
    elif strict(cx, w, c, "vote_requests"):
        what = "pre-vote" if prevote else "vote"
        raise Unexplained("RequestVote", f"{n} answers a {what} request from {nc}, but {nc} "
                          f"sent none that fits (term {s.term}{'+' if prevote else ''})")
    else:
        li, lt = last
        sc = w.server(c)
        if li is None or lt is None:
            li, lt = (len(sc.log), sc.log.term_at(len(sc.log))) if sc else (0, 0)
        m = RequestVoteRequest(kind, s.term + 1 if prevote else s.term, c, i, lt, li)
    if prevote:
        handled = spec.handle_pre_vote_request(cx.rules, s, m)
        if granted and not handled.reply.vote_granted and \
                not cx.rules.candidate_log_ok(s.log, m):
            raise Unexplained("PreVote", f"{n} grants {nc} a pre-vote, but {nc}'s log "
                              f"(last entry {m.last_log_index} of term {m.last_log_term}) is "
                              "behind its own")
        reply = handled.reply._replace(vote_granted=granted,
                                       term=m.term if granted else s.term)
        return w._replace(sent=w.sent | {reply})
    handled = spec.handle_request_vote_request(cx.rules, s, m)
    if granted and not handled.reply.vote_granted:
        if not cx.rules.candidate_log_ok(s.log, m):
            raise Unexplained("RequestVote", f"{n} votes for {nc} in term {s.term}, but {nc}'s "
                              f"log (last entry {m.last_log_index} of term {m.last_log_term}) "
                              f"is not as up-to-date as {n}'s (last entry {len(s.log)} of "
                              f"term {s.log.term_at(len(s.log))})")
        raise Unexplained("RequestVote", f"{n} votes for {nc} in term {s.term}, a request of "
                          f"term {m.term}")
    if granted:
        cx.vote_source.setdefault((i, s.term), (c, e.source))
        w = put(w, i, handled.server, cx, f"{n} votes for {nc} in term {s.term}")
        reply = handled.reply
    else:
        reply = handled.reply._replace(vote_granted=False)
    return w._replace(sent=w.sent | {reply})


def on_vote_received(w: World, e: ev.VoteReceived, cx: Context) -> Iterable[World]:
    i, j = cx.index(e.node), cx.index(e.voter)
    yield _count(w, i, j, e.term, e.granted, e.prevote, e, cx)


def _count(w: World, i: int, j: int, term: int | None, granted: bool, prevote: bool,
           e: ev.Event, cx: Context) -> World:
    """Candidate i counts j's answer (HandleRequestVoteResponse)."""
    w = at_term(w, i, term, e, cx)
    s = w.server(i)
    n, nj = cx.name(i), cx.name(j)
    want = Role.PRE_CANDIDATE if prevote else Role.CANDIDATE
    if s.role != want:
        raise Unexplained("RequestVote", f"{n} counts a {'pre-' if prevote else ''}vote from "
                          f"{nj}, but is {_role(s)}")
    if j == i:
        return w
    kind = PRE_VOTE_RESP if prevote else VOTE_RESP
    rterm = s.term + 1 if prevote and granted else (None if prevote else s.term)
    found = next(find(w, kind, j, i, rterm, granted), None)
    if found is None:
        if strict(cx, w, j, "votes_cast"):
            what = ("granted" if granted else "refused") + (" a pre-vote" if prevote else
                                                            " its vote")
            raise Unexplained("RequestVote", f"{n} counts a vote from {nj} at term {s.term}, "
                              f"but {nj} never {what} to {n} in that term")
        w = _assume_vote(w, j, i, granted, prevote, e, cx)
        found = RequestVoteResponse(kind, rterm if rterm is not None else s.term, j, i,
                                    granted, ())
    handle = spec.handle_pre_vote_response if prevote else spec.handle_request_vote_response
    handled = handle(cx.rules, s, found)
    if handled is None:
        raise Unexplained("RequestVote", f"{n} counts a vote from {nj} of term {found.term} at "
                          f"term {s.term}")
    return put(w, i, handled.server, cx, f"{n} counts {nj}'s vote")


def _assume_vote(w: World, j: int, i: int, granted: bool, prevote: bool, e: ev.Event,
                 cx: Context) -> World:
    """j's log does not show the votes it grants: it voted unobserved, if the spec allows."""
    sj = w.server(j)
    if sj is None or prevote or not granted:
        return w
    si = w.server(i)
    if sj.term > si.term:
        return w  # it voted back in that term; its later steps were not all observed either
    if sj.term < si.term:
        w = at_term(w, j, si.term, e, cx)
    return _vote(w, j, i, True, False, (None, None), e, cx)


def on_votes_tallied(w: World, e: ev.VotesTallied, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    s = w.server(i)
    if e.granted is not None and s.role in (Role.CANDIDATE, Role.PRE_CANDIDATE):
        counted = s.votes_granted.bit_count()
        if counted != e.granted:
            got = ", ".join(cx.name(k) for k in bits(s.votes_granted)) or "none"
            raise Unexplained("RequestVote", f"{cx.name(i)} reports {e.granted} votes granted, "
                              f"but only {counted} were received ({got})")
    yield w


# --- log, commit -----------------------------------------------------------------------------


def on_entries_appended(w: World, e: ev.EntriesAppended, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, s = current(w, i, e, cx)
    if None in (e.first_index, e.last_index, e.term):
        yield w
        return
    log = s.log.with_entries(e.first_index, e.last_index, e.term)
    yield reshape(w, i, log, e, cx, f"{cx.name(i)} appends entries {e.first_index}.."
                  f"{e.last_index}")


def on_log_truncated(w: World, e: ev.LogTruncated, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, s = current(w, i, e, cx)
    if e.from_index > len(s.log) and e.conflicting_term is None:
        yield w
        return
    log = s.log.prefix(e.from_index - 1)
    if e.conflicting_term is not None:
        log = log.with_entries(e.from_index, e.from_index, e.conflicting_term)
    yield reshape(w, i, log, e, cx, f"{cx.name(i)} removes its entries from index "
                  f"{e.from_index}")


def on_commit(w: World, e: ev.Event, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, _ = current(w, i, e, cx)
    index = getattr(e, "commit_index", None) or getattr(e, "index", None) \
        or getattr(e, "commit", None)
    if isinstance(e, (ev.HardState, ev.StateObserved)):
        w = at_term(w, i, e.term, e, cx)
        if e.vote is not None:
            w = _observe_vote(w, i, cx.index(e.vote), e, cx)
    yield observe_commit(w, i, index, e, cx)


def _observe_vote(w: World, i: int, v: int, e: ev.Event, cx: Context) -> World:
    s = w.server(i)
    if s.voted_for == v or (v == i and s.role != Role.FOLLOWER):
        return w
    if s.voted_for != NIL:
        raise Unexplained("VotedOncePerTerm", f"{cx.name(i)}'s vote in term {s.term} is "
                          f"{cx.name(v)}, but it voted for {cx.name(s.voted_for)}")
    return w  # a vote whose request the format shows elsewhere (or not at all)


# --- messages (message-level formats) --------------------------------------------------------


def on_message_sent(w: World, e: ev.MessageSent, cx: Context) -> Iterable[World]:
    i, j = cx.index(e.src), cx.index(e.dst)
    f = e.fields
    if e.type in ("MsgVote", "MsgPreVote"):
        prevote = e.type == "MsgPreVote"
        term = None if e.term is None else e.term - (1 if prevote else 0)
        yield _request(w, i, j, term, f.get("index"), f.get("log_term"), prevote, e, cx)
    elif e.type in ("MsgVoteResp", "MsgPreVoteResp"):
        prevote = e.type == "MsgPreVoteResp"
        granted = not f.get("reject", False)
        w = at_term(w, i, None if prevote else e.term, e, cx)
        yield _vote(w, i, j, granted, prevote, (None, None), e, cx)
    elif e.type in LEADER_MESSAGES and e.type != "MsgTimeoutNow":
        w = at_term(w, i, e.term, e, cx)
        s = w.server(i)
        if s.role != Role.LEADER and not cx.observes(i).elections:
            w = assume_leader(w, i, s.term, cx)
        elif s.role != Role.LEADER:
            raise Unexplained("AppendEntries", f"{cx.name(i)} sends {e.type} at term {s.term}, "
                              f"but is {_role(s)}: only a leader sends it")
        yield w
    else:
        yield w


def on_message_received(w: World, e: ev.MessageReceived, cx: Context) -> Iterable[World]:
    i, j = cx.index(e.dst), cx.index(e.src)
    w, _ = current(w, i, e, cx)
    if e.type in ("MsgVoteResp", "MsgPreVoteResp") and i != j:
        s = w.server(i)
        prevote = e.type == "MsgPreVoteResp"
        want = Role.PRE_CANDIDATE if prevote else Role.CANDIDATE
        granted = not e.fields.get("reject", False)
        if s.role == want and (e.term == s.term or (prevote and granted and
                               e.term == s.term + 1)):
            yield _count(w, i, j, s.term, granted, prevote, e, cx)
            return
    elif e.term is not None and e.type in (*LEADER_MESSAGES, "MsgVote"):
        w = _check_sender(w, j, e.term, e.type, i, cx)
    yield w


def on_feature(w: World, e: ev.Event, cx: Context) -> Iterable[World]:
    yield w  # outside the model: noted by the engine, no state change


def on_nothing(w: World, e: ev.Event, cx: Context) -> Iterable[World]:
    yield w


HANDLERS: dict[type, Handler] = {
    ev.NodeStarted: on_node_started,
    ev.Membership: on_nothing,  # the engine reads it (cluster size, changes)
    ev.ConfigChange: on_feature,
    ev.BecameFollower: on_became_follower,
    ev.BecamePreCandidate: on_became_pre_candidate,
    ev.BecameCandidate: on_became_candidate,
    ev.BecameLeader: on_became_leader,
    ev.SteppedDown: on_stepped_down,
    ev.ElectionTimeout: on_at_term,
    ev.CampaignSkipped: on_at_term,
    ev.TermObserved: on_term_observed,
    ev.StaleMessageDropped: on_at_term,
    ev.VoteRequested: on_vote_requested,
    ev.VoteCast: on_vote_cast,
    ev.VoteIgnored: on_at_term,
    ev.VoteReceived: on_vote_received,
    ev.VotesTallied: on_votes_tallied,
    ev.VotesNeeded: on_nothing,
    ev.LeaderKnown: on_leader_known,
    ev.LeaderLost: on_at_term,
    ev.MessageSent: on_message_sent,
    ev.MessageReceived: on_message_received,
    ev.MessageDropped: on_nothing,
    ev.EntriesAppended: on_entries_appended,
    ev.CommitAdvanced: on_commit,
    ev.Applied: on_commit,
    ev.HardState: on_commit,
    ev.StateObserved: on_commit,
    ev.LogObserved: on_nothing,
    ev.LogTruncated: on_log_truncated,
    ev.AppendRejected: on_nothing,
    ev.ReplicationProgress: on_nothing,
    ev.Snapshot: on_feature,
    ev.LeadershipTransfer: on_feature,
    ev.RequestDropped: on_nothing,
    ev.FeatureUsed: on_feature,
    ev.TickMissed: on_nothing,
}
