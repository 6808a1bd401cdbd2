"""The log half of Raft, checked on what the logs show of each node's log.

Every glimpse of a log (a vote line's last entry, a restart's last index and term, a conflict,
appended entries, a commit index, an acknowledgement) goes through :func:`change_log` or
:func:`observe_commit`, which update the candidate World's knowledge
(:mod:`raftcheck.validate.knowledge`) and check at once, citing the lines involved:

- **CommittedNeverLost** — no log loses a committed entry: neither an entry its own node knew
  committed (its commit index covered it) nor one known committed cluster-wide. Only a leader
  lacking a committed entry could make a follower remove it.
- **LeaderAppendOnly** — a leader never removes or replaces entries of its log.
- **StateMachineSafety** — two different entries are never committed at one index.
- **LogMatching** — two logs that hold an entry of the same index and term hold the same
  entries below it.
- **LeaderCompleteness** — a leader holds every entry committed in an earlier term (checked at
  its election, and again when a commit of an earlier term becomes known).
- **CommitIndexInLog** — a commit index never points past the end of its node's log.
- **Restart** — a restart keeps the log: it still holds what the node had persisted and
  acknowledged, and what it knew committed.

A violation is blamed on the line at which it becomes visible: the line whose glimpse, together
with what earlier lines showed, no behaviour of the spec explains.
"""

from __future__ import annotations

from collections.abc import Callable

from raftcheck.spec.records import Server
from raftcheck.traces.events import Event, SourceRef

from .context import Context
from .knowledge import Committed, KnownLog, first_disagreement
from .world import LEADER, Unexplained, World, with_log

Change = Callable[[KnownLog], tuple[KnownLog, int | None]]


def change_log(w: World, i: int, change: Change, e: Event, cx: Context, what: str, *,
               restart: bool = False) -> World:
    """Node i's log changes as ``change`` says (a glimpse, an append, a truncation)."""
    s = w.server(i)
    assert s is not None
    new, cut = change(s.log)
    if new == s.log:
        return w
    before = w
    if cut is not None:
        _check_cut(w, i, s, cut, e, cx, what, restart)
        if w.kept_by(i) >= cut and not restart:
            w = w.with_kept(i, cut - 1)  # a persisted entry legitimately replaced
    w = w.with_server(i, with_log(s, new))
    return _after_change(w, i, e, cx, what, before)


def observe_commit(w: World, i: int, index: int | None, e: Event, cx: Context, *,
                   persisted: bool = False) -> World:
    """Node i's commitIndex is ``index`` (at least): entries up to it are committed by its
    current term at the latest. ``persisted``: the line shows the commit index stored on disk."""
    if not index:
        return w
    s = w.server(i)
    assert s is not None
    before = w
    if index > s.commit_index:
        cx.commit_seen[i] = e.source
        s = s._replace(commit_index=index)
        w = w.with_server(i, s)
    if index > w.committed.log.floor or not any(
            t <= s.term and k >= index for t, k in w.committed.marks):
        if index > w.committed.log.floor:
            cx.commit_mark_source = e.source
        w = w.with_committed(w.committed.with_commit(index, s.term))
    w = keep(w, i, index, e, cx)
    if w.servers is before.servers and w.committed is before.committed:
        return w  # nothing new is known committed
    return _after_change(w, i, e, cx, f"{cx.name(i)}'s commit index is {index}", before)


def keep(w: World, i: int, index: int | None, e: Event, cx: Context | None = None) -> World:
    """Node i has persisted (or acknowledged, or knows committed) its entries up to ``index``:
    a restart must keep them."""
    if index is None or index <= w.kept_by(i):
        return w
    if cx is not None:
        cx.kept_source[i] = e.source
    return w.with_kept(i, index)


def check_restart_keeps(w: World, i: int, last_index: int | None, e: Event, cx: Context
                        ) -> None:
    """Restart: the log read back from disk holds what the node had persisted before."""
    kept = w.kept_by(i)
    if last_index is None or last_index >= kept:
        return
    source = cx.kept_source.get(i) or cx.commit_seen.get(i)
    where = f" (shown at {source})" if source else ""
    raise Unexplained("Restart", f"{cx.name(i)} restarts with its log ending at index "
                      f"{last_index}, but it had persisted, acknowledged or known committed "
                      f"its entries up to {kept}{where}: a restart keeps the log", (source,))


