"""The conformance engine: a set of candidate Worlds, advanced event by event.

Each event is handed to its handler (mapping.py) in every candidate World; the Worlds that
explain it become the next set (deduplicated, at most ``max_candidates``). When none does,
the merge may first take events of other nodes' files within the clock tolerance (merge.py)
and retry; if that does not help either, the event is the first one no behaviour of the spec
explains. Memory holds the candidate set, the merge's look-ahead, and bookkeeping per term
that is pruned as terms pass: not the log. Before a violation is reported, where a log's clock
steps back, the run is checked again with that log's lines on one side of the step merged at
corrected times (clocks.py, :func:`check_run`).
"""

from __future__ import annotations

import math
import operator
import os
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from raftcheck.exit_codes import InternalError
from raftcheck.grammar import split
from raftcheck.grammar.formats import SINGLE_NODE_FORMATS
from raftcheck.spec.rules import Rules
from raftcheck.traces import events as ev
from raftcheck.traces.logfiles import LogError, LogStream

from .clocks import (
    EDGE_SIZES_TRIED,
    MOST_TRIED,
    PAUSES_SIZED,
    SIZES_TRIED,
    Slip,
    find_jumps,
    find_slips,
    shifted,
)
from .context import Context, UnnamedNode
from .handlers import HANDLERS, WORLD_ONLY
from .mapping import ANCHORS, GUESSED_ROLES, in_role, lead_unsure, on_nothing, resync
from .merge import FileQueue, Merge, Taken
from .observe import Observes, observes
from .report import (
    CONFORMS,
    INCONCLUSIVE,
    INTERNAL_ERROR,
    REFUSED,
    VIOLATES,
    FileFacts,
    Verdict,
)
from .runs import FileIdentity, Run, find_runs, refuse_mixed
from .world import EMPTY, Missing, Unexplained, World

_NOTED = frozenset({ev.FeatureUsed, ev.BecameLeader, ev.Membership, ev.NodeStarted})
"""The event kinds that Validator._note reads (keep the two in step: a kind _note reads that
is missing here is never noted)."""

SKIMMED = frozenset(kind for kind in ev.EVENT_TYPES
                    if HANDLERS[kind] is on_nothing and kind not in _NOTED)
"""The event kinds of which the engine reads only the node, time and the nodes named (for the
merge, the node's format and FileIdentity): read as ev.Skimmed, never built whole."""

UNREADABLE = (UnnamedNode, OverflowError)
"""What a handler raises where a line names no node it needs, or holds a number beyond any
term or index (Python sizes cannot reach it): the line is taken as one that does not parse."""

NEVER_EXCUSED = frozenset({"ElectionSafety", "StateMachineSafety"})
"""Violations that no unlogged step, feature outside the model or unparsed line can explain:
two leaders of one term, two entries committed at one index."""

PROBE_BEYOND_GAP = 4096
"""How many of a node's lines beyond --max-clock-gap are tried, at most, before a violation is
reported, to tell whether its clock being that far ahead would explain the line."""

AWAITED_DEPTH = 3
"""How many nodes deep a pull follows lines that wait for another node's (the node pulled
early, one its line waits for, one that node's line waits for)."""

ROLE_LINES = (ev.BecameFollower, ev.BecamePreCandidate, ev.BecameCandidate, ev.BecameLeader)
"""Lines that show a node's role (a Raft node running), with a term or without."""

STOOD_STILL = "and its log cannot tell that from its node standing still"
"""Why a jump of a clock (clocks.find_jumps), or a slip larger than its step back, is not
taken for what happened."""


@dataclass(frozen=True)
class ValidateOptions:
    """``max_skew``: seconds by which two nodes' clocks (and log writes) may disagree.
    ``max_clock_gap``: seconds by which a node's clock may be found ahead of the others' where
    nothing within ``max_skew`` explains an event (a clock stepped forward, or clocks set
    apart): its later lines are then merged that much earlier, and the verdict notes it (0:
    clocks are trusted to ``max_skew``).
    ``max_candidates``: bound of the candidate set (reaching it makes a violation
    inconclusive). ``pre_vote`` / ``check_quorum``: allow those etcd / hashicorp behaviours."""

    max_skew: float = 0.1
    max_clock_gap: float = 60.0
    max_candidates: int = 64
    pre_vote: bool = True
    check_quorum: bool = True


