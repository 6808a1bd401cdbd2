"""Each event kind matched to the spec actions that can produce it: roles, terms and votes.

A handler takes one candidate World and one event and returns the Worlds in which the event is
the next observable step (usually one; several where the log leaves a choice open), or raises
:class:`~raftcheck.validate.world.Unexplained` naming the rule or property that no step
satisfies. Unobserved steps in between are assumed only where the format does not log them
(``observe.py``); docs/validate.md lists what each event constrains. The log half (appends,
commits, messages of replication) is in ``replication.py``; the table of handlers in
``handlers.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from raftcheck.spec import server as spec
from raftcheck.spec.quorum import Configuration
from raftcheck.spec.records import (
    NIL,
    MessageType,
    RequestVoteRequest,
    RequestVoteResponse,
    Server,
    bits,
)
from raftcheck.traces import events as ev

from .context import Context
from .knowledge import EMPTY_LOG, KnownLog
from .logcheck import change_log, check_leader_complete, check_restart_keeps, keep, observe_commit
from .observe import interaction_at
from .world import (
    CANDIDATE,
    FOLLOWER,
    LEADER,
    PRE_CANDIDATE,
    Missing,
    Unexplained,
    World,
    check_transition,
    with_log,
)

ROLE_NAMES = {FOLLOWER: "follower", CANDIDATE: "candidate", LEADER: "leader",
              PRE_CANDIDATE: "pre-candidate"}
VOTE, VOTE_RESP = MessageType.REQUEST_VOTE_REQUEST, MessageType.REQUEST_VOTE_RESPONSE
PRE_VOTE, PRE_VOTE_RESP = MessageType.PRE_VOTE_REQUEST, MessageType.PRE_VOTE_RESPONSE
LEADER_MESSAGES = frozenset({"MsgApp", "MsgHeartbeat", "MsgSnap", "MsgTimeoutNow",
                             "AppendEntriesRequest", "InstallSnapshotRequest"})

Handler = Callable[[World, ev.Event, Context], Iterable[World]]


# --- helpers ---------------------------------------------------------------------------------


def _stub(term: int) -> RequestVoteRequest:
    """A message that only carries a term, for update_term (which reads nothing else)."""
    return RequestVoteRequest(VOTE, term, NIL, NIL, 0, 0)


def describe_role(s: Server) -> str:
    return f"{ROLE_NAMES[s.role]} at term {s.term}"


def current(w: World, i: int, e: ev.Event, cx: Context, term: int | None = None
            ) -> tuple[World, Server]:
    """Node i's record, created from this first observation if there is none yet (its log
    unknown)."""
    s = w.server(i)
    if s is None:
        s = spec.initial_server(cx.rules)._replace(term=term or 0, log=KnownLog())
        w = w.with_server(i, s)
    elif s.log.length is not None and s.role in (FOLLOWER, LEADER):
        # a follower or leader may have appended since a line showed its log's length
        s = with_log(s, s.log.demoted())
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
    never_lower(s, term, n)
    if cx.observes(i).terms:
        raise Unexplained("UpdateTerm", f"{n} is at term {term} here, but its log last showed "
                          f"it at term {s.term} and this format logs every change of term")
    return adopt_term(w, i, term, cx)


def never_lower(s: Server, term: int | None, n: str) -> None:
    """TermMonotonic: a line shows node n at ``term``, never below the term it was at."""
    if term is not None and term < s.term:
        raise Unexplained("TermMonotonic", f"{n} is at term {term} here, but was already at "
                          f"term {s.term}: a server's currentTerm never decreases")


def adopt_term(w: World, i: int, term: int, cx: Context) -> World:
    """UpdateTerm: node i sees a higher term and becomes its follower."""
    s = w.server(i)
    assert s is not None
    return put(w, i, spec.update_term(cx.rules, s, _stub(term)), cx,
               f"{cx.name(i)} adopts term {term}")


def observe_log_end(w: World, i: int, index: int | None, term: int | None, e: ev.Event,
                    cx: Context, what: str, *, restart: bool = False) -> World:
    """The node's last entry is (index, term), by appends and truncations not logged."""
    if index is None or term is None:
        return w
    return change_log(w, i, lambda log: log.ending(index, term), e, cx, what, restart=restart)


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


