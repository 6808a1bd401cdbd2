"""raftcheck timeline: what happened to a cluster, from its Raft logs.

    from raftcheck.timeline import build_timeline
    timeline = build_timeline(["logs/"])     # one run: its nodes' logs
    for election in timeline.elections: ...

Reads one run with the validator's reader and merge, and reports elections, leaders,
leaderless windows, their triggers, the implementations' own warnings and a diagnosis in
operators' words (docs/timeline.md).
"""

from .build import TimelineOptions, build_timeline

__all__ = ["TimelineOptions", "build_timeline"]
