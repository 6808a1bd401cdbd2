"""A message sequence diagram as plain data: lifelines, steps, arrows, notes and network marks.

Nothing here knows Raft or any output format: sequence.py fills these records from a trace, and
mermaid.py and svg.py draw them. Time runs down the diagram in trace steps (step 0 is the
initial state); every event is placed at the step number of the text counterexample, so the
picture and the text can be read side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Fate(StrEnum):
    """What became of a message: how its arrow ends."""

    DELIVERED = "delivered"  # a handler step of the recipient took it
    DROPPED = "dropped"  # the network lost it (a DropMessage step)
    DISCARDED = "discarded"  # it left the network unread: its recipient could only ignore it
    IN_FLIGHT = "in-flight"  # still in the network when the trace ends


@dataclass(frozen=True)
class Arrow:
    """One message from its send to one ending. A message delivered twice (a duplicate, or a
    message a step reads without consuming it) has an arrow per delivery, from the same send."""

    src: int  # lifeline index
    dst: int
    sent: int  # step that put the message in the network
    ended: int | None  # step of the delivery, drop or discard; None while in flight at the end
    fate: Fate
    label: str  # short, for the arrow
    detail: str  # the whole message, for a tooltip or a reader who wants every field
    stays: bool = False  # delivered, and the message stays in flight (read, not consumed)


@dataclass(frozen=True)
class Note:
    """What a step changed on one lifeline, most important first. Kinds: restart, role, vote,
    client, log, commit."""

    step: int
    lifeline: int
    parts: tuple[tuple[str, str], ...]  # (kind, text)

    @property
    def kind(self) -> str:
        return self.parts[0][0]

    @property
    def text(self) -> str:
        return ", ".join(text for _, text in self.parts)


@dataclass(frozen=True)
class NetworkMark:
    """A network event across lifelines: kind partition, heal or duplicate."""

    step: int
    kind: str
    text: str
    lifelines: tuple[int, ...]  # the lifelines it concerns (all for partition and heal)


@dataclass(frozen=True)
class Band:
    """A stretch of steps during which the network is cut: groups of lifelines that can talk."""

    start: int
    end: int | None  # the heal step; None if the trace ends cut
    groups: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Step:
    index: int
    label: str  # the action, short


@dataclass
class Sequence:
    title: str
    subtitle: str
    lifelines: list[str]
    steps: list[Step]
    arrows: list[Arrow] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    marks: list[NetworkMark] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    ending: str = ""  # what the last step shows, e.g. "the last state violates ElectionSafety"
    witness: bool = False  # the ending is what a claim said can happen, not a violation
    #: For a lasso (a liveness counterexample): the step whose state the last step returns to;
    #: the steps after it repeat forever.
    loop_start: int | None = None

    @property
    def last(self) -> int:
        return self.steps[-1].index
