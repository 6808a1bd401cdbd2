"""Breadth-first search shared among worker processes on this machine, one shard each.

The level structure is shard.py's; this module only moves its batches. Workers are forked
(the model's memo tables and interned values come along copy-on-write) and talk to each other
directly: every worker has an inbox queue, and at each step of a level that needs its peers
(the candidates for their owners, the owners' replies, the places kept for the ranks, states
moved to even out the frontiers) it puts one message into each peer's inbox and takes one from
each. The calling process only starts levels, adds up the counts and watches the budgets; no
state passes through it. Distinct counts, depth and verdicts equal the one-process search's,
and so does the counterexample; at a violation the counts include the whole level.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
import traceback
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from .checkpoint import Checkpoint, CheckpointError
from .collector import collect_rarely
from .model import Model
from .result import SearchResult, Statistics
from .search import Budget, ProgressFn
from .shard import LevelReport, Shard, add_up, count_to, sharded_result


class WorkerFailed(RuntimeError):
    """A worker process raised; the message holds its traceback."""


def _received(reply: Any) -> Any:
    if isinstance(reply, WorkerFailed):
        raise reply
    return reply


class _Mail:
    """A worker's inbox, sorting what arrives by (kind, level): a fast peer's ranks may come
    before a slow peer's batch."""

    def __init__(self, inbox: Any) -> None:
        self.inbox = inbox
        self.early: list[tuple] = []

    def take(self, kind: str, level: int, count: int) -> dict[int, Any]:
        got: dict[int, Any] = {}
        for message in list(self.early):
            if message[0] == kind and message[1] == level:
                self.early.remove(message)
                got[message[2]] = message[3]
        while len(got) < count:
            message = self.inbox.get()
            if message[0] == kind and message[1] == level:
                got[message[2]] = message[3]
            else:
                self.early.append(message)
        return got