class Validator:
    def __init__(self, options: ValidateOptions | None = None, slip: Slip | None = None
                 ) -> None:
        """``slip``: lines of one log merged at their times corrected by a step of its
        clock (clocks.py)."""
        self.options = options or ValidateOptions()
        self.slip = slip
        self.failed_at: ev.Event | None = None  # the event a violation is reported at
        self.failure: Unexplained | None = None  # and why
        # an event to watch, as (path, line, kind), and whether the spec explained it (a retry
        # with a slip asks whether the event left unexplained before was explained)
        self.watch: tuple[str, int, str] | None = None
        self.watched = False
        self.candidates: list[World] = [EMPTY]
        self.cx = Context(self._rules(1))
        self.features: dict[str, str] = {}
        self.voters: set[str] = set()
        self.elected = False
        self.events = 0
        self.checked = 0
        self.widest = 1
        self.bounded = False
        self.mid_run: set[str] = set()  # nodes whose own log begins mid-run (no start line)
        # (event, the file of the node it waits for, its own file): an event that file's
        # lines beyond --max-clock-gap might explain (a clock set apart further than that)
        self.beyond: tuple[ev.Event, FileQueue, FileQueue] | None = None
        self._sizes: dict[int, Rules] = {}
        self.root: tuple[ev.Event, Unexplained] | None = None
        # nodes whose first event was stepped: a cache that spares cx.index per event (a
        # node may be numbered as a peer before its own first event, so not cx.numbers)
        self._formats_noted: set[str] = set()
        # node -> its first line that showed its term (the others' terms are guesses)
        self.termed: dict[str, ev.SourceRef] = {}
        # node -> its first line that showed its role or term (its Raft node running: a pause
        # before it may be its server starting up)
        self.stated: dict[str, ev.SourceRef] = {}
        self._node_logs: set[str] = set()  # the files of the run that are one node's log
        self._merge: Merge | None = None  # the run's merge of its files
        self._starts_by: Callable[[str, int], bool] = lambda _path, _line: True
        # node -> [its first line left unexplained before its log showed its role and term
        # (its log began mid-run), how many such lines]
        self.before_sync: dict[str, list] = {}
        self._stream: LogStream | None = None  # the run's (lines it cannot take are its problems)
        self._unread: set[tuple[str, int]] = set()  # those lines, noted once each

    def _rules(self, nodes: int) -> Rules:
        return Rules(nodes, self_vote=True, tidy=True, pre_vote=self.options.pre_vote,
                     check_quorum=self.options.check_quorum)

    # --- one event ----------------------------------------------------------------------
    def step(self, e: ev.Event, sees: Observes) -> list[World]:
        """The candidate Worlds after ``e``; raises Unexplained if none explains it."""
        handler = HANDLERS.get(type(e))
        if handler is None:
            return self.candidates
        if type(e) in _NOTED:
            self._note(e)
        if e.node not in self._formats_noted:  # its number, and what its log observes
            self._formats_noted.add(e.node)
            self.cx.node_format.setdefault(self.cx.index(e.node), sees)
            if e.source.path in self._node_logs and not _starts_server(e) and \
                    not self._starts_by(e.source.path, e.source.line):
                self.cx.unsynced.add(self.cx.index(e.node))  # its log begins mid-run
                self.mid_run.add(e.node)
        if handler is on_nothing:
            return self.candidates  # no state to change: every World explains it as it is
        if e.node not in self.termed:  # (one look-up per event once the node is termed)
            if getattr(e, "term", None) is not None:
                self.termed[e.node] = e.source
                self.stated.setdefault(e.node, e.source)
            elif isinstance(e, ROLE_LINES):
                self.stated.setdefault(e.node, e.source)
        if self.cx.unsynced and isinstance(e, ANCHORS) and \
                (i := self.cx.index(e.node)) in self.cx.unsynced:
            if getattr(e, "term", None) is None:  # (hashicorp's leader line, its campaign cut)
                return [lead_unsure(w, i, e, self.cx) if isinstance(e, ev.BecameLeader) else w
                        for w in self.candidates]
            self.candidates = [resync(w, i, e, self.cx) for w in self.candidates]
        try:
            out, failure = self._explain(e, handler)
        except UNREADABLE as exc:
            self._unreadable(e, exc)
            return self.candidates
        if not out:
            assert failure is not None
            raise failure
        if (self.cx.resyncing or self.cx.unsynced) and isinstance(e, ANCHORS):
            self.cx.resynced.add(self.cx.index(e.node))
            self.cx.unsynced.discard(self.cx.index(e.node))
        if len(out) == 1 and self.options.max_candidates:  # most events: one World
            return out
        worlds = list(dict.fromkeys(out))
        if len(worlds) > self.options.max_candidates:
            worlds = worlds[:self.options.max_candidates]
            self.bounded = True
        self.widest = max(self.widest, len(worlds))
        return worlds

    def _explain(self, e: ev.Event, handler: Callable) -> tuple[list[World], Unexplained | None]:
        """What ``handler`` makes of ``e`` in each candidate World: the Worlds after it, and
        the first failure (where a World does not explain it)."""
        out: list[World] = []
        failure: Unexplained | None = None
        for w in self.candidates:
            try:
                out.extend(handler(w, e, self.cx))
            except Unexplained as exc:
                failure = failure or exc
            except UNREADABLE:
                raise
            except Exception as exc:  # a bug in a handler: never a verdict
                raise InternalError(f"checking {e.kind} at {e.source}", exc) from exc
        return out, failure

    def _unreadable(self, e: ev.Event, exc: Exception) -> None:
        """``e`` is no step: its line names no node where it needs one, or holds a number no
        term or index reaches; it is listed with the lines that do not parse."""
        why = str(exc) if isinstance(exc, UnnamedNode) else \
            "holds a number too large for a term or an index (above 2^63 - 1)"
        where = (e.source.path, e.source.line)
        if self._stream is not None and where not in self._unread:  # (a retry reads it again)
            self._unread.add(where)
            self._stream.note_problem(e.source.path, e.source.line, why, e.source.raw)

    def _note(self, e: ev.Event) -> None:
        """Cluster size (every node a configuration has named), elections seen, and features
        outside the model."""
        if isinstance(e, ev.FeatureUsed) and e.feature:
            self.features.setdefault(e.feature, str(e.source))
        if isinstance(e, ev.BecameLeader):
            self.elected = True
        if isinstance(e, (ev.Membership, ev.NodeStarted)):
            if isinstance(e, ev.Membership):
                members = {*e.voters, *e.outgoing_voters, *e.learners, *e.learners_next}
            else:
                members = set(e.peers)
            self.voters |= members
            self._resize(len(self.voters))

    def _resize(self, nodes: int) -> None:
        if nodes > self.cx.rules.nodes:
            self.cx.rules = self._sizes.setdefault(nodes, self._rules(nodes))

    # --- the run ------------------------------------------------------------------------
    def run(self, stream: LogStream) -> Verdict:
        started = time.perf_counter()
        self._stream = stream
        logs = stream.per_file()
        if self.slip is not None:
            logs = [(path, fmt, shifted(events, self.slip) if path == self.slip.log else events)
                    for path, fmt, events in logs]
        queues = [FileQueue(k, path, fmt, events, observes(fmt, path in stream.debug_files))
                  for k, (path, fmt, events) in enumerate(logs)]
        self._node_logs = {q.path for q in queues if q.format in SINGLE_NODE_FORMATS}
        self._starts_by = stream.starts_by
        self._resize(max(len(stream.nodes), len([q for q in queues])))
        merge = self._merge = Merge(queues, self.options.max_skew)
        identities = [FileIdentity(q.path, None, stream.cluster_ids.get(q.path)) for q in queues]
        verdict = None
        next_queue, step = merge.next_queue, self.step
        while (q := next_queue()) is not None:
            e = q.pop()
            identities[q.number].note(e)
            self.events += 1
            if not self.voters:
                self._resize(len(stream.nodes))
            if self.events % 64 == 0:  # what every node's term has passed cannot matter
                self.candidates = [w.pruned(self._guessed()) for w in self.candidates]
            if self.events % 4096 == 0:
                self._forget_old_terms()
            try:
                self.candidates = step(e, q.observes)
                self.checked += 1
                if self.watch is not None:
                    self._explained([e])
            except Unexplained as failure:
                if self._pull_and_retry(merge, q, e, failure) or \
                        self._pull_beyond_skew(merge, q, e, failure) or \
                        (after := self._root_first(merge, q, e)) is True:
                    if self.watch is not None:
                        self._explained([e])
                elif after is None and self._clock_back(merge, q, e, failure):
                    self.events -= 1
                elif not self._before_sync(e, failure if after is None else after):
                    # If this event only waits for another node's step, an event of another
                    # node, no later than this one, that is unexplained by itself is the root
                    # cause; a property this event breaks is its own.
                    if after is not None:
                        failure = after  # (the root was explained, and e is not)
                    elif isinstance(failure, Missing) and self.root is not None:
                        e, failure = self.root
                    verdict = self._violation(e, failure, stream)
                    break
        for q in queues:  # drain, so that the file summaries are complete (each head's
            while q.key() is not None:  # place worked out, an outlier ahead known as one)
                identities[q.number].note(q.pop())
        owners = {f.path: f.node for f in stream.files}
        for ident in identities:
            ident.owner = owners.get(ident.path)
        mixed = refuse_mixed([i for i, q in zip(identities, queues, strict=True)
                              if q.format in SINGLE_NODE_FORMATS])
        if mixed:
            raise LogError(mixed)
        verdict = verdict or self._final(stream, any(i.raft for i in identities))
        verdict.seconds = time.perf_counter() - started
        self._facts(verdict, stream, queues)
        return verdict

    def _clock_back(self, merge: Merge, q: FileQueue, e: ev.Event, failure: Unexplained
                    ) -> bool:
        """``e``, of a file whose clock was found ahead (merged that much earlier), waits for
        a node whose next line is stamped no later than ``e`` is, within the tolerance: the
        clock may have come back to the others' (a step back hidden in a pause of the log).
        Then ``e`` is pushed back and merged at its time, as every later line of its file."""
        if not q.ahead or failure.awaits is None or e.time is None or \
                self.options.max_clock_gap <= 0:
            return False
        stamp = e.time.timestamp() + merge.max_skew + q.precision
        if not any(z is not q and z.head() is not None and z.buffer[0].node == failure.awaits
                   and z.buffer[0].time is not None and z.when(z.buffer[0]) <= stamp
                   for z in merge.queues):
            return False
        q.push_back(e)
        q.clock_back(e)
        return True

    def _explained(self, events: list[ev.Event]) -> None:
        """The spec explained these events: is the watched one of them?"""
        self.watched = self.watched or any(
            (e.source.path, e.source.line, e.kind) == self.watch for e in events)

    def _guessed(self) -> frozenset[int]:
        """Nodes whose state is a guess from the other logs: none of their own lines has shown
        their term yet (or no log of theirs: a server's start-up lines before its Raft state
        show none), or their log began mid-run and has not shown their term."""
        own = {self.cx.index(n) for n in self.termed}
        return frozenset(i for i in range(self.cx.rules.nodes)
                         if i not in own or i in self.cx.unsynced)

    def _forget_old_terms(self) -> None:
        """Report bookkeeping of terms that every node has passed can no longer be cited."""
        self.cx.prune_sources(min(w.min_term() for w in self.candidates))

    def _pull_and_retry(self, merge: Merge, source: FileQueue, e: ev.Event,
                        failure: Unexplained) -> bool:
        """Take other files' events that may have come first (clock tolerance), one at a time,
        until ``e`` is explained; undo them if it never is. The file of the node that the
        last failure waits for goes first (where clocks tell little, e.g. whole seconds,
        that spares trying ``e`` after every event of the other nodes in that second).

        An event that waits for a step of node X (a :class:`Missing` naming X) is tried again
        only after a step of X, and so is another file's head that waits for X: on whole-second
        clocks a chain (e waits for X, whose next event waits for Y) would otherwise try both
        again after each of Y's events. Only when nothing more can be taken are they tried as
        if any step could help, and from then on after every step."""
        saved, lenient = self.candidates, self.cx.leniency()
        self.root = None
        taken = Taken()
        blocked: dict[int, str | None] = {}  # file -> the node its head's failure waits for
        unresolved: dict[int, tuple[ev.Event, Unexplained]] = {}  # file -> its head's failure
        waits = failure.awaits  # the node e's last failure waits for
        thorough = spared = False  # (spared: a try put off that the precise way may need)
        # e has failed on the candidates and Context as they are (a failed try of another
        # event may leave traces in the Context: then e is tried again after the next step)
        failed_as_is = True
        while True:
            q = next((q for q in merge.candidates(e, source, failure.awaits)
                      if q.number not in blocked), None)
            if q is None:
                if thorough or not spared:
                    break
                thorough = True
                blocked.clear()
                if failed_as_is:
                    continue
            else:
                h = q.head()
                before, quiet = self.candidates, self._changes_only_worlds(h)
                try:
                    self.candidates = self.step(h, q.observes)
                except Unexplained as its_failure:
                    blocked[q.number] = its_failure.awaits
                    unresolved[q.number] = (h, its_failure)
                    failed_as_is = failed_as_is and quiet  # a World-only step leaves no trace
                    failure = its_failure
                    continue
                unresolved.pop(q.number, None)
                taken.take(q)
                if thorough:
                    blocked.clear()  # progress may unblock a file that waited for it
                elif blocked:
                    kept = {k: a for k, a in blocked.items() if not self._may_explain(a, h)}
                    spared = spared or bool(kept)
                    blocked = kept
                if failed_as_is and quiet and _same(before, self.candidates):
                    continue  # nothing changed: e fails as it did
                if not thorough and not self._may_explain(waits, h):
                    failed_as_is = False
                    spared = True
                    continue
            failed_as_is = True
            try:
                self.candidates = self.step(e, source.observes)
            except Unexplained as e_failure:
                failure = e_failure
                waits = e_failure.awaits
                continue
            self.events += len(taken.events)
            self.checked += len(taken.events) + 1
            if self.watch is not None:
                self._explained([h for _q, h in taken.events])
            return True
        self.candidates = saved
        self.cx.restore_leniency(lenient)  # (an anchor given back resyncs no one)
        taken.give_back()
        # The root cause, if any: an event of another file, no later than e, that nothing
        # explains even with everything else taken — a property it breaks rather than a step
        # it waits for, if there is such an event. (No later: where e's file's clock went
        # back, e may have come as much later than its time says.)
        latest = e.time.timestamp() + source.stepped_back if e.time is not None else -math.inf
        roots = [(h, f) for h, f in unresolved.values()
                 if h.time is not None and h.time.timestamp() <= latest]
        roots.sort(key=lambda r: (isinstance(r[1], Missing), r[0].time))
        self.root = _end_of_chain(roots)
        return False

    def _pull_beyond_skew(self, merge: Merge, source: FileQueue, e: ev.Event,
                          failure: Unexplained) -> bool:
        """``e`` waits for a step of node X that nothing within the clock tolerance explains:
        take X's events, in file order, up to ``max_clock_gap`` seconds later still, until
        ``e`` is explained; undo them if it never is. Where it is, X's clock ran ahead of
        ``e``'s by the time between them: X's file is merged that much earlier from then on.
        An order that the spec explains is a behaviour of it whatever the clocks said; a
        violation stays one, as no later step of X explains it. Where X's next line lies
        beyond the gap, that is kept (:attr:`beyond`): before ``e`` is reported a violation,
        :meth:`_apart_by` asks whether X's lines beyond the gap would explain it."""
        waits = failure.awaits
        if waits is None or e.time is None or self.options.max_clock_gap <= 0:
            return False
        files = [q for q in merge.queues if q is not source and q.head() is not None
                 and q.buffer[0].node == waits and q.buffer[0].time is not None]
        if not files:
            return False
        x = min(files, key=FileQueue.key)
        start = source.when(e)
        limit = start + merge.max_skew + source.precision + self.options.max_clock_gap
        undo, aside = self._undo_point(x), Taken()
        explained, taken, _timely, beyond = self._take_until_explained(x, e, source, limit,
                                                                      aside)
        if explained:
            for q, events in [(x, taken), *aside.by_file()]:
                q.learn_ahead_by(events, start, merge.max_skew + source.precision)
            taken += [a for _q, a in aside.events]
            self.events += len(taken)
            self.checked += len(taken) + 1
            if self.watch is not None:
                self._explained(taken)
            return True
        self._give_back(x, taken, undo, aside)
        self.beyond = (e, x, source) if beyond else None
        return False

    def _root_first(self, merge: Merge, source: FileQueue, e: ev.Event
                    ) -> bool | Unexplained | None:
        """A chain of two waits: ``e`` waits for node X's line, which waits for node Z's,
        stamped later than the clock tolerance allows (Z's clock ran ahead). The root cause
        :meth:`_pull_and_retry` found (X's line, after X's lines before it) is explained
        first, by the pull beyond the skew, then ``e`` is tried again (with the pull within the
        skew). True: both explained; an Unexplained: X's line was, and ``e`` is not (this is
        its failure now); None: X's line was not, and nothing changed."""
        if self.root is None or self.options.max_clock_gap <= 0:
            return None
        h, failure = self.root
        x = next((q for q in merge.queues if q is not source and
                  any(b is h for b in q.buffer)), None)
        if x is None or not isinstance(failure, Missing):
            return None
        undo = self._undo_point(x)
        taken: list[ev.Event] = []  # X's lines before it (explained before, in the retry)
        while x.buffer[0] is not h:
            try:
                self.candidates = self.step(x.buffer[0], x.observes)
            except Unexplained:
                self._give_back(x, taken, undo, Taken())
                return None
            taken.append(x.pop())
        taken.append(x.pop())
        if not self._pull_beyond_skew(merge, x, h, failure):
            self._give_back(x, taken, undo, Taken())
            return None
        self.events += len(taken)
        self.checked += len(taken) - 1
        if self.watch is not None:
            self._explained(taken)
        try:
            self.candidates = self.step(e, source.observes)
        except Unexplained as after:
            if self._pull_and_retry(merge, source, e, after):
                return True
            self.root = None
            return after
        self.checked += 1
        return True

    def _apart_by(self, e: ev.Event) -> tuple[str, float] | None:
        """Before ``e`` is reported a violation, where the node it waits for had lines beyond
        --max-clock-gap (:meth:`_pull_beyond_skew`): would they explain it? Then (that node,
        the seconds its clock would have run ahead). Tried only once the run's verdict is
        decided, and given back."""
        if self.beyond is None or self.beyond[0] is not e:
            return None
        _, x, source = self.beyond
        waits = x.head().node if x.head() is not None else None
        if waits is None:
            return None
        undo, aside = self._undo_point(x), Taken()
        features, elected = dict(self.features), self.elected
        explained, taken, timely, _ = self._take_until_explained(x, e, source, math.inf, aside,
                                                                 PROBE_BEYOND_GAP)
        gap = x.when(timely) - source.when(e) if explained and timely is not None else None
        # (what the lines tried showed is not the run's: the verdict's facts read it whole)
        self._give_back(x, taken, undo, aside)
        self.features, self.elected = features, elected
        return None if gap is None else (waits, gap)

    def _take_until_explained(self, x: FileQueue, e: ev.Event, source: FileQueue,
                              limit: float, aside: Taken, most: int | None = None
                              ) -> tuple[bool, list[ev.Event], ev.Event | None, bool]:
        """Take X's events in file order (merged no later than ``limit``, or outliers; at
        most ``most``) until ``e`` is explained: (explained, the events taken, the last taken
        whose time is X's clock, whether X's next line lay beyond the limit). Where one of
        X's lines waits for another node's, that node's lines that may have come before ``e``
        are taken first (:meth:`_take_awaited`, into ``aside``)."""
        waits = x.buffer[0].node
        taken: list[ev.Event] = []
        timely: ev.Event | None = None
        while (h := x.head()) is not None and h.node == waits and h.time is not None and \
                (most is None or len(taken) < most):
            # a line far ahead of its file's clock, the clock back a few lines later: its
            # time is wrong (an outlier), it came before them
            outlier = x.outlier_ahead(h)
            if x.when(h) > limit and not outlier:
                return False, taken, timely, True
            try:
                self.candidates = self.step(h, x.observes)
            except Unexplained as failure:
                if not self._take_awaited(failure, x, h, e, source, limit, aside):
                    break
            taken.append(x.pop(outlier=outlier))
            timely = timely if outlier else taken[-1]
            try:
                self.candidates = self.step(e, source.observes)
            except Unexplained:
                continue
            return True, taken, timely, False
        return False, taken, timely, False

    def _take_awaited(self, failure: Unexplained, x: FileQueue, h: ev.Event, e: ev.Event,
                      source: FileQueue, limit: float, aside: Taken,
                      busy: tuple[FileQueue, ...] = (), depth: int = AWAITED_DEPTH) -> bool:
        """X's line ``h``, pulled ahead of ``e``, waits for a step of node Z: take Z's lines
        in file order, one at a time, until ``h`` is explained (True); where one of Z's lines
        waits for yet another node, that node's the same way (``depth`` nodes deep, files in
        ``busy`` left alone). They are recorded in ``aside``, to be given back with X's. One
        clock is found ahead at a time: where X's line is beyond the clock tolerance of
        ``e``, Z's lines are taken only within it; else up to ``limit``, as X's."""
        z = failure.awaits
        if z is None or z == h.node or self._merge is None or depth <= 0:
            return False
        near = source.when(e) + self._merge.max_skew + source.precision
        if h.time is not None and x.when(h) > near:
            limit = near
        busy = (*busy, x, source)
        files = [q for q in self._merge.queues if q not in busy and
                 q.head() is not None and q.buffer[0].node == z and
                 q.buffer[0].time is not None]
        if not files:
            return False
        q = min(files, key=FileQueue.key)
        while (a := q.head()) is not None and a.node == z and a.time is not None:
            if q.when(a) > limit and not q.outlier_ahead(a):
                return False
            try:
                self.candidates = self.step(a, q.observes)
            except Unexplained as its_failure:
                if not self._take_awaited(its_failure, q, a, e, source, limit, aside, busy,
                                          depth - 1):
                    return False
            aside.take(q)
            try:
                self.candidates = self.step(h, x.observes)
            except Unexplained as again:
                if again.awaits != z:
                    return False
                continue
            return True
        return False

    def _undo_point(self, x: FileQueue) -> tuple:
        """What :meth:`_give_back` puts back: the candidates, root, X's clock, leniency."""
        return self.candidates, self.root, x.clock(), self.cx.leniency()

    def _give_back(self, x: FileQueue, taken: list[ev.Event], undo: tuple,
                   aside: Taken) -> None:
        """Undo :meth:`_take_until_explained`: the candidates, root and leniency as they were,
        X's events (and those taken aside) back in their files."""
        self.candidates, self.root, clock, lenient = undo
        self.cx.restore_leniency(lenient)
        for h in reversed(taken):
            x.push_back(h)
        x.rewind(clock)
        aside.give_back()

    def _before_sync(self, e: ev.Event, failure: Unexplained) -> bool:
        """Whether ``e``, unexplained, is a line of a node whose log began mid-run before any
        of its lines showed its role and term: what the Worlds hold of that node was guessed
        from the other nodes' lines (its own steps before its log began were not logged), so
        the line is taken as it is, unchecked, and counted for the verdict's note. Never an
        anchor (it sets the node's role and term), nor two leaders of a term or two entries
        committed at one index."""
        i = self.cx.numbers.get(e.node)
        if i is None or i not in self.cx.unsynced or isinstance(e, ANCHORS) or \
                failure.rule in NEVER_EXCUSED:
            return False
        # the role it has by this line's own account, if one explains it (a pre-vote request
        # sent: a pre-candidate), so that what it did is known to the nodes it did it to
        handler = HANDLERS[type(e)]
        for role in GUESSED_ROLES:
            try:
                out, _failure = self._explain(
                    e, lambda w, e, cx, role=role: handler(in_role(w, i, role, e, cx), e, cx))
            except UNREADABLE as exc:
                self._unreadable(e, exc)
                return True
            if out:
                self.candidates = list(dict.fromkeys(out))[:self.options.max_candidates or None]
                self.checked += 1
                return True
        self.before_sync.setdefault(e.node, [e.source, 0])[1] += 1
        return True

    @staticmethod
    def _may_explain(waits: str | None, h: ev.Event) -> bool:
        """Whether taking ``h`` may explain an event whose failure waits for node ``waits``."""
        return waits is None or h.node == waits

    def _changes_only_worlds(self, e: ev.Event) -> bool:
        """Whether stepping ``e`` can change nothing but the candidate Worlds: its handler
        writes no Context field (WORLD_ONLY), and step neither notes it (cluster size,
        features), nor numbers its node, nor resyncs it. A handler run again on the same
        Worlds and Context gives what it gave: its writes to the Context (what a failed try
        may leave) put the same values again."""
        return HANDLERS.get(type(e)) in WORLD_ONLY and type(e) not in _NOTED and \
            e.node in self._formats_noted and not (
                (self.cx.resyncing or self.cx.unsynced) and isinstance(e, ANCHORS))

    def _violation(self, e: ev.Event, failure: Unexplained, stream: LogStream) -> Verdict:
        self.failed_at, self.failure = e, failure
        unread = None if failure.rule in NEVER_EXCUSED else self._unread_before(e, stream)
        if self.features and failure.rule not in NEVER_EXCUSED:
            status, lead = INCONCLUSIVE, "not explained, but the logs use features outside " \
                "the model before it: "
        elif unread is not None:
            status, lead = INCONCLUSIVE, f"not explained, but the line that would have " \
                f"decided may be unparsed ({unread}): "
        elif self.bounded:
            status, lead = INCONCLUSIVE, "not explained, but the candidate set was bounded " \
                f"(--max-candidates {self.options.max_candidates}): "
        elif failure.rule not in NEVER_EXCUSED and (apart := self._apart_by(e)) is not None:
            node, gap = apart
            status, lead = INCONCLUSIVE, f"not explained unless {node}'s clock ran " \
                f"{gap:.0f} s ahead of {e.node}'s, beyond --max-clock-gap " \
                f"{self.options.max_clock_gap:g} s (clocks set apart? local times of " \
                "different zones?): "
        else:
            status, lead = VIOLATES, ""
        reason = f"{lead}{failure.rule} at {e.source}"
        return Verdict(status, reason, rule=failure.rule, location=str(e.source),
                       line_text=e.source.raw, explanation=failure.explanation,
                       related=[str(r) for r in failure.related],
                       features=dict(self.features))

    def _unread_before(self, e: ev.Event, stream: LogStream) -> str | None:
        """An unparsed raft line that may have come before ``e`` (earlier in its file, or in
        another file no later than it, within the clock tolerance): the step it logged might
        explain ``e``."""
        limit = None if e.time is None else e.time.timestamp() + self.options.max_skew
        for p in stream.problems:
            if p.path == e.source.path:
                if p.line < e.source.line:
                    return str(p)
            elif limit is None or p.time is None or p.time.timestamp() <= limit:
                return str(p)
        return None

    def _final(self, stream: LogStream, raft_seen: bool) -> Verdict:
        """The verdict of a run read to its end. ``raft_seen``: a line showed Raft's state."""
        unread = f" (the lines that would show it may be unparsed: {stream.problems[0]})" \
            if stream.problems else ""
        if not raft_seen and not stream.problems:
            unread = " (no line shows Raft's state: a term, a vote, a leader; only warnings " \
                "and the like were read: logged at --log-level warn? etcd and hashicorp/raft " \
                "log elections and votes at info)"
        if self.features:
            names = ", ".join(f"{k} (first at {v})" for k, v in self.features.items())
            return Verdict(INCONCLUSIVE, f"no violation found, but the logs use features "
                           f"outside the model: {names}", features=dict(self.features))
        if self.checked == 0:
            return Verdict(INCONCLUSIVE, f"too little observed: no Raft events in the "
                           f"logs{unread}")
        if not self.elected and not any(
                s is not None and s.role != 0 for w in self.candidates for s in w.servers):
            if self.mid_run and not unread:
                unread = f" ({' and '.join(sorted(self.mid_run))}: log begins mid-run; " \
                    "an election may be in what was rotated away)"
            return Verdict(INCONCLUSIVE, "too little observed: the logs show no election, so "
                           f"no safety property is exercised{unread}")
        hidden = next((p for p in stream.problems if p.step), None)
        if hidden is not None:
            return Verdict(INCONCLUSIVE, f"no violation found, but a line that logs a step to "
                           f"check did not parse: {hidden} (it says {hidden.step!r})")
        unchecked = ""
        if stream.problems:
            count = sum(f.problems for f in stream.files)
            unchecked = f"; {count} raft line(s) did not parse and were not checked (first: " \
                f"{stream.problems[0]})"
        return Verdict(CONFORMS, f"every event is explained by the spec ({self.checked} "
                       f"events){unchecked}")

    def _facts(self, verdict: Verdict, stream: LogStream, queues: list[FileQueue]) -> None:
        verdict.files = [FileFacts(f.path, f.format, f.node, f.lines, f.events, f.skipped,
                                   f.problems) for f in stream.files]
        verdict.nodes = {name: list(info.ids) for name, info in stream.nodes.items()}
        verdict.problems = [str(p) for p in stream.problems]
        verdict.events, verdict.checked = self.events, self.checked
        verdict.max_candidates = self.widest
        observed = {f.node for f in stream.files if f.node}  # (node logs: one node a file)
        if observed:  # a node whose own lines were read has a log, if in a file another node
            observed |= self._formats_noted  # started: a member replaced under its name
        unobserved = sorted(set(verdict.nodes) - observed) if observed else []
        if unobserved:
            verdict.notes.append(f"no log of {', '.join(unobserved)}: their steps are assumed "
                                 "wherever the spec allows them")
        if stream.ignored:
            names = ", ".join(split.base_name(p) for p, _ in stream.ignored)
            verdict.notes.append(f"not Raft logs, ignored: {names}")
        for node, (first, count) in self.before_sync.items():
            verdict.notes.append(
                f"{first}: {node}'s log begins mid-run (its first line is no start of its "
                "server: earlier parts rotated away, or cut), and what the other logs showed "
                f"of it before does not explain this line: {count} line(s) of {node} taken "
                "unchecked until a line showed its role and term")
        verdict.notes += [str(replay) for replay in stream.replays]
        owners = {f.path: f.node for f in stream.files}
        trusted = sorted({owners[q.path] for q in queues
                          if q.ahead_from is None and not q.ahead_spans and owners.get(q.path)})
        others = " and ".join(f"{n}'s" for n in trusted) or "the others'"
        for q in queues:
            spans = [*q.ahead_spans, *([(q.ahead_from, None, q.ahead)] if q.ahead_from else [])]
            for since, until, seconds in spans:
                lines = "from there on" if until is None else \
                    f"from there to line {until.source.line - 1} (its clock was set back by " \
                    f"line {until.source.line})"
                verdict.notes.append(
                    f"{since.source}: {since.node}'s clock ran {seconds:.3f} s ahead of "
                    f"{others} (a clock stepped forward, or clocks set apart): its lines "
                    f"{lines} were merged that much earlier than their times say "
                    "(--max-clock-gap 0 trusts the clocks to --max-skew)")
        wrapped: dict[str, list[str]] = {}
        for f in stream.files:
            if f.wrapper:
                wrapped.setdefault(f.wrapper, []).append(split.base_name(f.path))
        for wrapper, names in wrapped.items():
            verdict.notes.append(f"lines unwrapped from {wrapper}: "
                                 f"{', '.join(names)}")
        for q in queues:
            if q.outliers:
                first = q.outliers[0]
                verdict.notes.append(
                    f"{first.source}: its time ({first.time:%Y-%m-%d %H:%M:%S}) stands apart "
                    "from the lines around it, whose clock agrees: merged by its place in the "
                    "file"
                    + (f"; {len(q.outliers) - 1} more such line(s) in the file"
                       if len(q.outliers) > 1 else ""))
            if q.step is not None and q.step[0] > self.options.max_skew:
                back, after = q.step
                verdict.notes.append(
                    f"{after.source} is {back:.3f} s earlier than the line before it: its "
                    "node's clock went back (an NTP step?), and its later lines were merged "
                    "with that much more tolerance")


