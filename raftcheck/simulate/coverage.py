"""Action coverage: the kinds of action a configuration of the spec can take, and which a run
took how often.

A kind the spec defines for a configuration but that no walk ever took is worth a look: a
guard that can never hold (a spec bug), a bound that cuts off what leads to it, or walks too
short to get there. The kinds listed here are those of the spec's actions (spec/actions.py)
that the configuration switches on; a bound of 0 (no restarts, no partitions, no writes)
switches its kind off. tests/test_simulate.py checks the lists against long walks of several
configurations.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..spec.config import SpecConfig
from ..spec.timed.config import TimedConfig

#: The actions of every configuration: elections and replication, over a network.
RAFT = ("Timeout", "RequestVote", "AppendEntries", "HandleRequestVoteRequest",
        "HandleRequestVoteResponse", "HandleAppendEntriesRequest",
        "HandleAppendEntriesResponse")
#: raft.tla's steps that the raftcheck profile takes as part of others (atomic servers).
RAFT_TLA_ONLY = ("BecomeLeader", "AdvanceCommitIndex", "UpdateTerm", "DropStaleResponse")
PRE_VOTE = ("PreVoteTimeout", "RequestPreVote", "HandlePreVoteRequest", "HandlePreVoteResponse")
CLIENTS = ("ClientSend", "ClientReply", "ClientTimeout")
#: Configuration changes (spec/membership.py) and snapshots (spec/snapshots.py). A change's
#: guard also depends on who is a member, so a kind may go unoffered for lack of room to make
#: it (adding a server to a full cluster needs a removal first).
CHANGES = ("AddVoter", "AddLearner", "RemoveServer")
JOINT = ("EnterJoint", "LeaveJoint")
SNAPSHOTS = ("TakeSnapshot", "InstallSnapshot", "HandleInstallSnapshotRequest")


def model_kinds(config: SpecConfig | TimedConfig) -> tuple[str, ...]:
    """The action kinds this configuration of the spec defines, sorted."""
    if isinstance(config, TimedConfig):
        return _timed_kinds(config)
    b = config.bounds
    kinds = [*RAFT, "DropMessage"]
    if b.max_elections == 0:
        kinds.remove("Timeout")
    if config.profile == "raft-tla":
        kinds += [*RAFT_TLA_ONLY, "Restart"]
        if b.max_log > 0:
            kinds.append("ClientRequest")
        if b.max_dup >= 2:
            kinds.append("DuplicateMessage")
        return tuple(sorted(kinds))
    if b.max_writes != 0 and b.max_log > 0:
        kinds.append("ClientRequest")
    if b.max_restarts != 0:
        kinds.append("Restart")
    if b.max_dup >= 2:
        kinds.append("DeliverCopy")
    if b.max_partitions > 0 and not config.split:
        kinds += ["Partition", "Heal"]
    if config.membership and config.max_config_changes > 0:
        kinds += CHANGES
        if config.membership == "joint":
            kinds += JOINT
    if config.snapshots:
        kinds += SNAPSHOTS
    return tuple(sorted(kinds))


def _timed_kinds(config: TimedConfig) -> tuple[str, ...]:
    b = config.bounds
    kinds = [*RAFT, "HeartbeatRound", "Tick"]
    if config.pre_vote:
        kinds.remove("Timeout")
        kinds += PRE_VOTE
    elif b.max_elections == 0:
        kinds.remove("Timeout")
    if config.quiet_votes:
        kinds.append("IgnoreVoteRequest")
    if config.check_quorum:
        kinds.append("CheckQuorum")
    if config.timing.fsync and config.timing.slow_disks:
        kinds.append("DiskDone")
    if config.lossy:
        kinds.append("DropMessage")
    # A response outlives its term only beside another message, or held back by a slow disk
    # until its sender has moved on (the untimed model drops such responses at once instead).
    if b.max_msgs is None or b.max_msgs >= 2 or (config.timing.fsync
                                                 and config.timing.slow_disks):
        kinds.append("DropStaleResponse")
    if b.max_dup >= 2:
        kinds.append("DeliverCopy")
    if config.client_count and (b.max_writes != 0 or config.reads != "none"):
        kinds += CLIENTS
        if config.retry_writes:
            kinds.append("ClientRetry")
    if b.max_restarts != 0:
        kinds.append("Restart")
    if b.max_partitions > 0 and not config.spec.split:
        kinds += ["Partition", "Heal"]
    return tuple(sorted(kinds))


@dataclass
class Coverage:
    """How often each kind was taken, and the kinds never taken: those offered at some state
    but never chosen, and those never offered at all."""

    taken: Counter
    offered_not_taken: list[str]
    never_offered: list[str]

    @property
    def never_taken(self) -> list[str]:
        return sorted(self.offered_not_taken + self.never_offered)


def coverage(kinds: tuple[str, ...], taken: Counter, enabled: set) -> Coverage:
    """kinds: the kinds the model defines (model_kinds); kinds seen beyond them count too."""
    every = sorted(set(kinds) | set(enabled) | set(taken))
    return Coverage(
        taken=Counter({kind: taken[kind] for kind in every if taken[kind]}),
        offered_not_taken=[kind for kind in every if not taken[kind] and kind in enabled],
        never_offered=[kind for kind in every if not taken[kind] and kind not in enabled],
    )
