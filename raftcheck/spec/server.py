"""Raft's actions on one server, in the words of the Raft paper and raft.tla.

Each function is one action: the guard first (return None when the action is not enabled), then
the effect as a new Server record. Functions that send return the message; handlers say whether
the message they handled is consumed and what they reply. Nothing here knows about other servers'
state, the network, or the search: the model (model.py) composes these into global steps.
"""

from __future__ import annotations

from typing import NamedTuple

from . import actions as act
from .quorum import Configuration
from .records import (
    NIL,
    RESPONSES,
    VOTE_REQUESTS,
    AppendEntriesRequest,
    AppendEntriesResponse,
    Message,
    MessageType,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Server,
    last_term,
)
from .rules import Rules
from .snapshots import handle_install_snapshot_request, needs_snapshot


class Handled(NamedTuple):
    """The outcome of a server handling a message."""

    server: Server
    consumed: bool  # the message leaves the network
    reply: Message | None


def initial_server(r: Rules, base_config: Configuration | tuple = ()) -> Server:
    """A server at boot. With membership changes, base_config is the configuration it boots
    with (quorum.NO_CONFIGURATION for one outside the cluster, waiting to be added)."""
    return Server(
        term=1, voted_for=NIL, log=(), role=Role.FOLLOWER, commit_index=0,
        votes_responded=0, votes_granted=0, voter_log=(),
        next_index=(1,) * r.nodes, match_index=(0,) * r.nodes,
        base_config=base_config,
    )


def restart(r: Rules, i: int, s: Server) -> Server:
    """Server i restarts from stable storage: it keeps currentTerm, votedFor, its log and its
    snapshot; the rest is lost. It resumes from what its snapshot applied, or (etcd-io/raft,
    Rules.persists_commit) from its persisted commit index."""
    return initial_server(r, s.base_config)._replace(
        term=s.term, voted_for=s.voted_for, log=s.log, snapshot_index=s.snapshot_index,
        commit_index=s.commit_index if r.persists_commit else s.snapshot_index)


def timeout(r: Rules, i: int, s: Server) -> Server | None:
    """Server i times out and starts a new election (a voter of its configuration only)."""
    if s.role == Role.LEADER or (r.membership and not r.is_voter(s, i)):
        return None
    if r.self_vote:
        me = 1 << i
        return s._replace(role=Role.CANDIDATE, term=s.term + 1, voted_for=i,
                          votes_responded=me, votes_granted=me, voter_log=())
    return s._replace(
        role=Role.CANDIDATE, term=s.term + 1, voted_for=NIL,
        votes_responded=0, votes_granted=0, voter_log=(),
    )


def request_vote(r: Rules, i: int, j: int, s: Server) -> RequestVoteRequest | None:
    """Candidate i sends j a RequestVote request (a voter of its configuration)."""
    if s.role != Role.CANDIDATE or s.votes_responded >> j & 1:
        return None
    if r.membership and not r.is_voter(s, j):
        return None
    return RequestVoteRequest(
        MessageType.REQUEST_VOTE_REQUEST, s.term, i, j, last_term(s.log), len(s.log)
    )


def become_leader(r: Rules, i: int, s: Server) -> Server | None:
    """Candidate i transitions to leader once a quorum of its configuration has voted for it."""
    if s.role != Role.CANDIDATE or not r.is_quorum(s.votes_granted, r.config(s)):
        return None
    return s._replace(
        role=Role.LEADER,
        next_index=(len(s.log) + 1,) * r.nodes,
        match_index=(0,) * r.nodes,
    )


def client_request(r: Rules, i: int, s: Server, value: int) -> Server | None:
    """Leader i receives a client request to add value to the log."""
    if s.role != Role.LEADER:
        return None
    return s._replace(log=(*s.log, (s.term, value)))


def advance_commit_index(r: Rules, i: int, s: Server) -> Server | None:
    """Leader i advances its commitIndex to the highest current-term entry a quorum stores.
    A leader that is no longer a voter steps down once its configuration is committed."""
    if s.role != Role.LEADER:
        return None
    s = s._replace(commit_index=r.commit_index(s, i))
    if r.membership and not r.leads_as_voter(s, i) and r.config_committed(s):
        return clear_role_variables(r, s._replace(role=Role.FOLLOWER))
    return s