def _work(index: int, count: int, model: Model, symmetry: bool, spill: Path | None,
          checkpoint: Checkpoint | None, inboxes: list, conn: Connection, stop: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    collect_rarely()  # this process only searches
    shard = Shard(model, index, count, symmetry, spill)
    mail = _Mail(inboxes[index])
    peers = [k for k in range(count) if k != index]
    exchanges = 0  # every worker makes the same exchanges in the same order

    def exchange(outgoing: list) -> list:
        """Send outgoing[k] to each peer k; what each peer sent here, by shard (None here)."""
        nonlocal exchanges
        exchanges += 1
        for peer in peers:
            inboxes[peer].put(("x", exchanges, index, outgoing[peer]))
        got = mail.take("x", exchanges, len(peers))
        return [got.get(k) for k in range(count)]

    def close_level(replies: list) -> LevelReport:
        if shard.plain:
            theirs = exchange(replies)
            replies = [replies[index] if k == index else theirs[k] for k in range(count)]
        report = shard.settle(replies)
        mine = shard.kept_places()
        theirs = exchange([mine] * count)
        shard.set_ranks([mine if k == index else theirs[k] for k in range(count)])
        moves = shard.moves()
        if moves is not None:
            shard.take_moves(exchange(moves))
        if checkpoint is not None and not stop.is_set():
            shard.save(checkpoint)
        return report

    while True:
        command, arg = conn.recv()
        try:
            if command == "start":
                reply: Any = close_level(shard.initial_level(arg))
            elif command == "resume":
                reply = shard.restore(checkpoint, *arg)  # type: ignore[arg-type]
            elif command == "level":
                reply = close_level(shard.decide(exchange(shard.expand(stop.is_set))))
            elif command == "entry":
                reply = shard.entry(*arg)
            elif command == "counts":
                reply = shard.counts_before(*arg)
            else:
                return
        except Exception:
            conn.send(WorkerFailed(traceback.format_exc()))
            return
        conn.send(reply)


def parallel_breadth_first(
    model: Model,
    *,
    workers: int,
    symmetry: bool = False,
    budget: Budget | None = None,
    progress: ProgressFn | None = None,
    progress_every: float = 1.0,
    checked: list[str] | None = None,
    spill: Path | None = None,
    checkpoint: Checkpoint | None = None,
    resume: bool = False,
    meta: dict | None = None,
) -> SearchResult:
    """search.breadth_first with the work shared among `workers` processes."""
    budget = budget or Budget()
    canonical = model.canonical if symmetry else None
    initial = [canonical(s) if canonical else s for s in model.initial_states()]
    context = mp.get_context("fork")
    inboxes = [context.Queue() for _ in range(workers)]
    stop = context.Event()
    conns: list[Connection] = []
    procs = []
    for index in range(workers):
        shard_spill = None
        if spill is not None:
            shard_spill = spill / f"shard{index}"
            shard_spill.mkdir(parents=True, exist_ok=True)
        mine, theirs = context.Pipe()
        proc = context.Process(target=_work, daemon=True,
                               args=(index, workers, model, symmetry, shard_spill,
                                     checkpoint, inboxes, theirs, stop))
        proc.start()
        conns.append(mine)
        procs.append(proc)
    engine = _Coordinator(conns, stop, budget, progress, progress_every)
    engine.checkpoint, engine.meta = checkpoint, meta or {}
    if resume and checkpoint is not None:
        saved = checkpoint.meta()
        if saved["shards"] != workers:
            raise CheckpointError(f"{checkpoint.directory}: saved by {saved['shards']} "
                                  f"worker(s), not {workers}")
        engine.resumed = saved
    try:
        return engine.run(model, initial, canonical, checked or [])
    finally:
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.send(("quit", None))
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                os.kill(proc.pid, signal.SIGKILL)
                proc.join()


class _Coordinator:
    """Starts each level in every worker and adds up what they report."""

    def __init__(self, conns: list[Connection], stop: Any, budget: Budget,
                 progress: ProgressFn | None, progress_every: float) -> None:
        self.conns, self.stop, self.budget = conns, stop, budget
        self.progress, self.progress_every = progress, progress_every
        self.stats = Statistics()
        self.checkpoint: Checkpoint | None = None
        self.meta: dict = {}
        self.resumed: dict | None = None

    def ask_all(self, command: str, arg: Any = None) -> list[Any]:
        for conn in self.conns:
            conn.send((command, arg))
        replies: dict[int, Any] = {}
        pending = list(self.conns)
        while pending:
            for conn in wait(pending, timeout=0.2):
                replies[self.conns.index(conn)] = _received(conn.recv())  # type: ignore
                pending.remove(conn)  # type: ignore[arg-type]
            now = time.perf_counter()
            if self.budget.seconds is not None and now - self.started >= self.budget.seconds:
                self.stop.set()
            if self.progress and now >= self.next_report:
                self.stats.seconds = now - self.started
                self.progress(self.stats)
                self.next_report = now + self.progress_every
        return [replies[k] for k in range(len(self.conns))]

    def entry(self, shard: int, level: int, index: int) -> tuple:
        self.conns[shard].send(("entry", (level, index)))
        return _received(self.conns[shard].recv())

    def run(self, model: Model, initial: list, canonical: Any, checked: list[str]
            ) -> SearchResult:
        self.started = time.perf_counter()
        level = 0
        if self.resumed is not None:
            self.stats = self.resumed["stats"]
            self.started -= self.resumed["seconds"]
            level = self.resumed["level"] - 1
        stats = self.stats
        self.next_report = self.started + self.progress_every
        reason = None
        violation = None
        try:
            if self.resumed is not None:
                reports = self.ask_all("resume", (self.resumed["level"], len(self.conns)))
            else:
                reports = self.ask_all("start", initial)
            while True:
                level += 1
                frontier, violation = add_up(stats, reports, level)
                if violation is not None:
                    count_to(stats, reports,
                             self.ask_all("counts", (violation[0], violation[2] == "state")))
                    break
                if self.checkpoint is not None and not self.stop.is_set():
                    stats.seconds = time.perf_counter() - self.started
                    self.checkpoint.save_meta({**self.meta, "level": level, "stats": stats,
                                               "seconds": stats.seconds,
                                               "shards": len(self.conns)})
                if self.stop.is_set():
                    reason = "time-limit"
                    break
                if not frontier:
                    break
                reason = self.budget.reached(level, stats.distinct)
                if reason:
                    break
                reports = self.ask_all("level")
        except KeyboardInterrupt:
            self.stop.set()
            reason = "interrupted"
        stats.seconds = time.perf_counter() - self.started
        result = sharded_result(model, canonical, checked, stats, violation, reason, self.entry,
                                len(self.conns))
        if self.progress:
            self.progress(stats)
        return result
