"""What a fault schedule's recorded steps must show (the chaos scenarios of both harnesses)."""

from __future__ import annotations


def most_down_at_once(steps: list[dict]) -> int:
    """The most members down (killed) or stopped at one time by the recorded steps; every one
    taken down must have been brought back by the end (AssertionError otherwise)."""
    down: set[str] = set()
    most = 0
    for s in steps:
        if s["action"] in ("kill-9", "SIGSTOP"):
            down.add(s["target"])
        elif s["action"] in ("restart", "SIGCONT"):
            down.discard(s["target"])
        most = max(most, len(down))
    assert not down, f"left down or stopped at the end: {sorted(down)}"
    return most
