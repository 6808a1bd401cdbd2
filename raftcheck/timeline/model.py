"""What a timeline is made of: members, role spans, campaigns, elections with their triggers,
leaderless windows, warnings and findings. Plain records: the builder fills them, the outputs
(terminal, JSON, HTML) only read them.

Times are the logged ones after the clock correction of :mod:`raftcheck.timeline.clocks`
(aware datetimes, UTC when the logs say so). Every claim carries the log lines it rests on
(:class:`raftcheck.traces.events.SourceRef`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from raftcheck.traces.events import SourceRef

ROLES = ("follower", "pre-candidate", "candidate", "leader", "down")
"""A node's role in the swimlane; ``down`` = its process was not running (killed, stopped)."""


@dataclass
class Member:
    """One node: its normalised name (n1...), the name operators know it by (etcd's --name,
    else its id in the logs), and the Raft timing its logs state (None = not logged)."""

    node: str
    name: str
    ids: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    election_ms: int | None = None
    heartbeat_ms: int | None = None
    pre_vote: bool | None = None


@dataclass
class RoleSpan:
    """``node`` was ``role`` at ``term`` from ``start`` to ``end`` (both as logged)."""

    node: str
    role: str
    term: int | None
    start: datetime
    end: datetime
    source: SourceRef | None = None


@dataclass
class LoggedWarning:
    """A warning an implementation logged (etcd's server warnings; hashicorp's failed
    heartbeats, failed appendEntries, lost quorum, heartbeat timeouts), in the words of the
    line. ``election``: the term of the election it precedes, if any."""

    node: str
    at: datetime
    kind: str
    text: str
    source: SourceRef
    peer: str | None = None
    seconds: float | None = None
    election: int | None = None


@dataclass
class Campaign:
    """One campaign of ``node``: a pre-vote (asking for ``term``) or a vote (at ``term``)."""

    node: str
    term: int | None
    prevote: bool
    at: datetime
    source: SourceRef
    outcome: str = "lost"  # won (a pre-vote: moved on to a vote), lost, or unknown


@dataclass
class Trigger:
    """Why an election happened, as far as the logs show. ``kind`` is one of TRIGGERS;
    ``at`` the first line showing it; ``began``: the fault began between these two times
    (when the logs bound it); ``evidence``: the lines."""

    kind: str
    summary: str
    at: datetime | None
    began: tuple[datetime, datetime] | None = None
    evidence: list[SourceRef] = field(default_factory=list)
    finding: str | None = None  # the diagnosis item (FINDINGS) that tells its cause, if one


TRIGGERS = {
    "startup": "the cluster started: the first election",
    "leader-killed": "the leader stopped (killed or crashed) and was restarted later",
    "leader-stopped": "the leader was stopped (a signal) or its log ends",
    "leader-removed": "the leader was removed from the cluster (membership change)",
    "leader-paused": "the leader went silent (paused, stalled) and came back to a newer term",
    "heartbeats-lost": "followers stopped hearing from the leader: their election timers fired",
    "check-quorum": "the leader stepped down: it could not reach a quorum (check-quorum)",
    "disruption": "a node rejoined with a higher term and forced the leader out",
    "transfer": "leadership was handed over (leadership transfer)",
    "unknown": "the logs do not show why",
}


@dataclass
class Window:
    """A span with no leader able to commit: from the first line that shows it (``start``,
    ``start_source``) to the election that ended it (``end``; None = not before the logs
    end). ``startup``: the cluster's first election, not an incident."""

    start: datetime
    end: datetime | None
    start_source: SourceRef | None
    end_source: SourceRef | None
    startup: bool = False
    note: str = ""
    shutdown: bool = False  # the cluster was being stopped (a majority got a stop signal)

    @property
    def seconds(self) -> float | None:
        return None if self.end is None else (self.end - self.start).total_seconds()


@dataclass
class Tenure:
    """``leader`` led ``term`` from ``start`` until ``end`` (None: still leading when its log
    ends), and why it stopped (``reason``, ``end_source``)."""

    leader: str
    term: int | None
    start: datetime
    source: SourceRef
    end: datetime | None = None
    reason: str = ""
    end_source: SourceRef | None = None


@dataclass
class Election:
    """An election won: ``leader`` of ``term`` at ``at``; the campaigns of that term (and the
    pre-votes asking for it), the leader before, the trigger, the leaderless window it ended
    and the warnings logged before it."""

    term: int | None
    leader: str
    at: datetime
    source: SourceRef
    campaigns: list[Campaign] = field(default_factory=list)
    previous: Tenure | None = None
    trigger: Trigger | None = None
    window: Window | None = None
    warnings: list[LoggedWarning] = field(default_factory=list)


def hms(t: datetime | None, missing: str = "-") -> str:
    """A logged time as every output shows it: to the millisecond, without the date."""
    return missing if t is None else f"{t:%H:%M:%S.%f}"[:-3]


def unique(sources: list[SourceRef]) -> list[SourceRef]:
    """The lines once each, in order."""
    return list(dict.fromkeys(sources))


@dataclass
class Finding:
    """One item of the diagnosis, in an operator's words: ``kind`` (FINDINGS), a one-line
    ``title``, the ``detail``, what to do (``advice``) and the lines it rests on."""

    kind: str
    title: str
    detail: str = ""
    advice: str = ""
    evidence: list[SourceRef] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None


FINDINGS = {
    "election-storm": "many elections in a short time",
    "node-cut-off": "one node's term climbed alone: it was cut off from the others",
    "slow-disk": "the leader's disk was slow before it lost leadership",
    "leader-stalled": "the leader's process stood still (late heartbeats, no slow disk write)",
    "flapping-link": "a link between two nodes broke and came back repeatedly",
    "clock-skew": "the nodes' clocks disagree",
    "log-lost": "a node's log lost entries it had acknowledged (its disk lost data)",
    "leader-lost": "the cluster lost its leader (killed, stopped, paused or cut off)",
    "no-trouble": "no Raft trouble found",
}


@dataclass
class Skew:
    """What the logs prove about ``node``'s clock relative to ``reference``: it is ahead by
    between ``low`` and ``high`` seconds (a message received before it was sent, by their
    timestamps, bounds it); ``applied`` is the correction made (0 when 0 is possible)."""

    node: str
    reference: str
    low: float
    high: float
    applied: float
    evidence: list[SourceRef] = field(default_factory=list)


@dataclass
class Timeline:
    """One run's timeline."""

    run: str
    implementation: str
    members: dict[str, Member]
    start: datetime | None
    end: datetime | None
    spans: list[RoleSpan] = field(default_factory=list)
    elections: list[Election] = field(default_factory=list)
    tenures: list[Tenure] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    campaigns: list[Campaign] = field(default_factory=list)
    warnings: list[LoggedWarning] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skews: list[Skew] = field(default_factory=list)
    precision: dict[str, float] = field(default_factory=dict)  # each node's clock, seconds
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    events: int = 0
    seconds: float = 0.0  # time taken to build it

    def name(self, node: str | None) -> str:
        """The name operators know a node by (etcd --name, else its id in the logs)."""
        if node is None:
            return "-"
        member = self.members.get(node)
        return member.name if member else node
