"""Deliberately broken variants of the spec: each changes one rule, and the checker must catch it.

A mutant that the checker cannot catch is a hole in the invariants or in the scope; the tests run
every mutant at the bounds given here and expect the named invariants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from .quorum import Configuration, quorum_size
from .records import AppendEntriesRequest, InstallSnapshotRequest, Log, RequestVoteRequest, Server
from .rules import Rules


class DoubleVote(Rules):
    """Grants a vote without looking at votedFor: a server may vote twice in one term."""

    def grants_vote(self, s: Server, m: RequestVoteRequest) -> bool:
        return m.term == s.term and self.candidate_log_ok(s.log, m)


class Figure8(Rules):
    """Commits the highest entry stored on a quorum whatever its term: the leader of a later term
    commits an older-term entry by counting replicas (Raft paper, Figure 8)."""

    def commit_index(self, s: Server, me: int) -> int:
        return max(self.quorum_index(s, me), s.commit_index)


class NoConsistencyCheck(Rules):
    """Accepts AppendEntries without checking that the entry before the new ones matches."""

    def append_log_ok(self, log: Log, m: AppendEntriesRequest) -> bool:
        return True


class StaleAppendTruncates(Rules):
    """Makes its log end where an accepted AppendEntries' entries end, whether or not anything
    conflicts (log = log[:prevLogIndex] + entries): a heartbeat overtaken by a later request
    deletes the entry the follower already acknowledged."""

    def log_after_request(self, log: Log, m: AppendEntriesRequest) -> Log:
        return log[:m.prev_log_index + len(m.entries)]


class NoStepDown(Rules):
    """Adopts a higher term but keeps its role: a leader stays leader in the new term."""

    def role_after_higher_term(self, s: Server) -> int:
        return s.role


class CountsSelfTwice(Rules):
    """Counts the leader's own copy twice when deciding commits, so half the cluster looks like
    a quorum: with a partition, the leader's minority side commits on its own."""

    def quorum_index(self, s: Server, me: int) -> int:
        for index in range(len(s.log), 0, -1):
            votes = 2 + sum(1 for k, match in enumerate(s.match_index)
                            if k != me and match >= index)
            if votes >= quorum_size(self.nodes):
                return index
        return 0


class LeaseNoDriftMargin(Rules):
    """Computes the lease as if clocks never drifted: a full minimum election timeout, so a
    slow leader clock keeps serving reads after faster voters have elected a new leader."""

    def lease_length(self, election_min: int, drift: Fraction) -> Fraction:
        return Fraction(election_min)


class AckBeforeCommit(Rules):
    """Acknowledges a write to the client as soon as the leader has it in its own log, before a
    quorum stores it."""

    def write_acknowledged(self, s: Server, index: int) -> bool:
        return len(s.log) >= index


class FollowerReadLinearizable(Rules):
    """Serves a read asked for as linearizable at a follower, from the follower's own commit
    index: a follower that has not yet heard of the latest committed write answers with an
    older value."""

    def serves_linearizable_read(self, role: int) -> bool:
        return True


class ReadIndexNoHeartbeat(Rules):
    """ReadIndex without the round of heartbeats that confirms leadership: a leader cut off in
    the minority, not yet aware that a new leader committed writes, answers from its own
    commit index."""

    def read_index_confirms_leadership(self) -> bool:
        return False


class ChangeBeforeCommitInTerm(Rules):
    """Appends a configuration change once its latest configuration is committed, without
    first committing an entry of its own term: the single-server membership change bug Ongaro
    reported on raft-dev in 2015. A change appended by one leader and left uncommitted, and
    another appended by the next leader, each one server away from the old configuration but
    two from each other, have disjoint majorities: two leaders in one term."""

    def may_change_config(self, s: Server) -> bool:
        return self.config_committed(s)


class TwoChangesInFlight(Rules):
    """Appends a configuration change while the previous one is still uncommitted: two
    single-server changes in flight add up to a change of two servers, whose old and new
    majorities need not meet (dissertation §4.1: one change at a time)."""

    def may_change_config(self, s: Server) -> bool:
        return self.committed_in_term(s)


class JointNewMajorityOnly(Rules):
    """Counts, while a configuration is joint, only a majority of the incoming voters, as if
    the new configuration were already in force: the outgoing majority, which servers that
    have not applied the change still use, is not needed (joint consensus needs both)."""

    def is_quorum(self, members: int, config: Configuration | None = None) -> bool:
        if config is not None and config.joint:
            config = config._replace(outgoing=0)
        return super().is_quorum(members, config)