def _starts_server(e: ev.Event) -> bool:
    """Whether this first event of a node's log is its server starting (its banner, or raft's
    own start): a log that begins otherwise begins mid-run."""
    kind = e.of if type(e) is ev.Skimmed else type(e)  # type: ignore[attr-defined]
    return kind is ev.NodeStarted or kind is ev.ServerConfig


def _same(before: list[World], after: list[World]) -> bool:
    """The same Worlds (the very objects), in the same order."""
    return len(before) == len(after) and all(map(operator.is_, before, after))


def validate_run(run: Run, options: ValidateOptions | None = None) -> Verdict:
    """One run's verdict. Input that cannot be read, or logs that cannot be one cluster, give
    a REFUSED verdict (exit 2); a bug in raftcheck an INTERNAL_ERROR one (exit 5)."""
    try:
        return check_run(run, options)
    except LogError as exc:
        return Verdict(REFUSED, str(exc), run=run.name)
    except Exception as exc:  # a bug: this run's verdict says so, the other runs go on
        if not isinstance(exc, InternalError):
            exc = InternalError(f"checking run {run.name}", exc)
        if os.environ.get("RAFTCHECK_DEBUG"):
            traceback.print_exception(exc.cause)
        return Verdict(INTERNAL_ERROR, f"{exc} — a bug in raftcheck, not a verdict about "
                       "the cluster; please report it (RAFTCHECK_DEBUG=1 prints the "
                       "traceback)", run=run.name)


