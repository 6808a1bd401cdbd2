"""The timed model's values: a node (a Raft server with its clock and timers) and a client.

Timers hold what is left of a duration, in ticks of the owner's clock, as exact fractions
(clocks that drift make fractions). OFF (-1) is a timer that is not running; 0 one that has
run out. Like spec/records.py, only ints, fractions, tuples and frozensets: hashes are stable
across processes and runs, so a hash is a fingerprint.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from ..records import Message, Server

OFF = -1

#: The slots of a timed state (model.py explains each).
(NODES, BAG, TRANSIT, CUT, CLIENTS, ACKED, COMMITTED, HISTORY, PROXY, WRITES, READS, RESTARTS,
 CUTS, ELECTIONS) = range(14)
Time = Fraction | int


class Node(NamedTuple):
    server: Server
    rate: Fraction  # this node's clock runs `rate` ticks per tick of real time (fixed)
    fsync: int  # ticks one log write takes (0: at once)
    election: Time  # until this follower/candidate times out; OFF while leader
    quiet: Time  # until the minimum election timeout has passed since it heard its leader
    heartbeat: Time  # leader: until the next heartbeat round
    check: Time  # leader with check-quorum: until it checks that it heard from a quorum
    lease: Time  # leader with lease reads: what is left of its lease (0: none)
    round: Time  # leader with lease reads: the lease the current round gives if acknowledged
    acks: int  # leader: the servers that answered the current round (itself included)
    heard: int  # leader with check-quorum: the servers heard from since the last check
    unsent: int  # the peers still owed this round's message (AppendEntries or (Pre)Vote)
    leader: int  # the leader this node knows of in its term (NIL: none)
    disk: Time  # until the slow log write in progress is durable; OFF: none
    held: tuple[Message, ...]  # a reply held back until the write is durable


#: What a client is doing.
IDLE, WRITE, READ = 0, 1, 2


class Client(NamedTuple):
    home: int  # the node it runs beside: it reaches the nodes on that node's side of a cut
    op: int  # IDLE, WRITE or READ
    target: int  # the node it sent the request to
    deadline: Time  # real time until it gives up on the request; OFF when idle
    cached: int  # the leader it last learned of (NIL: none; it then tries any node)
    accepted: bool  # the target took the request (a leader appended the write / took the read)
    index: int  # write: its entry's index; read: the read index the leader recorded
    term: int  # the leader's term when it took the request
    value: int  # write: the value written
    after: int  # read: the index of the latest write acknowledged before the read began
    in_cut: bool  # write: appended while the network was cut, and it has not healed since


def idle_client(home: int) -> Client:
    return Client(home, IDLE, -1, OFF, -1, False, 0, 0, 0, 0, False)