class RemovedLeaderKeepsLeading(Rules):
    """A leader removed from the configuration keeps leading, and counts its own log as one
    acknowledgement toward a majority of the voters, as it did while it was one of them. The
    dissertation (§4.2.2) has it not count itself and step down once its removal is committed:
    counted, it commits with fewer than a majority of the new voters, and they can elect a
    leader without the entry."""

    def leads_as_voter(self, s: Server, i: int) -> bool:
        return True

    def quorum_index(self, s: Server, me: int) -> int:
        config = self.config(s)
        for index in range(len(s.log), 0, -1):
            acks = 1 + sum(1 for k, match in enumerate(s.match_index)
                           if k != me and match >= index and config.voters >> k & 1)
            if acks >= quorum_size(config.voters.bit_count()):
                return index
        return 0


class SnapshotPastCommit(Rules):
    """Compacts its whole log, entries it does not know to be committed included: a follower
    whose uncommitted entries a new leader overwrites has already applied them."""

    def snapshot_limit(self, s: Server) -> int:
        return len(s.log)


class InstallsOlderSnapshot(Rules):
    """Installs every snapshot it is sent by replacing its log with it, never checking that it
    is newer than what it has: a delayed snapshot wipes out entries committed since, and the
    entries that follow a matching snapshot are discarded too."""

    def log_after_snapshot(self, s: Server, m: InstallSnapshotRequest) -> Log | None:
        return m.entries


@dataclass(frozen=True)
class Mutant:
    name: str
    rules: type[Rules]
    catches: tuple[str, ...]  # the invariants expected to report it (any of them)
    bounds: dict = field(default_factory=dict)  # a scope at which it is caught
    nodes: int = 3
    profile: str = "raftcheck"
    # The timed model's options (spec/timed/config.py: TimedConfig fields, with "timing" for
    # Timing fields), for mutants of time, clients and reads; None: the untimed model.
    timed: dict | None = None
    # The spec's options the mutant needs (SpecConfig fields: membership, initial_voters,
    # max_config_changes, max_snapshots).
    options: dict = field(default_factory=dict)

    @property
    def description(self) -> str:
        return " ".join((self.rules.__doc__ or "").split())


#: What a membership bug that lets two majorities miss each other shows as: two leaders in one
#: term, or an entry committed by one majority unknown to the other.
DISJOINT_MAJORITIES = ("ElectionSafety", "LeaderCompleteness", "StateMachineSafety",
                       "CommittedNeverLost")