def validate_paths(paths: Iterable[str | os.PathLike[str]],
                   options: ValidateOptions | None = None) -> Verdict:
    """The verdict of the one run in ``paths`` (files, or a directory of node logs). Raises
    LogError for input that cannot be read, or that holds several runs (use validate_runs)."""
    runs = find_runs(paths)
    if len(runs) > 1:
        raise LogError(f"these paths hold {len(runs)} runs ({', '.join(r.name for r in runs)}): "
                       "validate them with validate_runs, one verdict each")
    return check_run(runs[0], options)


def check_run(run: Run, options: ValidateOptions | None = None) -> Verdict:
    """One run's verdict; raises LogError (refused input) and InternalError (a bug)."""
    if run.error:
        raise LogError(run.error)
    started = time.perf_counter()
    options = options or ValidateOptions()
    validator = Validator(options)
    verdict = validator.run(_stream(run))
    if verdict.status == VIOLATES:
        verdict = _explained_by_slip(run, options, validator, verdict) or verdict
    verdict.run = run.name
    verdict.seconds = time.perf_counter() - started  # (the retries with slips included)
    return verdict


def _stream(run: Run) -> LogStream:
    return LogStream(files=run.files, ignored=run.ignored, skim=SKIMMED, windows=run.windows)


def _explained_by_slip(run: Run, options: ValidateOptions, validator: Validator,
                       violation: Verdict) -> Verdict | None:
    """The verdict of the run with one slip of a clock (clocks.py) corrected, where the logs
    show one that explains what the times as logged left unexplained: the nearest to the
    violation first. Beyond --max-clock-gap that is inconclusive, naming the slip; a rule
    that no order of events explains (two leaders of a term) is never retried. Where no slip
    does, a jump of the clock before the line in its own log (clocks.find_jumps) that
    explains the line makes the violation inconclusive."""
    e = validator.failed_at
    if violation.rule in NEVER_EXCUSED or options.max_clock_gap <= 0 or e is None or \
            e.time is None:
        return None
    when = e.time.timestamp()
    owners = {f.path: f.node for f in violation.files}
    # (a slip whose lines all come later than the merge could take any line before the one
    # unexplained changes nothing before it)
    reach = options.max_skew + 1.0 + options.max_clock_gap
    slips = sorted((s for s in find_slips(run, options.max_skew, owners) if s.after(when) <= reach),
                   key=lambda s: (s.distance(when), abs(s.seconds), s.ends - s.begins))
    hidden = [s for s in slips if s.hidden]
    slips = [s for s in slips if not s.hidden]
    as_logged = f"with the times as logged, {violation.rule} at {violation.location}"
    # readings within the gap that explain it and leave a later line unexplained: the one
    # that leaves the latest names the line to report (a slip that explains more is the
    # likelier reading): (slip, its verdict, that line, what the note adds)
    further: list[tuple[Slip, Verdict, ev.Event, str]] = []
    for slip in _tried(slips):
        verdict, later, _ = _retried(run, options, slip, e)
        if verdict.status == VIOLATES:
            if later is not None:
                further.append((slip, verdict, later, ""))
            continue
        if abs(slip.seconds) > options.max_clock_gap:
            return _beyond_gap(slip, violation, verdict, options)
        verdict.notes.insert(0, f"{slip.describe()}; {as_logged} is not explained")
        return verdict
    # A step back may show only part of how far a clock was off, the rest hidden in a pause
    # of the log (or, in a reading to the log's edge, in the quiet just before the step): a
    # slip that explains the run only at a size beyond the step (up to the pause, or the
    # log's longest quiet of late) is a guess, and makes the violation inconclusive (one that
    # leaves a later line unexplained does not: a slip never hides a violation).
    sizable = [s for s in slips[:MOST_TRIED] + hidden if s.room > abs(s.seconds) +
               options.max_skew]
    partial: list[tuple[Slip, Verdict, ev.Event]] = []
    for slip in sorted(sizable, key=lambda s: s.distance(when))[:PAUSES_SIZED]:
        reading = _sized_reading(run, options, slip, e, slip.room, abs(slip.seconds), True,
                                 partial)
        if reading is not None:
            return _inconclusive_reading(*reading, violation, f"{STOOD_STILL} (its step back "
                                         f"shows less: the rest would lie in {_hider(slip)})")
    # (a size that explains the line and leaves a later one unexplained competes with the
    # slips as they show)
    further += [(slip, verdict, later, f" (a size read from {_hider(slip)}: a guess)")
                for slip, verdict, later in partial]
    further = [r for r in further if abs(r[0].seconds) <= options.max_clock_gap]
    if further:
        return _latest_unexplained(further, as_logged)
    # A jump is only a pause that a clock may hide: one that explains the line makes the run
    # inconclusive, even where a later line is not explained (its size is a guess, the
    # pause's length or less, and a line the guess puts out of order may be the guess's own).
    # A server starting up pauses before its lines show its Raft state: no jump is read there.
    # A jump that a step back after the line ends is a slip read from the pause nearest the
    # line: as a slip, it never hides a violation (a size that leaves a later line
    # unexplained names that line).
    since = validator.stated.get(e.node)
    bounded: list[tuple[Slip, Verdict, ev.Event]] = []
    for jump in find_jumps(run, options.max_skew, owners, e.source, since) if since else ():
        ended = jump.step is not None
        reading = _sized_reading(run, options, jump, e, abs(jump.seconds), options.max_skew,
                                 ended, bounded if ended else None)
        if reading is not None:
            return _inconclusive_reading(*reading, violation, STOOD_STILL if not ended
                                         else f"{STOOD_STILL} (nor its step back, which shows "
                                         "less, from a clock set right)")
    if bounded:
        return _latest_unexplained([(slip, verdict, later, " (a size read from a pause: a "
                                     "guess)") for slip, verdict, later in bounded], as_logged)
    return None


