"""A Raft trace read as a message sequence diagram (events.py): who sent what to whom, what each
step changed on each server, and what the network did.

Messages are found the way the text counterexample finds them, by comparing the messages in
flight before and after each step: a message that appears was sent by that step (or copied by
the network, for DuplicateMessage); one that disappears was consumed by its handler, dropped by
the network, or discarded unread (a response its recipient can only ignore). A handler step
delivers the message it names, from the earliest send of that message still in flight.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from ..checker.result import Counterexample
from ..spec import actions as act
from ..spec.actions import describe_message, entry_text, groups_text
from ..spec.present import log_text
from ..spec.records import (
    NIL,
    AppendEntriesRequest,
    AppendEntriesResponse,
    InstallSnapshotRequest,
    Message,
    RequestVoteRequest,
    RequestVoteResponse,
    Role,
    Server,
    bits,
    node_name,
)
from .events import Arrow, Band, Fate, NetworkMark, Note, Sequence, Step

if TYPE_CHECKING:
    from ..spec.model import RaftModel

#: The order of a note's parts, most important first (the first names the note's kind).
NOTE_ORDER = ("restart", "role", "client", "vote", "log", "commit")


def message_label(m: Message) -> str:
    """A message in a few words, e.g. `RequestVote t2` or `append ok t2 match 1`."""
    if isinstance(m, RequestVoteRequest):
        last = f" last {m.last_log_index}/t{m.last_log_term}" if m.last_log_index else ""
        return f"RequestVote t{m.term}{last}"
    if isinstance(m, RequestVoteResponse):
        return f"vote {'granted' if m.vote_granted else 'denied'} t{m.term}"
    if isinstance(m, AppendEntriesRequest):
        entries = " ".join(entry_text(e) for e in m.entries)
        prev = f" prev {m.prev_log_index}/t{m.prev_log_term}" if m.prev_log_index else ""
        commit = f" commit {m.commit_index}" if m.commit_index else ""
        return f"AppendEntries t{m.term} [{entries}]{prev}{commit}"
    if isinstance(m, InstallSnapshotRequest):
        last = f"{len(m.entries)}/t{m.entries[-1][0]}" if m.entries else "0"
        return f"InstallSnapshot t{m.term} last {last}"
    assert isinstance(m, AppendEntriesResponse)
    if m.success:
        return f"append ok t{m.term} match {m.match_index}"
    return f"append rejected t{m.term}"


def step_label(action: Any) -> str:
    """The action in a few words: the arrows and marks of the step say the rest."""
    if action is None:
        return "initial state"
    if isinstance(action, act.DeliverCopy):
        return f"{action.name} (copy stays)"
    if action.kind in ("message", "network"):
        return action.name
    return str(action)


def server_note(step: int, i: int, before: Server | None, after: Server,
                action: Any) -> Note | None:
    """What the step changed on server i (before None: the initial state)."""
    parts: list[tuple[str, str]] = []
    role = Role(after.role).name.lower()
    if before is None:
        parts.append(("role", f"{role} t{after.term}"))
        if after.log:
            parts.append(("log", f"log {log_text(after.log)}"))
        return Note(step, i, tuple(parts))
    if isinstance(action, act.Restart) and action.node == i:
        parts.append(("restart", "restart"))
    if isinstance(action, act.ClientRequest) and action.node == i:
        parts.append(("client", f"client writes v{action.value}"))
    if (before.role, before.term) != (after.role, after.term):
        parts.append(("role", f"{role} t{after.term}"))
    if after.voted_for != before.voted_for and after.voted_for not in (NIL, i):
        parts.append(("vote", f"votes for {node_name(after.voted_for)}"))
    if after.log != before.log or after.snapshot_index != before.snapshot_index:
        parts.append(("log", f"log {log_text(after.log, after.snapshot_index)}"))
    if after.commit_index != before.commit_index:
        parts.append(("commit", f"commit {after.commit_index}"))
    if not parts:
        return None
    parts.sort(key=lambda part: NOTE_ORDER.index(part[0]))
    return Note(step, i, tuple(parts))


def _servers(model: RaftModel, state: tuple) -> list[Server]:
    return model.servers_of(state)


def _in_flight(model: RaftModel, state: tuple) -> Counter[Message]:
    return model.in_flight(state)


def default_ending(cex: Counterexample) -> str:
    loop = getattr(cex, "loop_start", None)
    if loop is not None:
        return (f"{cex.property} fails: the last step returns to the state of step {loop}, "
                f"and steps {loop + 1} to {cex.length} repeat forever")
    if cex.kind == "transition":
        return f"the last step breaks {cex.property}"
    return f"the last state violates {cex.property}"


def build(cex: Counterexample, model: RaftModel, *, title: str | None = None,
          subtitle: str = "", ending: str | None = None, witness: bool = False) -> Sequence:
    """The trace as a sequence diagram. The title defaults to the property the trace breaks;
    a witness (a trace that shows something can happen) passes its own title and ending."""
    n = model.n
    seq = Sequence(
        title=title or f"Counterexample to {cex.property} ({cex.length} steps)",
        subtitle=subtitle,
        lifelines=[node_name(i) for i in range(n)],
        steps=[Step(i, step_label(s.action)) for i, s in enumerate(cex.steps)],
        ending=default_ending(cex) if ending is None else ending,
        loop_start=getattr(cex, "loop_start", None),
        witness=witness,
    )
    first = cex.steps[0].state
    for i, server in enumerate(_servers(model, first)):
        note = server_note(0, i, None, server, None)
        if note:
            seq.notes.append(note)
    # The sends of each message still in flight, earliest first: (step, copy made at step).
    pending: dict[Message, list[int]] = defaultdict(list)
    for m, copies in _in_flight(model, first).items():
        pending[m] += [0] * copies
    open_band: tuple[int, tuple[tuple[int, ...], ...]] | None = None

    def arrow(m: Message, sent: int, ended: int | None, fate: Fate, stays: bool = False) -> None:
        seq.arrows.append(Arrow(m.src, m.dst, sent, ended, fate, message_label(m),
                                describe_message(m), stays))

    for k in range(1, len(cex.steps)):
        before, after = cex.steps[k - 1].state, cex.steps[k].state
        action = cex.steps[k].action
        for i, (old, new) in enumerate(zip(_servers(model, before), _servers(model, after),
                                           strict=True)):
            note = server_note(k, i, old, new, action)
            if note:
                seq.notes.append(note)

        flight_before, flight_after = _in_flight(model, before), _in_flight(model, after)
        gone, added = flight_before - flight_after, flight_after - flight_before
        message = getattr(action, "message", None)
        if action.kind == "message":  # delivered; it stays in flight if not consumed
            sends = pending.get(message) or [0]
            arrow(message, sends[0], k, Fate.DELIVERED, stays=message not in gone)
        for m, copies in sorted(gone.items(), key=lambda item: describe_message(item[0])):
            for _ in range(copies):
                sent = pending[m].pop(0) if pending.get(m) else 0
                if m == message and action.kind == "message":
                    continue  # consumed by the delivery drawn above
                fate = Fate.DROPPED if isinstance(action, act.DropMessage) and m == message \
                    else Fate.DISCARDED
                arrow(m, sent, k, fate)
        for m, copies in sorted(added.items(), key=lambda item: describe_message(item[0])):
            if isinstance(action, act.DuplicateMessage) and m == message:
                original = pending[m][0] if pending.get(m) else k
                pending[m] += [original] * copies
                seq.marks.append(NetworkMark(
                    k, "duplicate", f"network copies {message_label(m)} (sent at {original})",
                    (m.src, m.dst)))
            else:
                pending[m] += [k] * copies

        if isinstance(action, act.Partition):
            groups = tuple(tuple(bits(g)) for g in action.groups)
            seq.marks.append(NetworkMark(k, "partition", f"partition {groups_text(action.groups)}",
                                         tuple(range(n))))
            open_band = (k, groups)
        elif isinstance(action, act.Heal):
            seq.marks.append(NetworkMark(k, "heal", "heal", tuple(range(n))))
            if open_band is not None:
                seq.bands.append(Band(open_band[0], k, open_band[1]))
                open_band = None
    if open_band is not None:
        seq.bands.append(Band(open_band[0], None, open_band[1]))
    for m, sends in sorted(pending.items(), key=lambda item: describe_message(item[0])):
        for sent in sends:
            arrow(m, sent, None, Fate.IN_FLIGHT)
    seq.arrows.sort(key=lambda a: (a.sent, a.ended if a.ended is not None else len(cex.steps)))
    return seq