MUTANTS: dict[str, Mutant] = {
    m.name: m
    for m in (
        Mutant("double-vote", DoubleVote, ("ElectionSafety", "VotedOncePerTerm"),
               dict(max_term=2, max_log=0, max_msgs=2, max_writes=0, max_restarts=0,
                    max_partitions=0)),
        Mutant("figure8", Figure8,
               ("CommittedNeverLost", "StateMachineSafety", "LeaderCompleteness"),
               dict(max_term=5, max_log=1, max_msgs=1, max_writes=2, max_restarts=0,
                    max_elections=4, max_partitions=0)),
        Mutant("no-consistency-check", NoConsistencyCheck,
               ("LogMatching", "StateMachineSafety", "CommittedNeverLost", "LeaderCompleteness"),
               dict(max_term=4, max_log=2, max_msgs=1, max_writes=3, max_restarts=1,
                    max_elections=3, max_partitions=0)),
        # Only a reordering network shows it: the stale heartbeat must arrive after the request
        # that came after it (tests/test_mutants.py: with one message in flight it holds).
        Mutant("stale-append-truncates", StaleAppendTruncates,
               ("CommittedNeverLost", "LeaderCompleteness", "StateMachineSafety"),
               dict(max_term=3, max_log=1, max_msgs=2, max_writes=1, max_restarts=0,
                    max_partitions=0)),
        Mutant("no-step-down", NoStepDown, ("ElectionSafety",),
               dict(max_term=3, max_log=0, max_msgs=2, max_writes=0, max_restarts=0,
                    max_partitions=0)),
        Mutant("counts-self-twice", CountsSelfTwice,
               ("CommittedNeverLost", "StateMachineSafety", "MinorityNeverCommits"),
               dict(max_term=2, max_log=1, max_msgs=2, max_writes=1, max_restarts=0,
                    max_partitions=1), nodes=4),
        Mutant("lease-no-drift-margin", LeaseNoDriftMargin,
               ("LinearizableReads", "LinearizableHistory"),
               dict(max_term=3, max_log=3, max_msgs=1, max_dup=1, max_writes=1,
                    max_restarts=0, max_elections=2, max_partitions=1),
               timed=dict(reads="lease", timing=dict(election_min=2, election_max=2,
                                                     heartbeat=1, drift=Fraction(1, 3)))),
        Mutant("follower-read-linearizable", FollowerReadLinearizable,
               ("LinearizableHistory", "LinearizableReads"),
               dict(max_term=3, max_log=3, max_msgs=1, max_dup=1, max_writes=1,
                    max_restarts=0, max_elections=2, max_partitions=1),
               timed=dict(reads="index", timing=dict(election_min=2, election_max=2,
                                                     heartbeat=1))),
        Mutant("read-index-no-heartbeat", ReadIndexNoHeartbeat,
               ("LinearizableHistory", "LinearizableReads"),
               dict(max_term=3, max_log=3, max_msgs=1, max_dup=1, max_writes=1,
                    max_restarts=0, max_elections=2, max_partitions=1),
               timed=dict(reads="index", timing=dict(election_min=2, election_max=2,
                                                     heartbeat=1))),
        Mutant("ack-before-commit", AckBeforeCommit, ("AckedWriteNeverLost", "MinorityNoAck"),
               dict(max_term=3, max_log=1, max_msgs=1, max_dup=1, max_writes=1,
                    max_restarts=0, max_elections=2, max_partitions=1),
               timed=dict(timing=dict(election_min=2, election_max=2, heartbeat=1))),
        Mutant("change-before-commit-in-term", ChangeBeforeCommitInTerm,
               DISJOINT_MAJORITIES,
               dict(max_term=4, max_log=1, max_msgs=1, max_writes=0, max_restarts=0,
                    max_elections=3, max_partitions=0),
               nodes=4, options=dict(membership="single", max_config_changes=2)),
        Mutant("two-changes-in-flight", TwoChangesInFlight,
               DISJOINT_MAJORITIES,
               dict(max_term=3, max_log=3, max_msgs=1, max_writes=1, max_restarts=0,
                    max_elections=3, max_partitions=0),
               options=dict(membership="single", max_config_changes=2)),
        Mutant("joint-new-majority-only", JointNewMajorityOnly,
               DISJOINT_MAJORITIES,
               dict(max_term=3, max_log=1, max_msgs=1, max_writes=0, max_restarts=0,
                    max_elections=3, max_partitions=0),
               options=dict(membership="joint", max_config_changes=1)),
        Mutant("removed-leader-keeps-leading", RemovedLeaderKeepsLeading,
               ("CommittedNeverLost", "LeaderCompleteness", "StateMachineSafety"),
               dict(max_term=2, max_log=2, max_msgs=1, max_writes=1, max_restarts=0,
                    max_elections=1, max_partitions=0),
               nodes=4, options=dict(membership="joint", max_config_changes=1)),
        Mutant("snapshot-past-commit", SnapshotPastCommit,
               ("StateMachineSafety", "LeaderCompleteness", "CommittedNeverLost",
                "LogMatching"),
               dict(max_term=3, max_log=1, max_msgs=1, max_writes=2, max_restarts=1,
                    max_elections=2, max_partitions=0),
               options=dict(max_snapshots=1)),
        Mutant("installs-older-snapshot", InstallsOlderSnapshot,
               ("CommittedNeverLost", "LeaderCompleteness", "StateMachineSafety"),
               dict(max_term=2, max_log=2, max_msgs=2, max_writes=2, max_restarts=0,
                    max_elections=1, max_partitions=0),
               options=dict(max_snapshots=1)),
    )
}


def rules_for(mutant: str | None, nodes: int, *, history: bool, realistic: bool,
              pre_vote: bool = False, check_quorum: bool = False,
              membership: str | None = None, snapshots: bool = False) -> Rules:
    """The rules a model runs with: the spec's, or the named mutant's. realistic: servers
    behave as implementations do (Rules: self_vote, tidy, atomic)."""
    cls = MUTANTS[mutant].rules if mutant else Rules
    return cls(nodes, history=history, self_vote=realistic, tidy=realistic, atomic=realistic,
               pre_vote=pre_vote, check_quorum=check_quorum, membership=membership,
               snapshots=snapshots)