def _latest_unexplained(readings: list[tuple[Slip, Verdict, ev.Event, str]], as_logged: str
                        ) -> Verdict:
    """Of readings that explain the line the times as logged left unexplained but leave a
    later one unexplained (slip, its verdict, that line, what the note adds), the one whose
    line is latest (it explains the most): its verdict, noting the reading."""
    slip, verdict, _, guess = max(readings, key=lambda r: (r[2].time, r[1].checked))
    verdict.notes.insert(0, f"{slip.describe()}{guess}; {as_logged} was the first line not "
                         "explained")
    return verdict


def _hider(slip: Slip) -> str:
    """Where the part of the slip's error that its step back does not show would lie."""
    return "the quiet of its log before the step" if slip.to_edge else "a pause"


def _tried(slips: list[Slip]) -> list[Slip]:
    """The slips retried, of those found (nearest the unexplained line first): the
    MOST_TRIED first, then the same lines at the other sizes their step allows (the nearer
    sizes all come first, and a step back may show less than the clock's error)."""
    tried = slips[:MOST_TRIED]
    blocks = {(s.first, s.last) for s in tried}
    return tried + [s for s in slips[MOST_TRIED:] if (s.first, s.last) in blocks]


def _inconclusive_reading(slip: Slip, verdict: Verdict, later: ev.Event | None,
                          violation: Verdict, doubt: str) -> Verdict:
    """The violation, inconclusive: a reading of the clock whose size is a guess explains its
    line (and, where ``later`` is a line it leaves unexplained, that line is named too: the
    guess may be the one that puts it out of order)."""
    if later is not None:
        doubt += f"; read so, {verdict.rule} at {verdict.location} is not explained either"
    return _unless(slip, violation, verdict, doubt)


