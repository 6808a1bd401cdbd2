"""Raft with time: per-node clocks, timeouts, heartbeats, clients and reads.

The same server actions as the untimed spec (spec/server.py), composed with clocks that drift
within a bound, a network that delivers at once or loses, clients with a history of what they
saw, and the read paths (ReadIndex, lease, follower). docs/time.md says how time is abstracted
and why the abstraction hides no violation at the bounds it is run with.
"""
