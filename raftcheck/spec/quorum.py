"""What a quorum is: the one definition that everything counting votes or acknowledgements asks.

A configuration names the servers whose votes count (voters) and the servers that only receive
the log (learners, hashicorp's non-voters). While a joint configuration is in force (etcd-io/raft's
joint consensus, the dissertation's C_old,new), two voter sets count, the incoming and the
outgoing one, and a quorum must be a majority of each. A fixed cluster of n servers is the
configuration whose voters are all n.

Servers are numbered 0..n-1 and sets of them are bit sets (ints), as everywhere in the spec, so a
configuration is hashable and renaming servers is a permutation of bits.
"""

from __future__ import annotations

from typing import NamedTuple


class Configuration(NamedTuple):
    """The servers a configuration is made of, each set a bit set of server numbers."""

    voters: int  # the voters (while joint: the incoming ones)
    learners: int = 0  # receive the log, never vote and never count toward a quorum
    outgoing: int = 0  # while joint: the outgoing voters; 0 when not joint
    # etcd-io/raft: voters of the outgoing configuration that become learners on leaving it
    learners_next: int = 0
    # etcd-io/raft: the leader leaves the joint configuration by itself once it is applied
    auto_leave: bool = False

    @property
    def joint(self) -> bool:
        return self.outgoing != 0

    @property
    def all_voters(self) -> int:
        """Every server whose vote counts (both halves of a joint configuration)."""
        return self.voters | self.outgoing

    @property
    def members(self) -> int:
        """Every server the leader replicates to: voters of either half and learners."""
        return self.voters | self.outgoing | self.learners | self.learners_next


#: No configuration known: a server that has not been told of one (it waits to be added).
NO_CONFIGURATION = Configuration(0)


def everyone(nodes: int) -> Configuration:
    """The configuration of a fixed cluster: every one of `nodes` servers is a voter."""
    return Configuration((1 << nodes) - 1)


def quorum_size(voters: int) -> int:
    """How many of `voters` voters make a majority: more than half of them."""
    return voters // 2 + 1


def majority(voters: int, members: int) -> bool:
    """Whether `members` (a bit set) holds a majority of the voter set `voters` (a bit set).
    No voters at all have no majority: a server that knows no configuration cannot elect."""
    return bool(voters) and (members & voters).bit_count() >= quorum_size(voters.bit_count())


def is_quorum(config: Configuration, members: int) -> bool:
    """Whether a set of servers (a bit set) is a quorum of the configuration: a majority of its
    voters and, while joint, a majority of its outgoing voters too."""
    return majority(config.voters, members) and (
        not config.outgoing or majority(config.outgoing, members))

