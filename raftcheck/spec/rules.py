"""The decisions in Raft that bugs get wrong, each in one place.

The actions in server.py ask these questions instead of answering them inline, so a mutant
(mutants.py) is this class with one answer changed: a deliberately broken spec, one line apart
from the real one.
"""

from __future__ import annotations

from fractions import Fraction

from . import quorum
from .membership import JOINT, SINGLE, last_config_index, latest_config
from .quorum import Configuration
from .records import (
    NIL,
    AppendEntriesRequest,
    InstallSnapshotRequest,
    Log,
    RequestVoteRequest,
    Role,
    Server,
    applied_index,
    last_term,
)


class Rules:
    """Raft as in the paper and raft.tla."""

    def __init__(
        self, nodes: int, *, history: bool = False, self_vote: bool = False, tidy: bool = False,
        atomic: bool = False, pre_vote: bool = False, check_quorum: bool = False,
        membership: str | None = None, snapshots: bool = False,
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
        # Membership changes (membership.py): None, the cluster is fixed; SINGLE, single-server
        # changes in force once appended (dissertation §4.1, hashicorp/raft); JOINT, etcd-io/raft's
        # changes, joint consensus included, in force once applied.
        self.membership = membership
        # Snapshots (snapshots.py): servers compact their logs and leaders send snapshots.
        self.snapshots = snapshots
        # A restarted server's commit index: etcd persists it (HardState.Commit) and applies
        # its log up to it again, which its configurations need (they take effect when
        # applied); otherwise it restarts from what its snapshot applied (0 without one).
        self.persists_commit = membership == JOINT

    def is_quorum(self, members: int, config: Configuration | None = None) -> bool:
        """A set of servers (a bit set) is a quorum of the configuration (quorum.py): of the
        fixed cluster, or the one given."""
        return quorum.is_quorum(self.cluster if config is None else config, members)

    # --- configurations (membership.py) ---------------------------------------------------

    def config(self, s: Server) -> Configuration:
        """The configuration server s acts on. Single-server changes: the latest configuration
        entry in its log, used as soon as it is appended. etcd-io/raft: the latest one it has
        applied (at or below its commit index). Before any: its base configuration."""
        if self.membership is None:
            return self.cluster
        upto = len(s.log) if self.membership == SINGLE else applied_index(s)
        return latest_config(s.log, upto, s.base_config)  # type: ignore[arg-type]

    def is_voter(self, s: Server, i: int) -> bool:
        """Server i's vote counts in the configuration s acts on: only such a server starts an
        election (a learner, a removed server, a server not yet added does not), and only such
        servers are asked for votes."""
        return bool(self.config(s).all_voters >> i & 1)

    def is_member(self, s: Server, i: int) -> bool:
        """Server i is a voter or a learner of the configuration s acts on: a leader replicates
        to it (entries or a snapshot)."""
        return bool(self.config(s).members >> i & 1)

    def leads_as_voter(self, s: Server, i: int) -> bool:
        """Leader i counts its own log toward a quorum only while it is a voter of its
        configuration. A leader removing itself manages the cluster without counting itself,
        and steps down once its removal is committed (dissertation §4.2.2)."""
        return self.membership is None or self.is_voter(s, i)

    def may_change_config(self, s: Server) -> bool:
        """Whether leader s may append a configuration change now.

        Single-server changes (hashicorp/raft's configurationChangeChIfStable): its latest
        configuration is committed, so at most one change is in flight, and it has committed
        an entry of its own term: the fix of the single-server change bug Ongaro reported on
        raft-dev in 2015 (two changes, one uncommitted across a leader change, give two
        disjoint majorities).

        etcd-io/raft (pendingConfIndex): every configuration entry in its log is applied, and
        everything it had when elected (every entry of an older term) is applied too."""
        if self.membership == SINGLE:
            return self.config_committed(s) and self.committed_in_term(s)
        return (last_config_index(s.log) <= applied_index(s)
                and applied_index(s) >= entries_before_term(s))

    def config_committed(self, s: Server) -> bool:
        """No configuration entry of its log lies beyond its commit index."""
        return last_config_index(s.log) <= s.commit_index

    def committed_in_term(self, s: Server) -> bool:
        """It has committed an entry of its current term."""
        return s.commit_index > 0 and s.log[s.commit_index - 1][0] == s.term

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
        """The highest log index that a quorum (the leader and its matched followers) of its
        configuration stores."""
        config = self.config(s)
        own = 1 << me if self.leads_as_voter(s, me) else 0
        for index in range(len(s.log), 0, -1):
            agree = own
            for k, match in enumerate(s.match_index):
                if match >= index:
                    agree |= 1 << k
            if self.is_quorum(agree, config):
                return index
        return 0

    # --- snapshots (snapshots.py) ---------------------------------------------------------

    def snapshot_limit(self, s: Server) -> int:
        """The highest index a server may compact: what it has applied, never past its
        commit index."""
        return s.commit_index

    def log_after_snapshot(self, s: Server, m: InstallSnapshotRequest) -> Log | None:
        """What a follower's log becomes when it installs the snapshot m (the dissertation,
        §5.1): None, if the snapshot is no newer than what it has applied (a delayed one);
        its log with the snapshot's entries, if its own entry at the snapshot's last index has
        the snapshot's term (it keeps the entries that follow); else the snapshot alone."""
        last = len(m.entries)
        if last <= applied_index(s):
            return None
        if len(s.log) >= last and s.log[last - 1][0] == m.entries[-1][0]:
            return (*m.entries, *s.log[last:])
        return m.entries


def entries_before_term(s: Server) -> int:
    """How many entries of its log are of a term before its current one: the last index it
    had when it became leader of its term (terms never decrease along a log)."""
    log = s.log
    k = len(log)
    while k and log[k - 1][0] >= s.term:
        k -= 1
    return k