def check_leader_complete(w: World, i: int, e: Event, cx: Context, what: str, *,
                          elected: bool = True) -> None:
    """LeaderCompleteness for node i as leader of its term: it holds every entry committed by
    a leader of an earlier term. ``elected``: at its election, when a length shown while it was
    a candidate is still its log's length (a candidate appends nothing); later, a leader may
    have appended unobserved, and only the terms of known entries tell."""
    s = w.server(i)
    assert s is not None
    needed = w.committed.committed_before(s.term)
    if not needed:
        return
    log = s.log if elected else s.log.demoted()
    missing = _lacks(log, w.committed, needed)
    if missing is None:
        return
    source = cx.commit_mark_source
    have = _describe(s.log)
    raise Unexplained("LeaderCompleteness", f"{what}: {cx.name(i)} is leader of term {s.term} "
                      f"but its log ({have}) lacks entry {missing}, committed in an earlier "
                      f"term{f' (known committed at {source})' if source else ''}", (source,))


# --- internals -------------------------------------------------------------------------------


KEEP_RUNS = 12
"""Runs of known terms (one per term, mostly) kept per log and of the committed prefix: the
oldest are forgotten, so that memory and time per line stay flat however long a run (hundreds
of terms) is. Glimpses of entries older than the last dozen terms' are rare (a restart shows
the end of a log, a conflict the entries after the last common one); forgetting only makes
checks of such glimpses weaker, never wrong."""


def _after_change(w: World, i: int, e: Event, cx: Context, what: str, before: World
                  ) -> World:
    """The checks after node i's log or commit index changed (``before``: the World before)."""
    w = _learn_committed(w, i, e, cx)
    committed_changed = w.committed is not before.committed
    s, was = w.server(i), before.server(i)
    if committed_changed or was is None or s is None or s.log.runs != was.log.runs:
        _check_matching(w, i, e, cx)
    w = _compact(w, i)
    for j, other in enumerate(w.servers):
        # a leader's log changes only by appends of its own term: it is checked at its
        # election, and again when something new is known committed
        if other is not None and other.role == LEADER and committed_changed and \
                w.committed.committed_before(other.term):
            check_leader_complete(w, j, e, cx, what, elected=False)
    return w


def check_commit_in_log(i: int, commit: int | None, length: int | None, e: Event,
                        cx: Context, what: str) -> None:
    """CommitIndexInLog, where one line shows both a node's commit index and its log's end."""
    if commit is not None and length is not None and commit > length:
        raise Unexplained("CommitIndexInLog", f"{what}: {cx.name(i)}'s commit index is {commit} "
                          f"but its log ends at {length}: a node commits only entries it holds")


def _compact(w: World, i: int) -> World:
    """Forget what node i's log shares with the committed prefix below its commit index (the
    committed prefix holds it, and LogMatching has just been checked), and the oldest runs of
    both when there are too many."""
    s = w.server(i)
    assert s is not None
    committed = w.committed
    if len(committed.log.runs) > KEEP_RUNS:
        committed = committed._replace(log=committed.log.forgetting_below(0, KEEP_RUNS))
        w = w.with_committed(committed)
    if len(s.log.runs) <= KEEP_RUNS:
        return w
    below = min(s.commit_index, committed.log.floor)
    log = s.log.forgetting_below(below, KEEP_RUNS)
    return w if log is s.log else w.with_server(i, with_log(s, log))


