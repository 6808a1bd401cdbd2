"""What every handler shares besides the candidate World: the rules, node numbering, what each
node's format observes, each node's configuration, and where things were first seen (so that
a report can cite the lines involved). None of it is part of a World: it is the same in every
candidate, or only used for reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from raftcheck.spec import quorum
from raftcheck.spec.quorum import Configuration
from raftcheck.spec.records import bits
from raftcheck.spec.rules import Rules
from raftcheck.traces.events import SourceRef

from .observe import NOTHING, Observes

RECENT_CONFIGS = 3
"""Configurations kept for nodes whose logs do not show theirs (one change at a time: a node
lags a change or two behind at most, in practice)."""


class UnnamedNode(Exception):
    """A line names no node where its event needs one (an etcd member id of 0, where a
    message's sender or recipient stands): it is a line that does not parse, not a step."""


@dataclass
class Context:
    rules: Rules
    node_format: dict[int, Observes] = field(default_factory=dict)
    # what every node observes since a transcript's log-level command (None: its format's)
    level_override: Observes | None = None
    # after a while in which no step was logged (a transcript at log-level none), nothing
    # about a node is strict until a line shows its role and term again (it is resynced)
    resyncing: bool = False
    resynced: set[int] = field(default_factory=set)
    # nodes whose own log began mid-run (its first line is no start of the server: the parts
    # before were rotated away, or cut): followed leniently until a line shows its role and
    # term, as after a stretch that logged nothing
    unsynced: set[int] = field(default_factory=set)
    # such a node -> the term its first line showing its role and term showed: what it did in
    # that term and before may predate its log (a vote answered after its log began may
    # answer a request sent before)
    began_at: dict[int, int] = field(default_factory=dict)
    # report bookkeeping
    leader_source: dict[tuple[int, int], SourceRef] = field(default_factory=dict)
    vote_source: dict[tuple[int, int], tuple[int, SourceRef]] = field(default_factory=dict)
    # (voter, term) -> the end of its log as its vote line showed it: once the candidate counts
    # that vote, the vote was sent, and a node persists its log before it answers (§5.1)
    vote_log_end: dict[tuple[int, int], int] = field(default_factory=dict)
    commit_seen: dict[int, SourceRef] = field(default_factory=dict)  # node -> its last commit
    kept_source: dict[int, SourceRef] = field(default_factory=dict)  # node -> why it keeps
    committed_source: dict[int, SourceRef] = field(default_factory=dict)  # term -> first line
    commit_mark_source: SourceRef | None = None  # the line of the highest commit seen
    # (node, term, pre-vote) -> the tally it logged, where its votes are not all logged
    tally: dict[tuple[int, int, bool], int] = field(default_factory=dict)
    # (node, term, pre-vote) of campaigns whose candidate's own vote line was read: before it,
    # a tally may leave the own vote out (hashicorp counts the answers in the order they come,
    # its own among them, and may win before reading its own)
    own_vote_read: set[tuple[int, int, bool]] = field(default_factory=set)
    # each node's configuration as its own lines show it (etcd, traces, transcripts log every
    # configuration a node applies); and the configurations any node has shown, newest last,
    # for nodes whose logs do not show their own (hashicorp's followers)
    configs: dict[int, Configuration] = field(default_factory=dict)
    history: list[Configuration] = field(default_factory=list)
    config_shown_by: int | None = None  # the node whose line showed the latest configuration
    pending_change: dict[int, SourceRef] = field(default_factory=dict)  # leader -> appended
    # replication messages sent, where a format logs every send (the same in every candidate)
    sent: set = field(default_factory=set)
    numbers: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)

    def index(self, name: str) -> int:
        i = self.numbers.get(name)
        if i is None:
            if not isinstance(name, str):
                raise UnnamedNode("names no node where one is needed (a member id of 0?)")
            digits = name[1:] if name[:1] == "n" and name[1:].isdigit() else ""
            taken = set(self.numbers.values())
            # nK is node K where K is free and a cluster's size (not n1000000000000: a
            # number a log shows, taken as a node, would size every per-node table)
            i = int(digits) - 1 if digits and len(digits) <= 3 and int(digits) > 0 \
                and int(digits) - 1 not in taken else max([*self.numbers.values(), -1]) + 1
            self.numbers[name] = i
            while len(self.names) <= i:
                self.names.append(f"n{len(self.names) + 1}")
            self.names[i] = name
        return i

    def name(self, i: int) -> str:
        return self.names[i] if i < len(self.names) else f"n{i + 1}"

    def observes(self, i: int) -> Observes:
        if (self.resyncing or self.unsynced) and (  # (one test per call, most calls)
                (self.resyncing and i not in self.resynced) or i in self.unsynced):
            return NOTHING
        if self.level_override is not None:
            return self.level_override
        return self.node_format.get(i, NOTHING)

    def leniency(self) -> frozenset[int]:
        """Which nodes a line has resynced so far: to put back with :meth:`restore_leniency`
        when events taken since are given back (a retry that failed)."""
        return frozenset(self.resynced)

    def restore_leniency(self, resynced: frozenset[int]) -> None:
        """Nodes resynced by a line given back are not: a node whose log began mid-run is
        followed leniently again (its first line may have been read since: it stays marked,
        as the engine marks a node once)."""
        given_back = self.resynced - resynced
        self.resynced = set(resynced)
        self.unsynced |= {i for i in given_back if i in self.began_at}

    def before_log(self, i: int, term: int | None) -> bool:
        """Whether node i's steps of ``term`` may predate its log (it began mid-run at that
        term or a later one)."""
        began = self.began_at.get(i)
        return began is not None and term is not None and term <= began

    def set_config(self, i: int, config: Configuration) -> None:
        """Node i uses ``config`` from now on."""
        self.configs[i] = config
        self.config_shown_by = i
        if not self.history or self.history[-1] != config:
            self.history = [*self.history[-(RECENT_CONFIGS - 1):], config]

    def config_of(self, i: int) -> Configuration:
        """Node i's configuration as far as the logs show it (every node ever seen, if none
        was shown)."""
        return self.configs.get(i) or quorum.everyone(self.rules.nodes)

    def voters_of(self, i: int) -> frozenset[int]:
        """The voters of node i's configuration (both halves while joint)."""
        return frozenset(bits(self.config_of(i).all_voters))

    def is_quorum(self, i: int, granted: int) -> bool:
        """Whether the nodes in bit set ``granted`` are a quorum of node i's configuration.
        Where node i's format does not log the configurations it uses, or its log began mid-run
        and has not shown one yet, a quorum of any configuration recently shown by a node will
        do (it may not have caught up; none shown: any but the empty set, since every
        configuration has a voter)."""
        return granted != 0 and self._quorum_of_some(i, lambda c: quorum.is_quorum(c, granted))

    def is_tally_quorum(self, i: int, tally: int) -> bool:
        """Whether ``tally`` votes, from nodes no line names, may be a quorum of node i's
        configuration (a majority of each half's voters), on is_quorum's terms."""
        return tally > 0 and self._quorum_of_some(i, lambda c: all(
            2 * tally > half.bit_count() for half in (c.voters, c.outgoing) if half))

    def _quorum_of_some(self, i: int, holds: Callable[[Configuration], bool]) -> bool:
        if holds(self.config_of(i)):
            return True
        mid_run = i not in self.configs and (i in self.unsynced or i in self.began_at)
        if mid_run and not self.history:
            return True  # its log began mid-run and no log shows a configuration: unknown
        if (self.observes(i).configs and not mid_run) or not self.history:
            return False
        return any(holds(c) for c in self.history)

    def prune_sources(self, floor: int) -> None:
        """Report bookkeeping of terms that every node has passed can no longer be cited."""
        for key in [k for k in self.leader_source if k[0] < floor]:
            del self.leader_source[key]
        for key in [k for k in self.vote_source if k[1] < floor]:
            del self.vote_source[key]
        for key in [k for k in self.vote_log_end if k[1] < floor]:
            del self.vote_log_end[key]
        self.sent = {m for m in self.sent if m.term >= floor}
        for key in [k for k in self.tally if k[1] < floor]:
            del self.tally[key]
        self.own_vote_read = {k for k in self.own_vote_read if k[1] >= floor}
