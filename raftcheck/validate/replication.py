"""Each event kind of the log half matched to the spec: appends, conflicts, commits, and the
messages of replication (in the formats that show messages).

What every glimpse says of a node's log goes into the World's knowledge through
``logcheck.change_log`` / ``logcheck.observe_commit``, which check the log properties at once.
Where a format shows acknowledgements (etcd-raft traces), a leader's commit is checked against
them: only entries of its own term, and only once a quorum of its configuration holds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from raftcheck.spec.records import Server, bits
from raftcheck.traces import events as ev

from .context import Context
from .logcheck import change_log, check_commit_in_log, keep, observe_commit
from .mapping import (
    LEADER_MESSAGES,
    assume_leader,
    at_term,
    check_sender,
    count,
    current,
    describe_role,
    observe_vote,
    put,
    request,
    to_follower,
    vote,
)
from .world import (
    CANDIDATE,
    FOLLOWER,
    LEADER,
    PRE_CANDIDATE,
    Missing,
    Unexplained,
    World,
    with_log,
)

APPEND_RESPONSES = frozenset({"MsgAppResp", "AppendEntriesResponse"})


class Sent(NamedTuple):
    """A replication message as a format that logs every send shows it."""

    type: str
    term: int
    src: int
    dst: int
    index: int
    log_term: int
    commit: int
    entries: int
    reject: bool


def _sent(e: ev.MessageSent | ev.MessageReceived, cx: Context) -> Sent:
    f = e.fields
    return Sent(e.type, e.term or 0, cx.index(e.src), cx.index(e.dst), f.get("index", 0),
                f.get("log_term", 0), f.get("commit", 0), f.get("entry_count", 0),
                bool(f.get("reject", False)))


# --- log -------------------------------------------------------------------------------------


def on_entries_appended(w: World, e: ev.EntriesAppended, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, _ = current(w, i, e, cx)
    if None in (e.first_index, e.last_index, e.term):
        yield w
        return
    first, last, term = e.first_index, e.last_index, e.term
    assert first is not None and last is not None and term is not None
    yield change_log(w, i, lambda log: log.appended(first, last, term), e, cx,
                     f"{cx.name(i)} appends entries {first}..{last} of term {term}")


def on_log_truncated(w: World, e: ev.LogTruncated, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, _ = current(w, i, e, cx)
    n, k = cx.name(i), e.from_index
    what = f"{n} removes its entries from index {k}"
    if e.existing_term is None and e.to_index is None:
        # entries from k rewritten, perhaps with the same ones (etcd's "replace the unstable
        # entries"): a real conflict is logged on its own line
        s = w.server(i)
        assert s is not None
        yield w.with_server(i, with_log(s, s.log.rewritten_from(k)))
        return
    if e.existing_term is not None:
        term = e.existing_term
        w = change_log(w, i, lambda log: log.entry(k, term), e, cx, f"{n}'s entry {k}")
    w = change_log(w, i, lambda log: log.truncated(k - 1, had_more=True), e, cx, what)
    if e.conflicting_term is not None:
        term = e.conflicting_term
        w = change_log(w, i, lambda log: log.appended(k, k, term), e, cx,
                       f"{n} takes the leader's entry {k} of term {term}")
    yield w


def on_commit_out_of_range(w: World, e: ev.CommitOutOfRange, cx: Context) -> Iterable[World]:
    """A leader tells a follower to commit at most what the follower acknowledged (a heartbeat
    carries min(its match, the leader's commit); an append, at most its last new entry): a
    node told to commit past the end of its log lost entries it had persisted. No step of the
    spec explains that."""
    n = cx.name(cx.index(e.node))
    raise Unexplained("CommitIndexInLog", f"{n} is told to commit index {e.commit}, but its log "
                      f"ends at {e.last_index}: it had acknowledged entries up to "
                      f"{e.commit} (a leader commits a follower only to what the follower "
                      "acknowledged), and its log lost them (a data directory rolled back or "
                      "restored from an older copy, a disk that lied about fsync); etcd "
                      "panics here")


def on_log_observed(w: World, e: ev.LogObserved, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, _ = current(w, i, e, cx)
    n = cx.name(i)
    if e.first_index > e.last_index:  # an empty log, or every entry compacted away
        if e.last_index == 0:
            w = change_log(w, i, lambda log: log.ending(0, 0), e, cx, f"{n}'s log is empty")
        yield w
        return
    if e.term is not None and e.first_index == e.last_index:
        index, term = e.first_index, e.term
        w = change_log(w, i, lambda log: log.entry(index, term), e, cx,
                       f"{n}'s entry {index} of term {term}")
    yield w


def on_append_rejected(w: World, e: ev.AppendRejected, cx: Context) -> Iterable[World]:
    """A follower refused an AppendEntries: its log does not hold the leader's previous entry
    (index of log_term); where shown, it holds index of local_log_term, or ends before."""
    i = cx.index(e.node)
    w, _ = current(w, i, e, cx)
    n = cx.name(i)
    if e.index is not None and e.local_log_term is not None:
        index, term = e.index, e.local_log_term
        if term > 0:
            if term == e.log_term:
                raise Unexplained("AppendEntries", f"{n} refuses an AppendEntries whose "
                                  f"previous entry {index} of term {term} it holds: the "
                                  "consistency check passes")
            w = change_log(w, i, lambda log: log.entry(index, term), e, cx,
                           f"{n}'s entry {index}")
        else:
            w = change_log(w, i, lambda log: log.shorter_than(index), e, cx,
                           f"{n} has no entry {index}")
    if e.local_last_index is not None:
        length = e.local_last_index
        w = change_log(w, i, lambda log: log.with_length(length), e, cx,
                       f"{n}'s log ends at {length}")
    yield w


# --- commit ----------------------------------------------------------------------------------


def on_commit_advanced(w: World, e: ev.CommitAdvanced, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, s = current(w, i, e, cx)
    w = at_term(w, i, e.term, e, cx)
    s = w.server(i)
    assert s is not None
    check_commit_in_log(i, e.commit_index, e.last_index, e, cx, f"{cx.name(i)} commits")
    if s.role == LEADER and e.commit_index > s.commit_index and cx.observes(i).acks:
        _check_commit_quorum(s, i, e.commit_index, cx)
    yield observe_commit(w, i, e.commit_index, e, cx)


def _check_commit_quorum(s: Server, i: int, index: int, cx: Context) -> None:
    """AdvanceCommitIndex: a leader commits an entry of its own term once a quorum of its
    configuration has acknowledged it (older entries only with it)."""
    n = cx.name(i)
    term_at = s.log.term_at(index)
    if term_at is not None and term_at != s.term:
        raise Unexplained("AdvanceCommitIndex", f"{n}, leader of term {s.term}, commits entry "
                          f"{index} of term {term_at} by counting replicas: a leader counts "
                          "replicas only of entries of its own term (Raft §5.4.2)")
    acked = 0
    for j, match in enumerate(s.match_index):
        if match >= index:
            acked |= 1 << j
    if not cx.is_quorum(i, acked):
        got = ", ".join(cx.name(k) for k in bits(acked)) or "none"
        voters = ", ".join(cx.name(k) for k in sorted(cx.voters_of(i)))
        raise Unexplained("AdvanceCommitIndex", f"{n} commits up to index {index}, but only "
                          f"{got} acknowledged it: not a quorum of its voters {voters}")


def on_applied(w: World, e: ev.Applied, cx: Context) -> Iterable[World]:
    """Entries up to index were applied: committed, and (term where shown) that entry."""
    i = cx.index(e.node)
    w, _ = current(w, i, e, cx)
    if e.term is not None:
        index, term = e.index, e.term
        w = change_log(w, i, lambda log: log.entry(index, term), e, cx,
                       f"{cx.name(i)} applies entry {index} of term {term}")
    yield observe_commit(w, i, e.index, e, cx)


def on_hard_state(w: World, e: ev.HardState, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, _ = current(w, i, e, cx)
    w = at_term(w, i, e.term, e, cx)
    if e.vote is not None:
        w = observe_vote(w, i, cx.index(e.vote), e, cx)
    yield observe_commit(w, i, e.commit, e, cx, persisted=True)


def on_state_observed(w: World, e: ev.StateObserved, cx: Context) -> Iterable[World]:
    i = cx.index(e.node)
    w, _ = current(w, i, e, cx)
    w = at_term(w, i, e.term, e, cx)
    n = cx.name(i)
    if e.vote is not None:
        w = observe_vote(w, i, cx.index(e.vote), e, cx)
    if e.last_index is not None:
        length = e.last_index
        w = change_log(w, i, lambda log: log.with_length(length), e, cx,
                       f"{n}'s log ends at {length}")
    check_commit_in_log(i, e.commit, e.last_index, e, cx, f"{n}'s state")
    w = observe_commit(w, i, e.commit, e, cx)
    s = w.server(i)
    assert s is not None
    if e.role == "Leader" and s.role != LEADER:
        if cx.observes(i).elections:
            raise Unexplained("BecomeLeader", f"{n} is leader at term {s.term} here, but never "
                              f"became leader in that term (it is {describe_role(s)})")
        w = assume_leader(w, i, s.term, cx)
    elif e.role == "Follower" and s.role != FOLLOWER and cx.observes(i).elections:
        w = to_follower(w, i, cx, f"{n} is follower at term {s.term}")
    yield w


# --- messages (message-level formats) --------------------------------------------------------


def on_message_sent(w: World, e: ev.MessageSent, cx: Context) -> Iterable[World]:
    i, j = cx.index(e.src), cx.index(e.dst)
    f = e.fields
    if e.type in ("MsgVote", "MsgPreVote"):
        prevote = e.type == "MsgPreVote"
        term = None if e.term is None else e.term - (1 if prevote else 0)
        yield request(w, i, j, term, f.get("index"), f.get("log_term"), prevote, e, cx)
        return
    if e.type in ("MsgVoteResp", "MsgPreVoteResp"):
        prevote = e.type == "MsgPreVoteResp"
        granted = not f.get("reject", False)
        w = at_term(w, i, None if prevote else e.term, e, cx)
        yield vote(w, i, j, granted, prevote, (None, None), e, cx)
        return
    if cx.observes(i).messages:
        cx.sent.add(_sent(e, cx))
    if e.type in LEADER_MESSAGES and e.type != "MsgTimeoutNow":
        w = at_term(w, i, e.term, e, cx)
        s = w.server(i)
        assert s is not None
        if s.role != LEADER and (s.term, i) in w.elections:
            pass  # made while it led this term, sent out after (a transcript's Ready)
        elif s.role != LEADER and not cx.observes(i).elections:
            w = assume_leader(w, i, s.term, cx)
        elif s.role != LEADER:
            raise Unexplained("AppendEntries", f"{cx.name(i)} sends {e.type} at term {s.term}, "
                              f"but is {describe_role(s)}: only a leader sends it")
        w = _leader_log(w, i, e, cx)
    elif e.type in APPEND_RESPONSES and not f.get("reject", False) and e.term is not None:
        w = _acknowledged(w, i, j, e.term, f.get("index"), e, cx)
    yield w


def _leader_log(w: World, i: int, e: ev.MessageSent, cx: Context) -> World:
    """An AppendEntries shows the leader's log: the previous entry and the entries it sends."""
    f = e.fields
    n = cx.name(i)
    if e.type == "MsgApp" and f.get("index") and f.get("log_term") is not None:
        index, term = f["index"], f["log_term"]
        w = change_log(w, i, lambda log: log.entry(index, term), e, cx,
                       f"{n} sends its entry {index} of term {term} as the previous one")
    for entry in f.get("entries", ()):
        w = change_log(w, i, lambda log, k=entry.index, t=entry.term: log.entry(k, t), e, cx,
                       f"{n} sends its entry {entry.index} of term {entry.term}")
    return w


def _acknowledged(w: World, i: int, leader: int, term: int, index: int | None, e: ev.Event,
                  cx: Context) -> World:
    """Follower i acknowledges the leader's entries up to ``index`` at ``term``: its log now
    matches the leader's up to there, and holds it persistently."""
    if index is None:
        return w
    w, _ = current(w, i, e, cx)
    w = keep(w, i, index, e, cx)
    sl = w.server(leader)
    if i == leader or sl is None or sl.role != LEADER or sl.term != term:
        return w
    for first, last, t in sl.log.known():
        if first > index:
            break
        hi = min(last, index)
        w = change_log(w, i, lambda log, a=first, b=hi, t=t: log.appended(a, b, t), e, cx,
                       f"{cx.name(i)} holds {cx.name(leader)}'s entries up to {index}")
    return w


def on_message_received(w: World, e: ev.MessageReceived, cx: Context) -> Iterable[World]:
    i, j = cx.index(e.dst), cx.index(e.src)
    w, _ = current(w, i, e, cx)
    if cx.observes(j).messages and e.type not in ("MsgVote", "MsgPreVote", "MsgVoteResp",
                                                  "MsgPreVoteResp") \
            and _sent(e, cx) not in cx.sent:
        raise Missing("Receive", f"{cx.name(i)} receives {e.type} from {cx.name(j)} at term "
                          f"{e.term} that {cx.name(j)} never sent (every send is logged)",
                      awaits=cx.name(j))
    if e.type in ("MsgVoteResp", "MsgPreVoteResp") and i != j:
        s = w.server(i)
        assert s is not None
        prevote = e.type == "MsgPreVoteResp"
        want = PRE_CANDIDATE if prevote else CANDIDATE
        granted = not e.fields.get("reject", False)
        if s.role == want and (e.term == s.term or (prevote and granted and
                               e.term == s.term + 1)):
            yield count(w, i, j, s.term, granted, prevote, e, cx)
            return
    elif e.term is not None and e.type in (*LEADER_MESSAGES, "MsgVote"):
        w = check_sender(w, j, e.term, e.type, i, cx)
    elif e.type in APPEND_RESPONSES and not e.fields.get("reject", False):
        w = _match(w, i, j, e.term, e.fields.get("index"), cx)
    yield w


def _match(w: World, i: int, j: int, term: int | None, index: int | None, cx: Context) -> World:
    """Leader i learns that j holds its entries up to ``index`` (HandleAppendEntriesResponse)."""
    s = w.server(i)
    if s is None or index is None or s.role != LEADER or term != s.term:
        return w
    match = list(s.match_index) + [0] * (cx.rules.nodes - len(s.match_index))
    if j >= len(match):
        match += [0] * (j + 1 - len(match))
    if match[j] >= index:
        return w
    match[j] = index
    return put(w, i, s._replace(match_index=tuple(match)), cx,
               f"{cx.name(i)} counts {cx.name(j)}'s entries up to {index}")


def on_snapshot(w: World, e: ev.Snapshot, cx: Context) -> Iterable[World]:
    """Snapshots as the log knowledge sees them: compacting one's own log changes nothing a
    glimpse can see (the entries are in the snapshot); installing a leader's snapshot replaces
    the log by one that ends at the snapshot's last entry, which is committed; a server that
    writes a snapshot (hashicorp names it by its last entry's term and index) or restores one
    as it starts holds that entry, committed, and maybe more."""
    i = cx.index(e.node)
    w, s = current(w, i, e, cx)
    n = cx.name(i)
    if e.action in ("restored", "ready") and e.index is not None and e.term is not None:
        index, term, held = e.index, e.term, s.commit_index
        _check_snapshot(w, i, index, term, e, cx)
        w = change_log(w, i, lambda log: log.restored(index, term, held), e, cx,
                       f"{n} installs a snapshot up to entry {index} of term {term}")
        w = keep(w, i, index, e, cx)
        yield observe_commit(w, i, index, e, cx)
    elif e.action in ("loaded", "create") and e.index is not None and e.term is not None:
        # a snapshot a server writes (its own, or one its leader is installing on it) or
        # restores as it starts: committed entries, in its log
        index, term = e.index, e.term
        what = "restores its snapshot" if e.action == "loaded" else "writes a snapshot"
        _check_snapshot(w, i, index, term, e, cx, what)
        w = change_log(w, i, lambda log: log.entry(index, term), e, cx,
                       f"{n} {what} up to entry {index} of term {term}")
        w = keep(w, i, index, e, cx)
        yield observe_commit(w, i, index, e, cx)
    elif e.action == "fast-forwarded" and e.index is not None:
        yield observe_commit(w, i, e.index, e, cx)
    elif e.action == "sent" and e.index is not None and e.term is not None:
        # a leader sends a snapshot of entries it applied: committed, ending at (index, term)
        index, term = e.index, e.term
        w = change_log(w, i, lambda log: log.entry(index, term), e, cx,
                       f"{n} sends a snapshot up to its entry {index} of term {term}")
        yield observe_commit(w, i, max(index, e.commit or 0), e, cx)
    elif e.action == "installed":  # hashicorp: the line names no index; what was known goes
        yield w.with_server(i, with_log(s, s.log.rewritten_from(1)))
    else:
        yield w  # taken, sent, compacted: the logical log is unchanged


def _check_snapshot(w: World, i: int, index: int, term: int, e: ev.Event, cx: Context,
                    what: str = "installs a snapshot") -> None:
    """A snapshot holds committed entries only, so it agrees with every entry known committed:
    its last entry (index, term) cannot follow a committed entry of a higher term, nor stand
    where another committed entry is."""
    s = w.server(i)
    assert s is not None
    own = tuple((a, min(b, s.commit_index), t) for a, b, t in s.log.known()
                if a <= s.commit_index)
    for runs in (w.committed.log.known(), own):  # each in index order
        for a, b, t in runs:
            if a > index:
                break
            if t > term or (a <= index <= b and t != term):
                source = cx.committed_source.get(t)
                raise Unexplained("StateMachineSafety", f"{cx.name(i)} {what} "
                                  f"ending at entry {index} of term {term}, but entry "
                                  f"{min(b, index)} of term {t} is committed"
                                  f"{f' (at {source})' if source else ''}: a snapshot holds "
                                  "the committed entries", (source,))


def on_feature(w: World, e: ev.Event, cx: Context) -> Iterable[World]:
    yield w  # outside the model: noted by the engine, no state change