def append_entries(r: Rules, i: int, j: int, s: Server) -> AppendEntriesRequest | None:
    """Leader i sends j an AppendEntries request containing up to one entry (to a member of its
    configuration, and only while it still has the entries j needs: else InstallSnapshot)."""
    if i == j or s.role != Role.LEADER or needs_snapshot(s, j):
        return None
    if r.membership and not r.is_member(s, j):
        return None
    next_index = s.next_index[j]
    prev_log_index = next_index - 1
    prev_log_term = s.log[prev_log_index - 1][0] if prev_log_index > 0 else 0
    last_entry = min(len(s.log), next_index)
    return AppendEntriesRequest(
        MessageType.APPEND_ENTRIES_REQUEST, s.term, i, j,
        prev_log_index, prev_log_term,
        s.log[next_index - 1:last_entry],
        min(s.commit_index, last_entry),
        s.log if r.history else (),
    )


# --- message handlers: i = recipient, j = sender, m = message ---------------------------------


def update_term(r: Rules, s: Server, m: Message) -> Server | None:
    """Any message with a newer term makes the recipient advance its term first (the message
    stays, to be handled at the new term)."""
    if m.term <= s.term:
        return None
    s = s._replace(term=m.term, role=r.role_after_higher_term(s), voted_for=NIL)
    return clear_role_variables(r, s) if s.role == Role.FOLLOWER else s


def handle_request_vote_request(r: Rules, s: Server, m: RequestVoteRequest) -> Handled | None:
    """Server i answers j's RequestVote, granting its vote at most once per term."""
    if m.term > s.term:
        return None
    grant = r.grants_vote(s, m)
    reply = RequestVoteResponse(
        MessageType.REQUEST_VOTE_RESPONSE, s.term, m.dst, m.src, grant,
        s.log if r.history else (),
    )
    return Handled(s._replace(voted_for=m.src) if grant else s, True, reply)


def handle_request_vote_response(r: Rules, s: Server, m: RequestVoteResponse) -> Handled | None:
    """Server i tallies j's vote (even when no longer a candidate: the tally is then unused)."""
    if m.term != s.term:
        return None
    if r.tidy and s.role != Role.CANDIDATE:
        return Handled(s, True, None)
    voter = 1 << m.src
    s = s._replace(votes_responded=s.votes_responded | voter)
    if m.vote_granted:
        voter_log = s.voter_log
        if r.history and all(k != m.src for k, _ in voter_log):
            voter_log = tuple(sorted((*voter_log, (m.src, m.log))))
        s = s._replace(votes_granted=s.votes_granted | voter, voter_log=voter_log)
    return Handled(s, True, None)


def drop_stale_response(r: Rules, s: Server, m: Message) -> Handled | None:
    """Responses from an older term are ignored."""
    if m.term >= s.term:
        return None
    return Handled(s, True, None)


def handle_append_entries_request(
    r: Rules, s: Server, m: AppendEntriesRequest
) -> Handled | None:
    """Server i handles leader j's AppendEntries: reject it, return to follower, or accept it
    (nothing new / remove one conflicting entry / append one entry)."""
    if m.term > s.term:
        return None
    # Entries up to its snapshot are applied, hence committed, hence the leader's own: the
    # request is checked from the snapshot on (snapshots.py).
    compacted = m.prev_log_index < s.snapshot_index
    log_ok = compacted or r.append_log_ok(s.log, m)
    if m.term < s.term or (s.role == Role.FOLLOWER and not log_ok):
        return Handled(s, True, _append_response(s, m, success=False, match_index=0))
    if s.role == Role.CANDIDATE:
        # A leader exists for this term: step back, and handle the request as a follower next.
        return Handled(clear_role_variables(r, s._replace(role=Role.FOLLOWER)), False, None)
    if s.role != Role.FOLLOWER:
        return None  # a leader never hears from another leader of its own term
    if compacted:  # it has what the request brings (one entry at most): acknowledge it
        return Handled(s, True, _append_response(
            s, m, success=True, match_index=m.prev_log_index + len(m.entries)))
    kept = r.log_after_request(s.log, m)
    if kept != s.log:
        return Handled(s._replace(log=kept), False, None)  # then handle the request again
    index = m.prev_log_index + 1
    if not m.entries or (len(s.log) >= index and s.log[index - 1][0] == m.entries[0][0]):
        # Already done with the request. (A stale duplicate may move commitIndex back.)
        reply = _append_response(s, m, success=True,
                                 match_index=m.prev_log_index + len(m.entries))
        commit_index = max(s.commit_index, m.commit_index) if r.tidy else m.commit_index
        return Handled(s._replace(commit_index=commit_index), True, reply)
    if len(s.log) >= index:
        # Conflict: remove one entry, then handle the request again.
        return Handled(s._replace(log=s.log[:-1]), False, None)
    if len(s.log) == m.prev_log_index:
        # No conflict: append the entry, then handle the request again to reply.
        return Handled(s._replace(log=(*s.log, m.entries[0])), False, None)
    return None


