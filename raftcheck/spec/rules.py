"""The decisions in Raft that bugs get wrong, each in one place.

The actions in server.py ask these questions instead of answering them inline, so a mutant
(mutants.py) is this class with one answer changed: a deliberately broken spec, one line apart
from the real one.
"""

from __future__ import annotations

from fractions import Fraction

from . import quorum
from .records import NIL, AppendEntriesRequest, Log, RequestVoteRequest, Role, Server, last_term


class Rules:
    """Raft as in the paper and raft.tla."""

    def __init__(
        self, nodes: int, *, history: bool = False, self_vote: bool = False, tidy: bool = False,
        atomic: bool = False, pre_vote: bool = False, check_quorum: bool = False,
    ) -> None:
        self.nodes = nodes
        self.cluster = quorum.everyone(nodes)  # the configuration: every server a voter
        self.history = history  # keep raft.tla's history variables (voterLog, mlog)
        # A new candidate votes for itself on the spot, as implementations do; raft.tla instead
        # sends itself a RequestVote like to any other server.
        self.self_vote = self_vote
        # Role variables hold values only while the server has the role (candidate votes while
        # a candidate, nextIndex/matchIndex while a leader), as in implementations; raft.tla
        # leaves stale values behind and keeps updating them. And a follower's commitIndex never
        # moves back. Neither changes what servers do; both shrink the state space.
        self.tidy = tidy
        # A server handles a message in one step, as implementations do (etcd's Step): it adopts
        # a higher term, handles the message to the end (truncate, append, reply), becomes leader
        # on the deciding vote, and a leader commits as soon as an acknowledgement makes a
        # quorum. raft.tla takes each of these as a step of its own.
        self.atomic = atomic
        # Pre-vote (Ongaro's thesis §9.6, etcd's PreVote): before a real election a server asks
        # whether it could win, without changing any persistent state. Off: explore never uses it.
        self.pre_vote = pre_vote
        # Check-quorum (thesis §6.2, etcd's CheckQuorum): a leader that has not heard from a quorum
        # within an election timeout steps down to follower in its own term.
        self.check_quorum = check_quorum

    def is_quorum(self, members: int) -> bool:
        """A set of servers (a bit set) is a quorum of the configuration (quorum.py)."""
        return quorum.is_quorum(self.cluster, members)

    def candidate_log_ok(self, voter_log: Log, m: RequestVoteRequest) -> bool:
        """The candidate's log is at least as up-to-date as the voter's (§5.4.1)."""
        return m.last_log_term > last_term(voter_log) or (
            m.last_log_term == last_term(voter_log) and m.last_log_index >= len(voter_log)
        )

    def grants_vote(self, s: Server, m: RequestVoteRequest) -> bool:
        """Vote for the candidate if the terms match, its log is up-to-date, and this server has
        not voted for anyone else in this term."""
        return (
            m.term == s.term
            and self.candidate_log_ok(s.log, m)
            and s.voted_for in (NIL, m.src)
        )

    def pre_vote_term_ok(self, s: Server, m: RequestVoteRequest) -> bool:
        """A pre-vote may be granted for a term above ours, or for our own term while we have
        voted for nobody else in it: etcd grants that one (a pre-vote sent before we reached
        the term, delivered after)."""
        return m.term > s.term or (m.term == s.term and s.voted_for in (NIL, m.src))

    def grants_pre_vote(self, s: Server, m: RequestVoteRequest) -> bool:
        """Grant a pre-vote when the term fits and the candidate's log is up-to-date; granting
        changes nothing (no votedFor, no term)."""
        return self.pre_vote_term_ok(s, m) and self.candidate_log_ok(s.log, m)

    def append_log_ok(self, log: Log, m: AppendEntriesRequest) -> bool:
        """The consistency check: the follower holds the entry that precedes the new ones."""
        return m.prev_log_index == 0 or (
            0 < m.prev_log_index <= len(log) and m.prev_log_term == log[m.prev_log_index - 1][0]
        )

    def log_after_request(self, log: Log, m: AppendEntriesRequest) -> Log:
        """What of its log a follower keeps on accepting AppendEntries, before appending: all of
        it. An entry after prevLogIndex goes only if it conflicts with a new one (§5.3), so a
        request that arrives late never takes back entries a later one brought."""
        return log

    def role_after_higher_term(self, s: Server) -> int:
        """Any server that sees a higher term becomes a follower."""
        return Role.FOLLOWER

    def commit_index(self, s: Server, me: int) -> int:
        """The highest index stored on a quorum, if its entry is from the leader's current term;
        otherwise the commit index stays (Raft never commits older-term entries by counting)."""
        agreed = self.quorum_index(s, me)
        if agreed and s.log[agreed - 1][0] == s.term:
            return agreed
        return s.commit_index

    def lease_length(self, election_min: int, drift: Fraction) -> Fraction:
        """How long, on its own clock, a leader may serve reads after a heartbeat round that a
        quorum acknowledged. The voters that acknowledged wait election_min on their clocks
        before voting again; with every clock within [1 - drift, 1 + drift] of real time, a
        lease of election_min * (1 - drift) / (1 + drift) ends first (thesis §6.4 divides by
        the drift bound; docs/time.md)."""
        return Fraction(election_min) * (1 - drift) / (1 + drift)

    def write_acknowledged(self, s: Server, index: int) -> bool:
        """A leader tells the client its write succeeded once the entry is committed."""
        return s.commit_index >= index

    def serves_linearizable_read(self, role: int) -> bool:
        """Only the leader serves a linearizable read (ReadIndex or lease): a follower may not
        know of the latest committed write (thesis §6.4)."""
        return role == Role.LEADER

    def read_index_confirms_leadership(self) -> bool:
        """ReadIndex answers only after a quorum acknowledged a round started after the read
        arrived: the leader is still the leader, so no later leader committed anything."""
        return True

    def quorum_index(self, s: Server, me: int) -> int:
        """The highest log index that a quorum (the leader and its matched followers) stores."""
        for index in range(len(s.log), 0, -1):
            agree = 1 << me
            for k, match in enumerate(s.match_index):
                if match >= index:
                    agree |= 1 << k
            if self.is_quorum(agree):
                return index
        return 0
