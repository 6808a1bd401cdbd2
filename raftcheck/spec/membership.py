"""Membership changes: configurations kept in the log, and the changes a leader may append.

A configuration (quorum.Configuration) is the value of a configuration entry in the log. Which
one a server acts on is Rules.config: the latest one appended (single-server changes, as in
Ongaro's dissertation §4.1 and hashicorp/raft) or the latest one applied (etcd-io/raft, whose
ConfChangeV2 also enters and leaves joint configurations). Before the log holds any, a server
acts on its base configuration: the one it booted with (none for a server started outside the
cluster, waiting to be added), or the one a snapshot brought it.

The changes are pure functions from configuration to configuration, and change_config is the
action that appends one (guard first). Explore tries the changes listed by changes_to_try;
validate may call change_config with the configuration a log shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .quorum import Configuration
from .records import Log, Role, Server, set_text

if TYPE_CHECKING:
    from .rules import Rules

SINGLE, JOINT = "single", "joint"
MODES = (SINGLE, JOINT)


def latest_config(log: Log, upto: int, base: Configuration) -> Configuration:
    """The latest configuration among the first `upto` entries of the log, else base."""
    for k in range(upto - 1, -1, -1):
        value = log[k][1]
        if type(value) is Configuration:
            return value
    return base


def last_config_index(log: Log) -> int:
    """The index of the last configuration entry in the log (0: none)."""
    for k in range(len(log) - 1, -1, -1):
        if type(log[k][1]) is Configuration:
            return k + 1
    return 0


# --- changes, as functions of the configuration ----------------------------------------------


def add_voter(c: Configuration, j: int) -> Configuration:
    """Server j becomes a voter (a learner is promoted)."""
    bit = 1 << j
    return c._replace(voters=c.voters | bit, learners=c.learners & ~bit)


def add_learner(c: Configuration, j: int) -> Configuration:
    """Server j joins as a learner (hashicorp's non-voter): it receives the log, never votes."""
    bit = 1 << j
    return c._replace(learners=c.learners | bit)


def remove_server(c: Configuration, j: int) -> Configuration:
    """Server j leaves the configuration, as a voter or as a learner."""
    bit = ~(1 << j)
    return c._replace(voters=c.voters & bit, learners=c.learners & bit)


def enter_joint(c: Configuration, voters: int, *, auto_leave: bool = True) -> Configuration:
    """etcd-io/raft's ConfChangeV2: the configuration becomes joint, with `voters` incoming and
    the present voters outgoing; a learner made a voter stops being a learner."""
    return Configuration(voters, c.learners & ~voters, c.voters, 0, auto_leave)


def leave_joint(c: Configuration) -> Configuration:
    """The joint configuration is left: only the incoming voters count; servers to be demoted
    become learners."""
    return Configuration(c.voters, c.learners | c.learners_next)


def changed_servers(old: Configuration, new: Configuration) -> int:
    """The servers whose role (voter, learner, neither) differs between the configurations."""
    return (old.voters ^ new.voters) | (old.learners ^ new.learners)


def is_single_change(old: Configuration, new: Configuration) -> bool:
    """One server's role changes, and neither configuration is joint: any majority of the old
    voters then meets any majority of the new ones."""
    return (not old.joint and not new.joint and changed_servers(old, new).bit_count() == 1
            and not new.voters & new.learners and new.voters != 0)


def valid_change(mode: str, old: Configuration, new: Configuration) -> bool:
    """Whether a leader acting on `old` may append `new`: a single-server change; with
    etcd-io/raft, also entering a joint configuration from a simple one, or leaving it."""
    if is_single_change(old, new):
        return True
    if mode != JOINT:
        return False
    if old.joint:
        return new == leave_joint(old)
    return (new.joint and new.outgoing == old.voters and new.voters != 0
            and not new.learners & (new.voters | new.outgoing)
            and not new.learners_next & ~(new.outgoing & ~new.voters))


# --- the action -------------------------------------------------------------------------------


def change_config(r: Rules, i: int, s: Server, new: Configuration) -> Server | None:
    """Leader i appends a configuration entry with configuration `new`, when it may change
    the configuration now (Rules.may_change_config) and `new` is a change it may make from
    the configuration it acts on."""
    if s.role != Role.LEADER or not r.may_change_config(s):
        return None
    if not valid_change(r.membership or SINGLE, r.config(s), new):
        return None
    return s._replace(log=(*s.log, (s.term, new)))


def changes_to_try(r: Rules, i: int, s: Server, nodes: int) -> list[tuple[str, int, Configuration]]:
    """The changes explore lets leader i try: (kind, server, new configuration).

    AddVoter of a server not a voter (outside, or a learner: a promotion), AddLearner of a
    server outside, RemoveServer of any member (i itself included); with etcd-io/raft's
    changes also EnterJoint to every voter set two servers away (a replacement, or two added
    or removed at once) and LeaveJoint. Each keeps at least one voter."""
    c = r.config(s)
    out: list[tuple[str, int, Configuration]] = []
    if c.joint:
        return [("LeaveJoint", -1, leave_joint(c))]
    for j in range(nodes):
        bit = 1 << j
        if not c.voters & bit:
            out.append(("AddVoter", j, add_voter(c, j)))
        if not c.members & bit:
            out.append(("AddLearner", j, add_learner(c, j)))
        if c.members & bit and c.voters & ~bit:
            out.append(("RemoveServer", j, remove_server(c, j)))
    if r.membership == JOINT:
        everyone = (1 << nodes) - 1
        for voters in range(1, everyone + 1):
            if (voters ^ c.voters).bit_count() == 2:
                out.append(("EnterJoint", voters, enter_joint(c, voters)))
    return out


def describe(c: Configuration | tuple) -> str:
    """A configuration in a trace: `{n1,n2,n3}`, `{n1,n2}+learners{n3}`, joint
    `{n2,n3,n4}&{n1,n2,n3}`, `none`."""
    if not isinstance(c, Configuration):
        return "-"
    if c == Configuration(0):
        return "none"
    text = set_text(c.voters)
    if c.joint:
        text += "&" + set_text(c.outgoing)
    if c.learners:
        text += "+learners" + set_text(c.learners)
    if c.learners_next:
        text += "+learners_next" + set_text(c.learners_next)
    return text