def _sized_reading(run: Run, options: ValidateOptions, slip: Slip, e: ev.Event,
                   largest: float, least: float, whole_run: bool = False,
                   partial: list[tuple[Slip, Verdict, ev.Event]] | None = None
                   ) -> tuple[Slip, Verdict, ev.Event | None] | None:
    """The slip (a jump, or a step back with a pause that hides part of it), of ``largest``
    seconds or less but more than ``least``, that explains ``e`` (``whole_run``: the whole
    run): (the slip so sized, the run's verdict so read, the later line left unexplained if
    any), or None. The line a size leaves unexplained tells whether it put the slip's lines
    too early or too late (:func:`_too_early`), and so whether it was too large or too small.
    A pause holds the clock's error and some quiet of the log: after the pause's length,
    half a second less is tried, then sizes between the largest too small and the smallest
    too large, halving (a reading to the log's edge, whose largest size is a guess from the
    log's quiet, halves from the first, and doubles while too small, up to --max-clock-gap),
    until the largest too small and the smallest too large lie within a quarter of the skew.
    Sizes that explain ``e`` but, where the whole run is asked, leave a later line
    unexplained go to ``partial``."""
    small, large = least, None

    def reading(size: float) -> tuple[tuple[Slip, Verdict, ev.Event | None] | None, bool]:
        """(the reading, where the slip so sized explains, else None; whether it put the
        slip's lines too early)"""
        tried = slip.sized(math.copysign(size, slip.seconds))
        verdict, later, too_early = _retried(run, options, tried, e)
        if verdict.status != VIOLATES or (later is not None and not whole_run):
            return (tried, verdict, later), too_early
        if later is not None and partial is not None:
            partial.append((tried, verdict, later))
        return None, too_early

    size = largest
    for tries in range(1, (EDGE_SIZES_TRIED if slip.to_edge else SIZES_TRIED) + 1):
        found, too_early = reading(size)
        if found is not None:
            return found
        if too_early != slip.ahead:  # (the larger, the earlier a clock ahead's lines go)
            small = size
        else:
            large = size
        if large is None and slip.to_edge and size < options.max_clock_gap:
            size = min(2 * size, options.max_clock_gap)  # (nothing bounds it but the gap)
            continue
        # (to a quarter of the skew: in a dense run, lines of several nodes lie within it,
        # and a size within the skew but off by half of it may put some out of order)
        if large is None or large - small <= options.max_skew / 4:
            break
        pause = tries == 1 and not slip.to_edge and large - 0.5 > small
        size = large - 0.5 if pause else (small + large) / 2
    if not slip.hidden or large is None or small != least:
        return None
    # (a pause longer than its step allows is never tried at the step's own size but here,
    # where every size tried was too large)
    return reading(least)[0]


