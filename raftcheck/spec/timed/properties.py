"""What clients saw, as properties: the history kept in the timed model's states.

AckedWriteNeverLost looks at a state; LinearizableReads and MinorityNoAck look at the step that
answers a client (kind "client"), where the model evaluates them with what the step knows;
LinearizableHistory looks at the whole history of invocations and responses (observer.py) at
every step that changes it.
"""

from __future__ import annotations

from ..invariants import PROPERTIES, Property, View, holders
from ..quorum import is_quorum
from ..records import Role
from .observer import linearizable_history

#: An acknowledged write: (index, term, value) of its entry.
Acked = tuple[int, int, int]


def acked_write_never_lost(v: View) -> bool:
    """A write acknowledged to a client stays committed: its entry is stored, at its index, on a
    quorum, and every leader of its term or a later one holds it."""
    for index, term, value in v.acked:
        entry = (term, value)
        held = holders(v, index, entry)
        if not is_quorum(v.cluster, held):  # type: ignore[arg-type]
            return False
        if any(s.role == Role.LEADER and s.term >= term and not held >> k & 1
               for k, s in enumerate(v.servers)):
            return False
    return True


def linearizable_read(latest_acked_before: int, returned: int) -> bool:
    """A read returns the value of the latest write acknowledged before the read began, or of a
    later one; never an older one (a stale read). Writes are compared by log index: committed
    entries are ordered by it."""
    return returned >= latest_acked_before


def minority_no_ack(appended_while_cut: bool, leader_side_is_minority: bool) -> bool:
    """While the network is cut, no write that a leader on a side without a quorum took during
    the cut is acknowledged to a client as done: such clients get redirects, errors or
    timeouts."""
    return not (appended_while_cut and leader_side_is_minority)


TIMED_PROPERTIES: dict[str, Property] = {
    **PROPERTIES,
    **{p.name: p for p in (
        Property("AckedWriteNeverLost", "state", acked_write_never_lost),
        Property("LinearizableReads", "client", linearizable_read),
        Property("MinorityNoAck", "client", minority_no_ack),
        Property("LinearizableHistory", "client", linearizable_history),
    )},
}