def strict(cx: Context, w: World, j: int, what: str, term: int | None = None) -> bool:
    """Whether node j's own log would show ``what`` (j observed, its format logs it), of
    ``term`` if given (a log that began mid-run shows nothing of the terms before it began)."""
    return w.server(j) is not None and getattr(cx.observes(j), what) and \
        not (cx.began_at and cx.before_log(j, term))


# --- start -----------------------------------------------------------------------------------


def on_node_started(w: World, e: ev.NodeStarted, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    n = cx.name(i)
    s = w.server(i)
    if e.peers:
        cx.set_config(i, Configuration(node_bits(e.peers, cx)))
    if s is None:
        w, s = current(w, i, e, cx, e.term)
        if e.last_index == 0:
            w = w.with_server(i, with_log(s, EMPTY_LOG))
        restart = False
    else:
        if e.term is not None and e.term < s.term:
            raise Unexplained("TermMonotonic", f"{n} restarts at term {e.term}, but was at "
                              f"term {s.term}: currentTerm is persistent")
        check_restart_keeps(w, i, e.last_index, e, cx)
        w = put(w, i, spec.restart(cx.rules, i, s), cx, f"{n} restarts")
        w = at_term(w, i, e.term, e, cx)
        if e.vote is not None and w.server(i).voted_for not in (NIL, cx.index(e.vote)):
            raise Unexplained("VotedOncePerTerm", f"{n} restarts having voted for {e.vote}, "
                              f"but voted for {cx.name(w.server(i).voted_for)} in term "
                              f"{w.server(i).term}: votedFor is persistent")
        restart = True
    w = observe_log_end(w, i, e.last_index, e.last_term, e, cx, f"{n}'s log at its start",
                        restart=restart)
    w = keep(w, i, e.last_index, e, cx)  # read back from disk: persisted
    if e.commit is not None and e.last_index is not None and e.commit > e.last_index:
        raise Unexplained("CommitIndexInLog", f"{n} starts with commit index {e.commit} but "
                          f"its log ends at {e.last_index}")
    yield observe_commit(w, i, e.commit, e, cx)


def node_bits(names: Iterable[str], cx: Context) -> int:
    return sum(1 << cx.index(n) for n in set(names))


def on_config_change(w: World, e: ev.ConfigChange, cx: Context) -> Iterable[World]:
    """A leader appends a configuration change only once the one before it is applied (etcd
    one change at a time, joint consensus included; the dissertation's single-server changes
    wait for the commit): a second change before the first shows as its Membership is a
    violation."""
    i = cx.index(e.node)
    w, s = current(w, i, e, cx)
    if e.appended:
        pending = cx.pending_change.get(i)
        if pending is not None and s.role == LEADER:
            raise Unexplained("ChangeConf", f"{cx.name(i)} appends a configuration change "
                              f"({e.detail}) while the one it appended at {pending} is not "
                              "applied: one change at a time", (pending,))
        cx.pending_change[i] = e.source
    yield w


def on_membership(w: World, e: ev.Membership, cx: Context) -> Iterable[World]:
    """The node's configuration: votes and acknowledgements are counted against it from now
    on (a majority of its voters, and of its outgoing voters while joint)."""
    cx.pending_change.pop(cx.index(e.node), None)
    if e.voters or e.outgoing_voters or e.learners:
        cx.set_config(cx.index(e.node), Configuration(
            node_bits(e.voters, cx), node_bits(e.learners, cx),
            node_bits(e.outgoing_voters, cx), node_bits(e.learners_next, cx), e.auto_leave))
    yield w


# --- roles and terms -------------------------------------------------------------------------


def on_became_follower(w: World, e: ev.BecameFollower, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, s = current(w, i, e, cx, e.term)
    n = cx.name(i)
    if e.term is not None and e.term > s.term:
        yield put(w, i, spec.update_term(cx.rules, s, _stub(e.term)), cx,
                  f"{n} becomes follower at term {e.term}")
        return
    w = at_term(w, i, e.term, e, cx)
    yield to_follower(w, i, cx, f"{n} becomes follower at term {s.term}")


def to_follower(w: World, i: int, cx: Context, what: str) -> World:
    s = w.server(i)
    assert s is not None
    if s.role == FOLLOWER:
        return w
    if s.role == LEADER:
        after = spec.check_quorum_step_down(cx.rules, i, s)
        if after is None:
            raise Unexplained("LeaderStepDown", f"{what}: a leader leaves office only on "
                              "seeing a higher term (or by check-quorum, which is off)")
        return put(w, i, after, cx, what)
    # A (pre-)candidate hears from the leader of its term, or its pre-vote fails.
    return put(w, i, spec.clear_role_variables(cx.rules, s._replace(role=FOLLOWER)),
               cx, what)


def on_stepped_down(w: World, e: ev.SteppedDown, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    s = w.server(i)
    assert s is not None
    if s.role != LEADER and not cx.observes(i).elections:
        w = assume_leader(w, i, s.term, cx)  # only a leader steps down: it was elected unlogged
        s = w.server(i)
        assert s is not None
    after = spec.check_quorum_step_down(cx.rules, i, s)
    if after is None:
        if s.role == FOLLOWER:
            yield w  # already a follower (a format that logs the step after the fact)
            return
        raise Unexplained("CheckQuorum", f"{cx.name(i)} steps down, but is {describe_role(s)}")
    yield put(w, i, after, cx, f"{cx.name(i)} steps down (check-quorum)")


def on_became_pre_candidate(w: World, e: ev.BecamePreCandidate, cx: Context
                            ) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    s = w.server(i)
    after = spec.pre_vote_timeout(cx.rules, i, with_log(s, s.log.demoted()))
    if after is None:
        raise Unexplained("PreVote", f"{cx.name(i)} becomes pre-candidate, but is "
                          f"{describe_role(s)}")
    yield put(w, i, after, cx, f"{cx.name(i)} becomes pre-candidate")


def on_became_candidate(w: World, e: ev.BecameCandidate, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, s = current(w, i, e, cx, None if e.term is None else e.term - 1)
    n = cx.name(i)
    if e.term is not None and e.term - 1 < s.term:  # (Timeout adds one: T - 1 just before)
        raise Unexplained("TermMonotonic", f"{n} becomes candidate at term {e.term}, so it "
                          f"was at term {e.term - 1} just before (an election adds one to the "
                          f"term), but it was already at term {s.term}: a server's "
                          "currentTerm never decreases")
    if e.term is not None and e.term - 1 > s.term:
        w = at_term(w, i, e.term - 1, e, cx)  # unobserved UpdateTerm (if the format allows)
        s = w.server(i)
    if s.role == PRE_CANDIDATE:
        granted = votes_read(s, i, True, cx)
        won = cx.is_quorum(i, granted)
        if not won and cx.observes(i).votes_counted:
            got = ", ".join(cx.name(k) for k in bits(granted)) or "none"
            raise Unexplained("PreVote", f"{n} starts an election at term {s.term + 1} with "
                              f"pre-votes from {got}: not a quorum of "
                              f"{len(cx.voters_of(i))} voters")
        after = spec.timeout(cx.rules, i, s._replace(role=FOLLOWER))
    else:  # a follower's log may have grown since a line showed its length
        after = spec.timeout(cx.rules, i, with_log(s, s.log.demoted()))
    if after is None:
        raise Unexplained("Timeout", f"{n} becomes candidate, but is {describe_role(s)}")
    if e.term is not None and after.term != e.term:
        raise Unexplained("Timeout", f"{n} becomes candidate at term {e.term} from term "
                          f"{s.term}: an election increments the term by one")
    yield put(w, i, after, cx, f"{n} becomes candidate at term {after.term}")


def votes_read(s: Server, i: int, prevote: bool, cx: Context) -> int:
    """The votes candidate i has counted, as its log shows them: the spec grants a candidate
    its own vote as it campaigns, but a format that logs counting it before any win (etcd's)
    shows that it has not counted it yet, unless the campaign began before the log did."""
    if (cx.observes(i).own_vote and (i, s.term, prevote) not in cx.own_vote_read
            and not cx.before_log(i, s.term)):
        return s.votes_granted & ~(1 << i)
    return s.votes_granted


def _no_quorum(w: World, i: int, why: str, cx: Context) -> Unexplained:
    """A leader without a quorum of its voters. Where its log does not show the configurations
    it uses (they are a guess from other nodes' lines), a later line of the last leader (who
    changes configurations), or else of the node that showed the latest configuration, may
    show one in which the votes are a quorum: that node's lines may be pulled early (its clock
    may have run ahead), though the line stays the one to blame if they do not explain it."""
    if cx.observes(i).configs:
        return Unexplained("BecomeLeader", why)
    leaders = sorted((term, x) for term, x in w.elections if x != i)
    changer = leaders[-1][1] if leaders else cx.config_shown_by
    return Unexplained("BecomeLeader", why,
                       awaits=cx.name(changer) if changer not in (None, i) else None)


def on_became_leader(w: World, e: ev.BecameLeader, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    s = w.server(i)
    n, term = cx.name(i), s.term
    other = next((x for t, x in w.elections if t == term and x != i), None)
    if other is not None:  # ElectionSafety: one leader per term, ever
        first = cx.leader_source.get((term, other))
        raise Unexplained("ElectionSafety", f"two leaders in term {term} — {cx.name(other)} at "
                          f"{first} and {n} at {e.source}", (first,))
    if s.role != CANDIDATE:
        raise Unexplained("BecomeLeader", f"{n} becomes leader at term {term}, but is "
                          f"{describe_role(s)}: only a candidate can win an election")
    tally = cx.tally.get((i, term, False))
    if tally is not None and not cx.is_tally_quorum(i, tally):
        raise _no_quorum(w, i, f"{n} becomes leader at term {term} with a tally of {tally} votes: "
                         f"not a quorum of its {len(cx.voters_of(i))} voters", cx)
    granted = votes_read(s, i, False, cx)
    if cx.observes(i).votes_counted and not cx.is_quorum(i, granted):
        got = ", ".join(cx.name(k) for k in bits(granted))
        voters = ", ".join(cx.name(k) for k in sorted(cx.voters_of(i)))
        raise _no_quorum(w, i, f"{n} becomes leader at term {term} with votes from {got} only: "
                         f"not a quorum of its voters {voters}" if granted else
                         f"{n} becomes leader at term {term} before counting any vote, its own "
                         "included (its log shows each vote it counts): the empty set is a "
                         "quorum of no configuration", cx)
    # the quorum is one of i's configuration (checked above), not of every node ever seen
    after = spec.become_leader(cx.rules, i, s._replace(votes_granted=(1 << cx.rules.nodes) - 1))
    assert after is not None
    cx.leader_source.setdefault((term, i), e.source)
    w = put(w, i, after._replace(votes_granted=s.votes_granted), cx,
            f"{n} becomes leader at term {term}")
    check_leader_complete(w, i, e, cx, f"{n} becomes leader at term {term}")
    yield w.electing(term, i)


def on_term_observed(w: World, e: ev.TermObserved, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.old_term, e, cx)
    if e.term is None:
        yield w  # a format that does not print the term: the change shows later, if at all
        return
    s = w.server(i)
    if e.from_node is not None:
        w = check_sender(w, cx.index(e.from_node), e.term, e.message_type or "", i, cx)
    if e.message_type == "MsgPreVote" or e.term <= s.term:
        yield w  # a pre-vote never changes the receiver's term
        return
    yield adopt_term(w, i, e.term, cx)


def check_sender(w: World, j: int, term: int, kind: str, i: int, cx: Context) -> World:
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
        if cx.before_log(j, term):  # sent before j's log began (delivered late, perhaps)
            return elected_before_log(w, j, term, cx)
        raise Missing("AppendEntries", f"{n} receives {kind} from {nj} at term {term}, "
                          f"but {nj} never became leader at term {term} (only a leader "
                          "sends it)", awaits=nj)
    if kind in ("MsgVote", "RequestVoteRequest"):
        if strict(cx, w, j, "vote_requests", term) and not any(find(w, VOTE, j, i, term)):
            raise Missing("RequestVote", f"{n} receives a vote request from {nj} at term "
                              f"{term} that {nj} never sent", awaits=nj)
    elif cx.observes(j).terms and sj.term < term:
        raise Missing("UpdateTerm", f"{n} receives {kind} from {nj} at term {term}, but "
                          f"{nj} has not reached term {term}", awaits=nj)
    return w


def assume_leader(w: World, i: int, term: int, cx: Context) -> World:
    """A format that does not log every election shows node i acting as leader of ``term``:
    it was elected unobserved, unless that contradicts ElectionSafety or its term. (A node
    whose log began mid-run and has not shown its term yet is at a guessed term: it acts as
    leader, but no election of that term is recorded for it.)"""
    unsure = i in cx.unsynced
    if not unsure:
        _one_leader(w, i, term, cx)
    s = w.server(i)
    assert s is not None
    if s.term < term:
        w = adopt_term(w, i, term, cx)
        s = w.server(i)
    if s.term == term and s.role != LEADER:
        s = s._replace(role=LEADER, next_index=(len(s.log) + 1,) * cx.rules.nodes,
                       match_index=(0,) * cx.rules.nodes)
        w = put(w, i, s, cx, f"{cx.name(i)} is leader at term {term}")
    return w if unsure else w.electing(term, i)


def elected_before_log(w: World, i: int, term: int, cx: Context) -> World:
    """Node i acted as leader of ``term`` before its log began: it was elected then; its
    state now is what its log shows (a message it sent as leader may arrive long after it
    stepped down: etcd's transport delivers what it queued for a peer once it connects)."""
    _one_leader(w, i, term, cx)
    return w.electing(term, i)


def _one_leader(w: World, i: int, term: int, cx: Context) -> None:
    """ElectionSafety: node i may be leader of ``term`` unless another node was."""
    other = next((x for t, x in w.elections if t == term and x != i), None)
    if other is not None:
        first = cx.leader_source.get((term, other))
        raise Unexplained("ElectionSafety", f"two leaders in term {term} — {cx.name(other)} "
                          f"at {first} and {cx.name(i)}, which acts as leader here", (first,))


def on_at_term(w: World, e: ev.Event, cx: Context) -> Iterable[World]:
    """Events that only show the node's current term."""
    yield at_term(w, cx.index(e.node), getattr(e, "term", None), e, cx)


def on_leader_known(w: World, e: ev.LeaderKnown, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    leader = cx.index(e.leader)
    if leader != i and e.term is not None:
        w = check_sender(w, leader, e.term, "MsgApp", i, cx)
    yield w


# --- votes -----------------------------------------------------------------------------------


def on_vote_requested(w: World, e: ev.VoteRequested, cx: Context) -> Iterable[World]:
    i, j = cx.index(e.node), cx.index(e.voter)
    yield request(w, i, j, e.term, e.last_log_index, e.last_log_term, e.prevote, e, cx)


def request(w: World, i: int, j: int, term: int | None, index: int | None,
            log_term: int | None, prevote: bool, e: ev.Event, cx: Context) -> World:
    """Candidate i asks j for a (pre-)vote; its log ends at (index, log_term) where shown."""
    w = at_term(w, i, term, e, cx)
    n = cx.name(i)
    w = observe_log_end(w, i, index, log_term, e, cx, f"{n}'s log when campaigning")
    s = w.server(i)
    m = (spec.request_pre_vote if prevote else spec.request_vote)(cx.rules, i, j, s)
    if m is None:
        kind = "pre-vote" if prevote else "vote"
        raise Unexplained("RequestVote", f"{n} asks {cx.name(j)} for a {kind} at term "
                          f"{s.term}, but is {describe_role(s)}")
    last = s.log.last()
    if index is not None and log_term is not None:
        last = (index, log_term)
    # the request carries the candidate's last entry; (-1, -1): not known from the logs
    li, lt = last if last is not None else (-1, -1)
    return w.sending(RequestVoteRequest(m.type, m.term, m.src, m.dst, lt, li))


def on_vote_cast(w: World, e: ev.VoteCast, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    n = cx.name(i)
    w = observe_log_end(w, i, e.last_log_index, e.last_log_term, e, cx, f"{n}'s log")
    if e.candidate is None:
        yield w
        return
    w = vote(w, i, cx.index(e.candidate), e.granted, e.prevote,
             (e.candidate_last_log_index, e.candidate_last_log_term), e, cx)
    s = w.server(i)
    if e.granted and not e.prevote and e.last_log_index is not None and s is not None:
        cx.vote_log_end[(i, s.term)] = e.last_log_index
    yield w


def _request_for(w: World, i: int, c: int, s: Server, granted: bool, prevote: bool,
                 last: tuple[int | None, int | None], e: ev.Event, cx: Context
                 ) -> RequestVoteRequest:
    """The request of candidate c that voter i answers: one that was sent, or (where c's log
    does not show its requests) one c could have sent."""
    kind = PRE_VOTE if prevote else VOTE
    n, nc = cx.name(i), cx.name(c)

    def fits(m: RequestVoteRequest) -> bool:
        if prevote and granted:
            return cx.rules.pre_vote_term_ok(s, m)
        if granted:
            return m.term == s.term
        return m.term <= s.term + (1 if prevote else 0)

    found = [m for m in find(w, kind, c, i, None, None, last) if fits(m)]
    if not found and last[0] is not None:  # the logs may not show the candidate's log end
        found = [m for m in find(w, kind, c, i) if fits(m) and m.last_log_index < 0]
    if found:
        return max(found, key=lambda m: m.term)
    # A refusal may answer a request so old that the World has forgotten it (requests of terms
    # every node has passed are pruned, yet the network may still deliver them, and etcd
    # answers a stale pre-vote with a refusal); a refusal changes no state, so it is taken.
    # (a pre-vote request of term T+1 was sent at T: that is the term its log must cover;
    # and a voter grants a pre-vote of its own term T too, to the candidate it voted for in T,
    # so a request it grants may have been sent as early as T-1)
    if granted and strict(cx, w, c, "vote_requests", s.term - 1 if prevote else s.term):
        what = "pre-vote" if prevote else "vote"
        raise Missing("RequestVote", f"{n} answers a {what} request from {nc}, but {nc} "
                          f"sent none that fits (term {s.term}{'+' if prevote else ''})",
                      awaits=nc)
    li, lt = last
    if li is None or lt is None:
        sc = w.server(c)
        known = sc.log.last() if sc is not None else None
        li, lt = known if known is not None else (-1, -1)
    return RequestVoteRequest(kind, s.term + 1 if prevote else s.term, c, i, lt, li)


def vote(w: World, i: int, c: int, granted: bool, prevote: bool,
         last: tuple[int | None, int | None], e: ev.Event, cx: Context) -> World:
    """Voter i answers candidate c (HandleRequestVoteRequest)."""
    s = w.server(i)
    assert s is not None
    n, nc = cx.name(i), cx.name(c)
    if c == i:
        return w  # a candidate's own vote, counted when it became candidate
    if granted and not prevote and s.voted_for not in (NIL, c):
        first = cx.vote_source.get((i, s.term))
        where = f" at {first[1]}" if first else ""
        raise Unexplained("VotedOncePerTerm", f"{n} votes for {nc} in term {s.term}, but "
                          f"already voted for {cx.name(s.voted_for)}{where}",
                          (first[1],) if first else ())
    m = _request_for(w, i, c, s, granted, prevote, last, e, cx)
    # The up-to-date check (§5.4.1) needs both logs' last entries; where the logs do not show
    # one of them, the check is left out (an empty voter log never refuses).
    both_known = m.last_log_index >= 0 and s.log.last() is not None
    voter = s if both_known else with_log(s, EMPTY_LOG)
    probe = m if both_known else m._replace(last_log_index=0, last_log_term=0)
    if prevote:
        handled = spec.handle_pre_vote_request(cx.rules, voter, probe)
        if granted and not handled.reply.vote_granted and both_known and \
                not cx.rules.candidate_log_ok(s.log, m):
            raise Unexplained("PreVote", f"{n} grants {nc} a pre-vote, but {nc}'s log "
                              f"(last entry {m.last_log_index} of term {m.last_log_term}) is "
                              "behind its own")
        reply = handled.reply._replace(vote_granted=granted,
                                       term=m.term if granted else s.term)
        return w.sending(reply)
    if m.term > s.term:  # a refusal of a request of a higher term: i adopts it first
        w = adopt_term(w, i, m.term, cx)
        s = w.server(i)
        assert s is not None
        voter = s if both_known else with_log(s, EMPTY_LOG)
    handled = spec.handle_request_vote_request(cx.rules, voter, probe)
    assert handled is not None  # m.term <= s.term here
    if granted and not handled.reply.vote_granted:
        last_i = s.log.last()
        if both_known and last_i is not None and not cx.rules.candidate_log_ok(s.log, m):
            raise Unexplained("RequestVote", f"{n} votes for {nc} in term {s.term}, but {nc}'s "
                              f"log (last entry {m.last_log_index} of term {m.last_log_term}) "
                              f"is not as up-to-date as {n}'s (last entry {last_i[0]} of "
                              f"term {last_i[1]})")
        raise Unexplained("RequestVote", f"{n} votes for {nc} in term {s.term}, a request of "
                          f"term {m.term}")
    if granted:
        cx.vote_source.setdefault((i, s.term), (c, e.source))
        w = put(w, i, with_log(handled.server, s.log), cx,
                f"{n} votes for {nc} in term {s.term}")
        reply = handled.reply
    else:
        reply = handled.reply._replace(vote_granted=False)
    return w.sending(reply)


def on_vote_received(w: World, e: ev.VoteReceived, cx: Context) -> Iterable[World]:
    i, j = cx.index(e.node), cx.index(e.voter)
    yield count(w, i, j, e.term, e.granted, e.prevote, e, cx)


def count(w: World, i: int, j: int, term: int | None, granted: bool, prevote: bool,
          e: ev.Event, cx: Context) -> World:
    """Candidate i counts j's answer (HandleRequestVoteResponse)."""
    w = at_term(w, i, term, e, cx)
    s = w.server(i)
    n, nj = cx.name(i), cx.name(j)
    want = PRE_CANDIDATE if prevote else CANDIDATE
    if s.role != want:
        raise Unexplained("RequestVote", f"{n} counts a {'pre-' if prevote else ''}vote from "
                          f"{nj}, but is {describe_role(s)}")
    if j == i:
        cx.own_vote_read.add((i, s.term, prevote))
        return w
    if s.votes_responded >> j & 1:
        # a second answer of one voter (a late reply to an earlier request): etcd counts a
        # voter's first answer only, and so does the tally its log line shows
        return w
    kind = PRE_VOTE_RESP if prevote else VOTE_RESP
    rterm = None if prevote else s.term
    handle = spec.handle_pre_vote_response if prevote else spec.handle_request_vote_response
    # the reply it counts: one it can count (a refusal of a higher term would have made it
    # step down instead; j may have refused several of i's requests in different terms; a
    # pre-vote granted for this campaign before one granted for the last)
    replies = sorted(find(w, kind, j, i, rterm, granted),
                     key=lambda m: -m.term if granted else m.term)
    found = next((m for m in replies if handle(cx.rules, s, m) is not None), None)
    voted_in_logs = found is not None  # (else assumed: no vote line of j's was read for it)
    if found is None:
        if strict(cx, w, j, "votes_cast", s.term):
            # an answer of an earlier campaign cannot be counted: j's answer to this one may
            # be a line of j's still to come (j's clock behind, or j restarting first)
            what = ("granted" if granted else "refused") + (" a pre-vote" if prevote else
                                                            " its vote")
            stale = f" (only one of term {replies[0].term})" if replies else ""
            raise Missing("RequestVote", f"{n} counts a vote from {nj} at term {s.term}, "
                              f"but {nj} never {what} to {n} in that term{stale}", awaits=nj)
        w = _assume_vote(w, j, i, granted, prevote, e, cx)
        assumed = s.term + 1 if prevote and granted else s.term  # this campaign's
        found = RequestVoteResponse(kind, assumed, j, i, granted, ())
    handled = handle(cx.rules, s, found)
    assert handled is not None  # (found is countable, or this campaign's, assumed)
    if granted and not prevote and voted_in_logs:
        # the vote reached i, so j had persisted the log its vote line showed (a vote line
        # read in this World: one read by a retry and given back left its end in the Context)
        w = keep(w, j, cx.vote_log_end.get((j, s.term)), e, cx)
    return put(w, i, handled.server, cx, f"{n} counts {nj}'s vote")


def _assume_vote(w: World, j: int, i: int, granted: bool, prevote: bool, e: ev.Event,
                 cx: Context) -> World:
    """j's log does not show the votes it grants: it voted unobserved, if the spec allows."""
    sj = w.server(j)
    if sj is None or prevote or not granted:
        return w
    si = w.server(i)
    assert si is not None
    if sj.term > si.term:
        return w  # it voted back in that term; its later steps were not all observed either
    if sj.term < si.term:
        w = at_term(w, j, si.term, e, cx)
    return vote(w, j, i, True, False, (None, None), e, cx)


def on_votes_tallied(w: World, e: ev.VotesTallied, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w = at_term(w, i, e.term, e, cx)
    s = w.server(i)
    assert s is not None
    if e.granted is not None and s.role in (CANDIDATE, PRE_CANDIDATE):
        counted = s.votes_granted.bit_count()
        if not cx.observes(i).votes_counted:
            # the votes are not all logged (hashicorp at info level): the tally is what it says
            # (also where it agrees with the votes assumed: its own alone is no quorum)
            cx.tally[(i, s.term, e.prevote)] = e.granted
        elif counted != e.granted and not (
                counted - 1 == e.granted and s.votes_granted >> i & 1
                and (i, s.term, e.prevote) not in cx.own_vote_read):
            # (a tally before the candidate's own vote line may leave that vote out: it is
            # counted when read, as hashicorp does, after the answers read before it)
            got = ", ".join(cx.name(k) for k in bits(s.votes_granted)) or "none"
            raise Unexplained("RequestVote", f"{cx.name(i)} reports {e.granted} votes granted, "
                              f"but only {counted} were received ({got})")
    yield w


def observe_vote(w: World, i: int, v: int, e: ev.Event, cx: Context) -> World:
    """The node's persistent votedFor is v (HardState, a state dump)."""
    s = w.server(i)
    assert s is not None
    if s.voted_for == v or (v == i and s.role != FOLLOWER):
        return w
    if s.voted_for != NIL:
        raise Unexplained("VotedOncePerTerm", f"{cx.name(i)}'s vote in term {s.term} is "
                          f"{cx.name(v)}, but it voted for {cx.name(s.voted_for)}")
    return w  # a vote whose request the format shows elsewhere (or not at all)


def on_logging_level(w: World, e: ev.LoggingLevel, cx: Context) -> Iterable[World]:
    """From here on, what the run's log shows depends on the new level. After a time at a
    level that logs no step, each node may have taken any steps unlogged: it is followed
    leniently until a line shows its role and term again (``ANCHORS``)."""
    was_logged = cx.level_override is None or cx.level_override.terms
    cx.level_override = interaction_at(e.level)
    if cx.level_override.terms and not was_logged:
        cx.resyncing, cx.resynced = True, set()
    yield w


ANCHORS = (*ev.ROLE_CHANGES, ev.NodeStarted)
"""Events that show a node's role and term: after them, its steps are followed strictly
again (``on_logging_level``)."""


def resync(w: World, i: int, e: ev.Event, cx: Context) -> World:
    """Node i's log began mid-run and ``e`` is the first of its lines to show its role and
    term (an anchor): what the World holds of its role came from guesses (the other nodes'
    lines, its own lines before this one, taken leniently), so it is set to what the anchor
    needs just before it: a candidate of the term it wins, a follower of the term before the
    one it campaigns in, a follower of the term it pre-campaigns in (or of the term it follows
    in, if the guess was higher: a pre-vote it sent carries the term after its own, and the
    guesses took it for its term). ElectionSafety and every log check stay as they are."""
    term = getattr(e, "term", None)
    if term is None:
        return w
    # (a campaign's lines follow the line that starts it: of its term, nothing predates it)
    cx.began_at.setdefault(i, term - 1 if isinstance(e, ev.BecameCandidate) else term)
    w, s = current(w, i, e, cx, term)
    if isinstance(e, ev.BecameLeader):
        before = s._replace(term=term, role=CANDIDATE, voted_for=i)
    elif isinstance(e, ev.BecameCandidate):  # (a term of it shown before: this campaign's)
        before = s._replace(term=term - 1, role=FOLLOWER)
    elif isinstance(e, ev.BecamePreCandidate) or s.term > term:
        before = s._replace(term=term, role=FOLLOWER)
    else:
        return w
    return w.with_server(i, before)


def lead_unsure(w: World, i: int, e: ev.Event, cx: Context) -> World:
    """Node i, whose log began mid-run and has not shown its term, logs that it leads without
    saying in which term (hashicorp's ``entering leader state``): it leads in its guessed term,
    and no election is recorded for it (``assume_leader``); it stays unsynced."""
    w, s = current(w, i, e, cx)
    return assume_leader(w, i, s.term, cx)


GUESSED_ROLES = (PRE_CANDIDATE, CANDIDATE, LEADER, FOLLOWER)
"""The roles tried for a node whose role is a guess (its log began mid-run), in order."""


def in_role(w: World, i: int, role: int, e: ev.Event, cx: Context) -> World:
    """Node i as just having taken ``role`` at the term ``e`` shows (or its term, if higher),
    where what the World holds of its role is a guess: a candidate or pre-candidate with only
    its own vote, a leader with nothing known of its followers."""
    term = getattr(e, "term", None)
    w, s = current(w, i, e, cx, term)
    if term is not None and term > s.term:
        s = s._replace(term=term)
    me = 1 << i
    if role == LEADER:
        s = s._replace(role=LEADER, next_index=(len(s.log) + 1,) * cx.rules.nodes,
                       match_index=(0,) * cx.rules.nodes)
    elif role == CANDIDATE:
        s = s._replace(role=CANDIDATE, voted_for=i, votes_responded=me, votes_granted=me)
    elif role == PRE_CANDIDATE:
        s = s._replace(role=PRE_CANDIDATE, votes_responded=me, votes_granted=me)
    else:
        s = s._replace(role=FOLLOWER)
    return w.with_server(i, s)


def on_nothing(w: World, e: ev.Event, cx: Context) -> Iterable[World]:
    yield w