def _end_of_chain(roots: list[tuple[ev.Event, Unexplained]]
                  ) -> tuple[ev.Event, Unexplained] | None:
    """The root cause among unexplained heads of files (the first, or where it waits for a
    node whose own next line is unexplained too, that line, and so on: the line that claims
    what no line shows)."""
    if not roots:
        return None
    root, seen = roots[0], {id(roots[0][0])}
    while isinstance(root[1], Missing):
        waited = next((r for r in roots if r[0].node == root[1].awaits), None)
        if waited is None or id(waited[0]) in seen:
            break
        root = waited
        seen.add(id(root[0]))
    return root


def _retried(run: Run, options: ValidateOptions, slip: Slip, e: ev.Event
             ) -> tuple[Verdict, ev.Event | None, bool]:
    """The run's verdict with the slip's lines corrected; where that explains the event ``e``
    the times as logged left unexplained but not a later line with a time, that line's event;
    and whether the violation says the slip's lines, so corrected, came too early
    (:func:`_too_early`)."""
    retry = Validator(options, slip)
    retry.watch = (e.source.path, e.source.line, e.kind)
    verdict = retry.run(_stream(run))
    later = retry.failed_at
    early = later is not None and retry.failure is not None and \
        _too_early(slip, later, retry.failure)
    if verdict.status != VIOLATES or not retry.watched or later is None or \
            later.time is None or \
            (later.source.path, later.source.line) == (e.source.path, e.source.line):
        later = None
    return verdict, later, early