def _append_response(
    s: Server, m: AppendEntriesRequest, *, success: bool, match_index: int
) -> AppendEntriesResponse:
    return AppendEntriesResponse(
        MessageType.APPEND_ENTRIES_RESPONSE, s.term, m.dst, m.src, success, match_index
    )


def handle_append_entries_response(
    r: Rules, s: Server, m: AppendEntriesResponse
) -> Handled | None:
    """Server i learns how far j's log matches its own, or backs nextIndex off by one."""
    if m.term != s.term:
        return None
    if r.tidy and s.role != Role.LEADER:
        return Handled(s, True, None)
    j = m.src
    if m.success:
        s = s._replace(
            next_index=_set(s.next_index, j, m.match_index + 1),
            match_index=_set(s.match_index, j, m.match_index),
        )
    else:
        s = s._replace(next_index=_set(s.next_index, j, max(s.next_index[j] - 1, 1)))
    return Handled(s, True, None)


def clear_role_variables(r: Rules, s: Server) -> Server:
    """A server that is now a follower forgets its votes and its followers' progress."""
    if not r.tidy:
        return s
    return s._replace(votes_responded=0, votes_granted=0, voter_log=(),
                      next_index=(1,) * r.nodes, match_index=(0,) * r.nodes)




def _set(values: tuple[int, ...], k: int, value: int) -> tuple[int, ...]:
    return (*values[:k], value, *values[k + 1:])


_HANDLERS = {
    MessageType.REQUEST_VOTE_REQUEST: handle_request_vote_request,
    MessageType.REQUEST_VOTE_RESPONSE: handle_request_vote_response,
    MessageType.APPEND_ENTRIES_REQUEST: handle_append_entries_request,
    MessageType.APPEND_ENTRIES_RESPONSE: handle_append_entries_response,
    MessageType.INSTALL_SNAPSHOT_REQUEST: handle_install_snapshot_request,
}


def receive(r: Rules, i: int, s: Server, m: Message, *,
            quiet: bool = False) -> tuple[act.Action, Handled] | None:
    """Server i receives m: the one dispatch of every message type, for every model.

    As in raft.tla, one branch of Receive(m) is one step: UpdateTerm, DropStaleResponse, or the
    handler for m's type. With r.atomic, the whole handling of m is one step, named by its
    handler. quiet: i leads, or heard from its leader within the minimum election timeout, so
    it ignores (pre-)vote requests of a higher term (check-quorum and leases, thesis §9.6;
    only the timed model knows when)."""
    if quiet and m.type in VOTE_REQUESTS and m.term > s.term:
        return act.IgnoreVoteRequest(m), Handled(s, True, None)
    if m.type == MessageType.PRE_VOTE_REQUEST:
        return act.HandlePreVoteRequest(m), handle_pre_vote_request(r, s, m)  # type: ignore
    if m.type == MessageType.PRE_VOTE_RESPONSE:
        return act.HandlePreVoteResponse(m), receive_pre_vote_response(r, i, s, m)  # type: ignore
    after = update_term(r, s, m)
    if after is not None and not r.atomic:
        return act.UpdateTerm(m), Handled(after, False, None)
    s = after or s
    if m.type in RESPONSES:
        stale = drop_stale_response(r, s, m)
        if stale is not None:
            return act.DropStaleResponse(m), stale
    handled = _HANDLERS[m.type](r, s, m)
    if handled is None and after is not None:  # adopted the term; nothing else to do with m
        return act.UpdateTerm(m), Handled(after, False, None)
    if handled is None or not r.atomic:
        return (act.HANDLERS[m.type](m), handled) if handled else None
    while not handled.consumed:  # stepped down, removed a conflict or appended: go on
        again = _HANDLERS[m.type](r, handled.server, m)
        if again is None:
            break
        handled = again
    return act.HANDLERS[m.type](m), handled._replace(server=settle(r, i, handled.server))


def ignores_forever(r: Rules, s: Server, m: Message) -> bool:
    """Whether server s can only ever discard response m unread: it is from an older term, or
    of the current term but for a role s has left and cannot take again in that term (a
    candidate's vote, a leader's acknowledgement), or a vote s has already counted. Only where
    role variables are tidy (raft.tla keeps updating stale ones)."""
    if not r.tidy or m.type not in (MessageType.REQUEST_VOTE_RESPONSE,
                                    MessageType.APPEND_ENTRIES_RESPONSE):
        return False  # (pre-vote responses: the timed model collects no garbage)
    if m.term != s.term:
        return m.term < s.term
    if m.type == MessageType.APPEND_ENTRIES_RESPONSE:
        return s.role != Role.LEADER
    if s.role != Role.CANDIDATE:
        return True
    voter = 1 << m.src
    return bool(s.votes_responded & voter) and bool(s.votes_granted & voter) == m.vote_granted


