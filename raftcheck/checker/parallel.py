"""Breadth-first search shared among worker processes, each owning a shard of the fingerprints.

The design is search.py's, spread out: worker k owns the states whose fingerprint is k modulo
the number of workers; it keeps their parent links and their part of each level's frontier.
Level by level, every worker expands its frontier, keeps the successors it owns and sends the
others to their owners, then receives what the others found for it. A coordinator (the calling
process) starts each level, sums the counts, and stops the search at a violation, a budget or an
interrupt. The same shape would spread over machines: only the transport would change.

States travel as the model's short tuples of component names. A name means nothing to a
process that has not seen the component, so a state is sent together with the components the
receiver has not been sent before (model.components / component / adopt); names are content
hashes, so every process names a component alike.

Counts are deterministic, but differ from a one-process search at a violation: the workers
finish the level they are in, so the counts include that whole level.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
import traceback
from collections.abc import Callable
from typing import Any

from .model import Model
from .result import Counterexample, Outcome, SearchResult, Statistics
from .search import CHECK_EVERY, MET_LIMIT, Budget, ProgressFn
from .trace import rebuild
from .visited import visited_for

CHUNK = 20_000  # states per message between workers


class WorkerFailed(RuntimeError):
    """A worker process raised; the message holds its traceback."""


def _received(reply: Any) -> Any:
    if isinstance(reply, WorkerFailed):
        raise reply
    return reply


class _Worker:
    def __init__(self, index: int, count: int, model: Model, symmetry: bool,
                 inboxes: list, conn: Any, shared: Any, stop: Any) -> None:
        self.index, self.count, self.model = index, count, model
        self.canonical = model.canonical if symmetry else None  # type: ignore[attr-defined]
        self.inboxes, self.conn, self.shared, self.stop = inboxes, conn, shared, stop
        self.visited = visited_for(model)
        self.frontier: list = []
        self.sent: list[set] = [set() for _ in range(count)]  # components each peer has
        self.violations: list[tuple] = []
        self.budget_start = model.budget_start
        self.met_now: set[int] = set()  # exact successors met in this level (see search.py)
        self.sent_now: set[int] = set()  # states sent to their owners in this level

    def owner(self, state: Any, fingerprint: int) -> int:
        """Which worker keeps a state. Where the model has budgets, all states equal but for
        their budgets must meet in one place (visited.py): decide by the budget-free part."""
        if self.budget_start is None:
            return fingerprint % self.count
        return hash(state[:self.budget_start]) % self.count

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
        while True:
            command, arg = self.conn.recv()
            try:
                if command == "init":
                    reply: Any = self.initial(arg)
                elif command == "level":
                    reply = self.level(arg)
                elif command == "parent":
                    try:
                        reply = self.visited[arg]
                    except KeyError:
                        reply = None
                else:
                    return
            except Exception:
                self.conn.send(WorkerFailed(traceback.format_exc()))
                return
            self.conn.send(reply)

    def keep(self, state: Any, fingerprint: int, parent: int) -> int:
        """Store a state this worker owns (sent by a peer, or initial); 1 if it is new."""
        if not self.visited.add(state, fingerprint, parent):
            return 0
        broken = self.model.check_state(state)
        if broken:
            self.violations.append((broken, "state", fingerprint, None))
        self.next.append(state)
        return 1

    def initial(self, states: list) -> tuple:
        self.next: list = []
        added = 0
        for state in states:
            fingerprint = hash(state)
            if self.owner(state, fingerprint) == self.index:
                added += self.keep(state, fingerprint, fingerprint)
        self.frontier, self.next = self.next, []
        return added, 0, self.violations, len(self.frontier)

    def level(self, max_states: int | None) -> tuple:
        model, canonical, count, index = self.model, self.canonical, self.count, self.index
        start = self.budget_start
        add = self.visited.add
        self.visited.next_level()
        check_state, violations = model.check_state, self.violations
        outboxes: list[list] = [[] for _ in range(count)]
        sent_before, self.sent_now = self.sent_now, set()
        sent_now = self.sent_now
        self.next = []
        keep = self.next.append
        added = generated = 0
        met_before, self.met_now = self.met_now, set()
        met_now = self.met_now
        for position, state in enumerate(self.frontier):
            parent = hash(state)
            for action, successor, broken_step in model.successors(state):
                generated += 1
                if broken_step:
                    violations.append((broken_step, "transition", parent, action))
                    continue
                if canonical:
                    exact = hash(successor)
                    if exact in met_now or exact in met_before:
                        continue
                    if len(met_now) < MET_LIMIT:
                        met_now.add(exact)
                    successor = canonical(successor)
                fingerprint = hash(successor)
                key = fingerprint if start is None else hash(successor[:start])
                owner = key % count
                if owner != index:
                    if fingerprint not in sent_now and fingerprint not in sent_before:
                        if len(sent_now) < MET_LIMIT:
                            sent_now.add(fingerprint)
                        outboxes[owner].append((fingerprint, parent, successor))
                    continue
                if not add(successor, fingerprint, parent):
                    continue
                added += 1
                broken = check_state(successor)
                if broken:
                    violations.append((broken, "state", fingerprint, None))
                keep(successor)
            if position % CHECK_EVERY == 0:
                with self.shared.get_lock():
                    self.shared[0] += added
                    self.shared[1] += generated
                added = generated = 0
                if self.stop.is_set() or (max_states is not None and self.shared[0] >= max_states):
                    self.stop.set()
                    break
        with self.shared.get_lock():
            self.shared[0] += added
            self.shared[1] += generated
        self.exchange(outboxes)
        self.frontier, self.next = self.next, []
        return 0, 0, self.violations, len(self.frontier)

    def exchange(self, outboxes: list[list]) -> None:
        for peer, box in enumerate(outboxes):
            if peer == self.index:
                continue
            for start in range(0, len(box), CHUNK):
                chunk = box[start:start + CHUNK]
                self.inboxes[peer].put((self.index, self.records_for(peer, chunk), chunk))
            self.inboxes[peer].put((self.index, None, None))  # end of this level
        finished = 0
        added = 0
        while finished < self.count - 1:
            _, records, chunk = self.inboxes[self.index].get()
            if chunk is None:
                finished += 1
                continue
            for kind, key, value in records:
                self.model.adopt(kind, key, value)  # type: ignore[attr-defined]
            for fingerprint, parent, state in chunk:
                added += self.keep(state, fingerprint, parent)
        with self.shared.get_lock():
            self.shared[0] += added

    def records_for(self, peer: int, chunk: list) -> list:
        model = self.model
        known = self.sent[peer]
        records = []
        for _, _, state in chunk:
            for kind, key in model.components(state):  # type: ignore[attr-defined]
                if (kind, key) not in known:
                    known.add((kind, key))
                    records.append((kind, key, model.component(kind, key)))  # type: ignore
        return records


def _work(index: int, count: int, model: Model, symmetry: bool, inboxes: list, conn: Any,
          shared: Any, stop: Any) -> None:
    _Worker(index, count, model, symmetry, inboxes, conn, shared, stop).run()


class _Parents:
    """The parent links, asked of the workers (any of them may hold a given state)."""

    def __init__(self, conns: list) -> None:
        self.conns = conns

    def __getitem__(self, fingerprint: int) -> int:
        for parent in _ask_all(self.conns, ("parent", fingerprint)):
            if parent is not None:
                return parent
        raise KeyError(fingerprint)


def parallel_breadth_first(
    model: Model,
    *,
    workers: int,
    symmetry: bool = False,
    budget: Budget | None = None,
    progress: ProgressFn | None = None,
    progress_every: float = 1.0,
    checked: list[str] | None = None,
) -> SearchResult:
    """search.breadth_first with the work shared among `workers` processes."""
    budget = budget or Budget()
    canonical: Callable | None = model.canonical if symmetry else None  # type: ignore
    # Before the fork, so every worker knows the initial states' components.
    initial = [canonical(s) if canonical else s for s in model.initial_states()]
    context = mp.get_context("fork")
    inboxes = [context.Queue() for _ in range(workers)]
    shared = context.Array("q", 2)  # distinct states, states generated
    stop = context.Event()
    conns, procs = [], []
    for index in range(workers):
        mine, theirs = context.Pipe()
        proc = context.Process(target=_work, daemon=True,
                               args=(index, workers, model, symmetry, inboxes, theirs, shared,
                                     stop))
        proc.start()
        conns.append(mine)
        procs.append(proc)
    stats = Statistics()
    started = time.perf_counter()
    reason = None
    violations: list[tuple] = []
    try:
        replies = _ask_all(conns, ("init", initial))
        stats.distinct = sum(r[0] for r in replies)
        shared[0] = stats.distinct
        violations = [v for r in replies for v in r[2]]
        frontier = sum(r[3] for r in replies)
        stats.depth = 1
        next_report = started + progress_every
        while frontier and not violations:
            for conn in conns:
                conn.send(("level", budget.max_states))
            replies = []
            pending = list(conns)
            while pending:
                ready = mp.connection.wait(pending, timeout=0.2)
                for conn in ready:
                    replies.append((conns.index(conn), _received(conn.recv())))
                    pending.remove(conn)
                now = time.perf_counter()
                if budget.seconds is not None and now - started >= budget.seconds:
                    reason = reason or "time-limit"
                    stop.set()
                if progress and now >= next_report:
                    stats.distinct, stats.generated = shared[0], shared[1]
                    stats.seconds = now - started
                    progress(stats)
                    next_report = now + progress_every
            replies.sort()
            violations = [v for _, r in replies for v in r[2]]
            frontier = sum(r[3] for _, r in replies)
            stats.queue = frontier
            if frontier:
                stats.depth += 1
            if stop.is_set():
                reason = reason or "max-states"
                break
            if budget.max_depth is not None and stats.depth >= budget.max_depth and frontier:
                reason = "max-depth"
                break
    except KeyboardInterrupt:
        stop.set()
        reason = "interrupted"
    stats.distinct, stats.generated = shared[0], shared[1]
    stats.seconds = time.perf_counter() - started
    result = SearchResult(Outcome.HOLDS, stats, checked or [])
    if violations:
        # The least fingerprint among this level's findings: deterministic whatever the timing.
        prop, kind, fingerprint, action = min(violations, key=lambda v: (v[2], v[1], v[0]))
        last = (action, prop) if kind == "transition" else None
        steps = rebuild(model, _Parents(conns), fingerprint, canonical, last)  # type: ignore
        result.outcome = Outcome.VIOLATED
        result.counterexample = Counterexample(prop, kind, steps)
        stats.depth = len(steps)
    elif reason:
        result.outcome, result.stop_reason = Outcome.STOPPED, reason
    else:
        stats.queue = 0
    for conn in conns:
        conn.send(("quit", None))
    for proc in procs:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
    if progress:
        progress(stats)
    return result


def _ask_all(conns: list, message: tuple) -> list:
    for conn in conns:
        conn.send(message)
    return [_received(conn.recv()) for conn in conns]


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)