def _too_early(slip: Slip, failed: ev.Event, failure: Unexplained) -> bool:
    """Whether a violation with the slip's lines corrected says they were merged too early:
    a line of the slip's log waits for another node's line (a message not yet sent), or
    another node's line is unexplained without waiting for the slip's node (what that node
    did, a term or a message, reached it first). Else too late: another node's line waits
    for the slip's node, or a line of the slip's log is unexplained by what came first."""
    if failed.source.path in slip.parts:
        return failure.awaits is not None
    return failure.awaits != slip.node


def _beyond_gap(slip: Slip, violation: Verdict, verdict: Verdict, options: ValidateOptions
                ) -> Verdict:
    """The violation, inconclusive: only a slip beyond --max-clock-gap explains it."""
    return _unless(slip, violation, verdict,
                   f"beyond --max-clock-gap {options.max_clock_gap:g} s")


def _unless(slip: Slip, violation: Verdict, verdict: Verdict, doubt: str) -> Verdict:
    """The violation, inconclusive: only the slip explains it, and ``doubt`` says why it is
    not taken for what happened."""
    violation.status = INCONCLUSIVE
    violation.reason = f"not explained unless {slip.node}'s clock ran " \
        f"{abs(slip.seconds):.0f} s {'ahead' if slip.ahead else 'behind'} in " \
        f"{slip.lines()} ({slip.evidence()}), {doubt}: {violation.rule} at " \
        f"{violation.location}"
    violation.notes.insert(0, f"{slip.describe()}; so, the run {verdict.status} "
                           f"({verdict.reason})")
    return violation