def _check_cut(w: World, i: int, s: Server, cut: int, e: Event, cx: Context, what: str,
               restart: bool) -> None:
    n = cx.name(i)
    if s.role == LEADER and not restart:
        raise Unexplained("LeaderAppendOnly", f"{what}: {n} is leader of term {s.term} and "
                          f"its log no longer holds the entries it had from index {cut} "
                          f"({_describe(s.log)}): a leader only appends")
    if cut <= s.commit_index:
        source = cx.commit_seen.get(i)
        where = f" (its commit index since {source})" if source else ""
        raise Unexplained("CommittedNeverLost", f"{what}: {n} no longer holds entry {cut}, "
                          f"which it knew committed: its commit index is {s.commit_index}"
                          f"{where}; only a leader lacking a committed entry could make a "
                          "follower remove it", (source,))
    committed = w.committed.log
    for first, last, term in s.log.known():
        lo, hi = max(first, cut), min(last, committed.floor)
        if lo > hi:
            continue
        for a, b, t in committed.known():
            if t == term and a <= hi and b >= lo:
                k = max(a, lo)
                source = cx.committed_source.get(t)
                raise Unexplained("CommittedNeverLost", f"{what}: {n} no longer holds entry "
                                  f"{k} of term {t}, which is committed"
                                  f"{f' (at {source})' if source else ''}; only a leader "
                                  "lacking a committed entry could make a follower remove it",
                                  (source,))


def _learn_committed(w: World, i: int, e: Event, cx: Context) -> World:
    """The entries of node i's log up to its commit index are the committed ones."""
    s = w.server(i)
    assert s is not None
    top = min(s.commit_index, s.log.floor)
    log = w.committed.log
    for first, last, term in s.log.known():
        if first > top:
            break
        hi = min(last, top)
        if log.term_at(first) == term and log.term_at(hi) == term:
            continue  # known committed already (terms never decrease: so is all between)
        new, cut = log.appended(first, hi, term)
        if cut is not None:  # the committed prefix never changes: two entries at one index
            known = log.term_at(cut)
            source = cx.committed_source.get(known or 0)
            shown = f"entry {cut} of term {known}" if known is not None else \
                "the entries known committed"
            held = f"entry {first}" if first == hi else f"entries {first}..{hi}"
            raise Unexplained("StateMachineSafety", f"{cx.name(i)} holds {held} "
                              f"of term {term} up to its commit index {s.commit_index}, but "
                              f"{shown} is committed{f' (at {source})' if source else ''}",
                              (source,))
        if new != log:
            log = new
            cx.committed_source.setdefault(term, e.source)
    if log is w.committed.log:
        return w
    return w.with_committed(Committed(log, w.committed.marks))


def _check_matching(w: World, i: int, e: Event, cx: Context) -> None:
    s = w.server(i)
    assert s is not None
    if not s.log.runs:
        return
    d = first_disagreement(s.log, w.committed.log)
    if d is not None:
        source = cx.committed_source.get(w.committed.log.term_at(d) or 0)
        raise Unexplained("LogMatching", f"{cx.name(i)}'s log holds a committed entry, but "
                          f"differs from the committed entries below it at index {d} "
                          f"(term {s.log.term_at(d)}, committed: term "
                          f"{w.committed.log.term_at(d)})", (source,))
    if not cx.observes(i).truncations:
        return
    for j, other in enumerate(w.servers):
        if j == i or other is None or not other.log.runs or not cx.observes(j).truncations:
            continue
        d = first_disagreement(s.log, other.log)
        if d is not None:
            raise Unexplained("LogMatching", f"{cx.name(i)}'s and {cx.name(j)}'s logs hold an "
                              "entry of the same index and term, but differ below it, at "
                              f"index {d} ({cx.name(i)}: term {s.log.term_at(d)}, "
                              f"{cx.name(j)}: term {other.log.term_at(d)})")


def _lacks(log: KnownLog, committed: Committed, upto: int) -> int | None:
    """An index <= ``upto`` whose committed entry ``log`` provably does not hold."""
    if log.length is not None and log.length < upto:
        return log.length + 1
    last = log.last()
    for first, last_k, term in committed.log.known():
        if first > upto:
            break
        hi = min(last_k, upto)
        for a, b, t in log.known():
            if t != term and a <= hi and b >= first:
                return max(a, first)
        if last is not None and last[0] >= first and last[1] < term:
            return first  # its entries there have terms below the committed one
    return None


def _describe(log: KnownLog) -> str:
    last = log.last()
    if last is not None:
        return f"last entry {last[0]} of term {last[1]}"
    if log.length is not None:
        return f"{log.length} entries"
    return f"at least {log.floor} entries"


__all__ = ["SourceRef", "change_log", "check_commit_in_log", "check_leader_complete",
           "check_restart_keeps", "keep", "observe_commit"]