def settle(r: Rules, i: int, s: Server) -> Server:
    """What implementations do at once after a step: a candidate holding a quorum of votes
    becomes leader, and a leader commits what a quorum stores."""
    if r.atomic:
        s = become_leader(r, i, s) or s
        if s.role == Role.LEADER:
            s = advance_commit_index(r, i, s) or s
    return s


# --- pre-vote and check-quorum (Rules.pre_vote, Rules.check_quorum; off by default) ------------


def pre_vote_timeout(r: Rules, i: int, s: Server) -> Server | None:
    """Server i times out and asks whether it could win an election, keeping its term."""
    if not r.pre_vote or s.role == Role.LEADER:
        return None
    me = 1 << i if r.self_vote else 0
    return s._replace(role=Role.PRE_CANDIDATE, votes_responded=me, votes_granted=me,
                      voter_log=())


def request_pre_vote(r: Rules, i: int, j: int, s: Server) -> RequestVoteRequest | None:
    """Pre-candidate i sends j a pre-vote request for the term it would campaign in."""
    if s.role != Role.PRE_CANDIDATE or s.votes_responded >> j & 1:
        return None
    return RequestVoteRequest(MessageType.PRE_VOTE_REQUEST, s.term + 1, i, j, last_term(s.log),
                              len(s.log))


def handle_pre_vote_request(r: Rules, s: Server, m: RequestVoteRequest) -> Handled:
    """Server i answers a pre-vote; nothing it stores changes. A grant carries the requested
    term, a refusal the voter's own."""
    grant = r.grants_pre_vote(s, m)
    reply = RequestVoteResponse(MessageType.PRE_VOTE_RESPONSE, m.term if grant else s.term,
                                m.dst, m.src, grant, ())
    return Handled(s, True, reply)


def handle_pre_vote_response(r: Rules, s: Server, m: RequestVoteResponse) -> Handled | None:
    """Pre-candidate i counts j's answer to its pre-vote for term currentTerm + 1. A grant of
    currentTerm itself counts too, as in etcd-io/raft: it answers the pre-vote i asked for
    before it reached this term, which a reply does not tell apart from this campaign's (a
    reply carries the request's term; raft.go's Step hands one of the pre-candidate's own term
    to stepCandidate, which polls it). Pre-votes change no persistent state, so this changes
    only who may start a real election."""
    if s.role != Role.PRE_CANDIDATE or not m.vote_granted or \
            m.term not in (s.term, s.term + 1):
        if s.role == Role.PRE_CANDIDATE and not m.vote_granted and m.term <= s.term:
            voter = 1 << m.src
            return Handled(s._replace(votes_responded=s.votes_responded | voter), True, None)
        return None
    voter = 1 << m.src
    return Handled(s._replace(votes_responded=s.votes_responded | voter,
                              votes_granted=s.votes_granted | voter), True, None)


def receive_pre_vote_response(r: Rules, i: int, s: Server, m: RequestVoteResponse) -> Handled:
    """Pre-candidate i counts j's answer; once a quorum granted, it starts the real election at
    once. A refusal from a higher term makes it adopt that term; any other answer is dropped."""
    handled = handle_pre_vote_response(r, s, m)
    if handled is not None:
        won = pre_vote_won(r, i, handled.server)
        return handled if won is None else Handled(settle(r, i, won), True, None)
    if not m.vote_granted and m.term > s.term:
        return Handled(update_term(r, s, m) or s, True, None)
    return Handled(s, True, None)


def pre_vote_won(r: Rules, i: int, s: Server) -> Server | None:
    """A pre-candidate granted pre-votes by a quorum starts the real election (Timeout)."""
    if s.role != Role.PRE_CANDIDATE or not r.is_quorum(s.votes_granted):
        return None
    return timeout(r, i, s._replace(role=Role.FOLLOWER))


def check_quorum_step_down(r: Rules, i: int, s: Server) -> Server | None:
    """Leader i, not having heard from a quorum for an election timeout, steps down to
    follower in its own term (when it may, is a matter of clocks: any time, here)."""
    if not r.check_quorum or s.role != Role.LEADER:
        return None
    return clear_role_variables(r, s._replace(role=Role.FOLLOWER))
