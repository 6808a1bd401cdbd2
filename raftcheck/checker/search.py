"""Breadth-first search over a model's states, level by level, in one process.

Breadth-first order makes the first violation found a shortest one. The visited set
(visited.py) keeps each state's fingerprint and a link to its parent in 12 to 16 bytes; a trace
is rebuilt by replaying the model along the chain of parents (trace.py), so no state is kept
except the frontier. Candidates of a level are checked against the recent levels as they come
and against the older ones in one batch when the level is complete; the survivors, in the order
they were found, are the next frontier, and each is checked against the properties then. The
counts, the verdict and the counterexample are those of checking one state at a time.

Between levels, and within a level as it grows, the model may forget what the states of the
frontier and of the level so far do not need (model.forget). With
--disk, the levels of the visited set live in files, and so do the states of the frontier and
of the level being built (frontier.py).

Counts are deterministic: the model's successors come in a fixed order and nothing depends on
timing except when a budget stops the search. The same level structure is what the worker
processes (parallel.py) and a Ray cluster (ray_engine.py) share out.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, compress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .collector import rarely_collected
from .frontier import CHUNK, StateFile, in_chunks
from .model import Model, State
from .result import Counterexample, Outcome, SearchResult, Statistics
from .trace import rebuild
from .visited import LevelStore

if TYPE_CHECKING:
    from .checkpoint import Checkpoint

#: How many states to expand between looks at the clock and the budgets.
CHECK_EVERY = 512
#: At most this many exact successors remembered per level (a cache: forgetting costs time only).
MET_LIMIT = 1 << 22
#: The same with --disk, which trades time for memory (about 60 bytes an entry, two levels kept).
MET_LIMIT_ON_DISK = 1 << 20


@dataclass
class Budget:
    max_states: int | None = None  # stop after this many distinct states
    seconds: float | None = None  # stop after this much wall time
    max_depth: int | None = None  # explore no state deeper than this (initial states: 1)

    def reached(self, levels: int, distinct: int) -> str | None:
        """Between two levels: the budget that stops a search with `levels` levels complete
        and `distinct` states kept ("max-depth" or "max-states"), or None to go on."""
        if self.max_depth is not None and levels >= self.max_depth:
            return "max-depth"
        if self.max_states is not None and distinct >= self.max_states:
            return "max-states"
        return None


ProgressFn = Callable[[Statistics], None]


class Stop(Exception):
    """Raised inside the search to end it with a result."""

    def __init__(self, result: SearchResult) -> None:
        self.result = result


def breadth_first(
    model: Model,
    *,
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
    """Explore every state reachable within the model's bounds, or stop at the first violation.

    With symmetry, states are stored and expanded as their canonical representatives
    (model.canonical). spill: a directory for the older levels of the visited set (--disk).
    checkpoint: where to save the search after each level (with meta, what the caller needs
    to build the model again); resume: continue the search saved there instead of starting.
    """
    search = LevelSearch(model, symmetry=symmetry, budget=budget, progress=progress,
                         progress_every=progress_every, checked=checked, spill=spill)
    if checkpoint is not None:
        search.keep_checkpoints(checkpoint, meta or {}, resume=resume)
    return search.run()


class LevelSearch:
    """The one-process search; its fields between two levels are what a checkpoint saves."""

    def __init__(self, model: Model, *, symmetry: bool = False, budget: Budget | None = None,
                 progress: ProgressFn | None = None, progress_every: float = 1.0,
                 checked: list[str] | None = None, spill: Path | None = None) -> None:
        self.model = model
        self.canonical = model.canonical if symmetry else None
        self.budget = budget or Budget()
        self.progress = progress
        self.progress_every = progress_every
        self.checked = checked or []
        self.store = LevelStore(model, spill)
        # With --disk, the states of a level go to files as well (frontier.py).
        self.spill = spill if spill is not None and model.state_width is not None else None
        self.stats = Statistics()
        self.level = 0  # levels complete (the frontier is the last)
        self.frontier: list[State] | StateFile = []
        # where each frontier state sits in its level's arrays (an array with --disk)
        self.links: list[int] | np.ndarray = []
        self.started = 0.0
        self.elapsed = 0.0  # wall time of earlier runs (a resumed search)
        self.on_level: Callable[[LevelSearch], None] | None = None  # after each level
        self._met: set[int] = set()  # exact successors met in the level before (symmetry)

    # --- checkpoints --------------------------------------------------------------------------

    def keep_checkpoints(self, checkpoint: Checkpoint, meta: dict, *, resume: bool) -> None:
        """Save the search at every level boundary; with resume, start from the saved one."""
        self.checkpoint, self.meta = checkpoint, meta
        if resume:
            saved = checkpoint.meta()
            if saved["shards"] != 1:
                from .checkpoint import CheckpointError
                raise CheckpointError(f"{checkpoint.directory}: saved by {saved['shards']} "
                                      "workers, not 1")
            for kind, key, value in checkpoint.components(1):
                self.model.adopt(kind, key, value)
            self.level = saved["level"]
            self.stats = saved["stats"]
            self.elapsed = saved["seconds"]
            frontier, self.links, _ = checkpoint.load_shard(0, self.level, self.store)
            if isinstance(frontier, StateFile):  # the checkpoint's own file: never removed
                frontier = frontier.save_as(self.spill / f"resumed{self.level:05d}.states") \
                    if self.spill is not None else list(frontier)
            self.frontier = frontier
            # the checkpoint names every component the search ever named: keep what the
            # frontier names (at five servers any-links, 30k of 2.4M bags)
            self.model.forget(frontier)
        self.model.new_components()  # from here on, what the model names is recorded
        self.on_level = LevelSearch.save

    def save(self) -> None:
        self.stats.seconds = time.perf_counter() - self.started
        self.checkpoint.save_shard(0, self.store, self.frontier, self.links, [],
                                   self.model.new_components())
        self.checkpoint.save_meta({**self.meta, "level": self.level, "stats": self.stats,
                                   "seconds": self.stats.seconds, "shards": 1})

    # --- the run ----------------------------------------------------------------------------

    def run(self) -> SearchResult:
        with rarely_collected():
            return self._run()

    def _run(self) -> SearchResult:
        self.started = time.perf_counter() - self.elapsed
        self.next_report = self.started + self.progress_every
        try:
            if self.level == 0:
                self.initial_level()
                if self.on_level is not None:
                    self.on_level(self)
            while self.frontier:
                reason = self.budget.reached(self.level, self.stats.distinct)
                if reason:
                    return self.finish(Outcome.STOPPED, reason=reason)
                self.expand_level()
                if self.on_level is not None:
                    self.on_level(self)
        except Stop as stop:
            return stop.result
        except KeyboardInterrupt:
            self.stats.distinct += self.store.tentative()
            return self.finish(Outcome.STOPPED, reason="interrupted")
        self.stats.queue = 0
        return self.finish(Outcome.HOLDS)

    def initial_level(self) -> None:
        pending: list[State] = []
        canonical = self.canonical
        for state in self.model.initial_states():
            state = canonical(state) if canonical else state
            if self.store.offer(state, hash(state), 0):  # type: ignore[arg-type]
                pending.append(state)
        self.close(pending, [0] * len(pending))
        self.stats.depth = 1

    def expand_level(self) -> None:
        """Expand the frontier: the next level becomes the frontier."""
        model, store, stats, budget = self.model, self.store, self.stats, self.budget
        canonical = self.canonical
        successors = model.successors
        pending = self.new_level("pending")
        generated_at = array("q")  # stats.generated when each pending state was found
        judged = bytearray()  # per pending state: 0 where its step said SAME_VERDICT
        keep, note, judge = pending.append, generated_at.append, judged.append
        met_now: set[int] = set()
        met_before = self._met
        met_limit = MET_LIMIT if self.spill is None else MET_LIMIT_ON_DISK
        plain = store.start is None
        if plain:
            seen, add_seen, add_fingerprint, add_parent = store.plain_offer()
        offer = store.offer
        generated = stats.generated
        level = self.level
        before = stats.distinct
        stats.queue = len(self.frontier)
        for position, (state, parent) in enumerate(zip(self.frontier, in_chunks(self.links),
                                                       strict=True)):
            for action, successor, broken_step in successors(state):
                generated += 1
                if broken_step:
                    stats.generated = generated
                    self.transition_violation(pending, generated_at, judged, parent,
                                              action, broken_step)
                if successor is state:
                    continue  # a step that changes nothing (model.py, Model.successors)
                if canonical:
                    exact = hash(successor)
                    if exact in met_now or exact in met_before:
                        continue
                    if len(met_now) < met_limit:
                        met_now.add(exact)
                    successor = canonical(successor)
                fingerprint = hash(successor)
                if plain:
                    if fingerprint in seen:
                        continue
                    add_seen(fingerprint)
                    add_fingerprint(fingerprint)
                    add_parent(parent)
                elif not offer(successor, fingerprint, parent):
                    continue
                keep(successor)
                note(generated)
                judge(broken_step is None)
            if position % CHECK_EVERY == 0:
                # what the level's steps named and no state keeps can go before the level ends
                model.forget(chain(self.frontier, pending))
                stats.generated = generated
                stats.queue = len(self.frontier) - position - 1 + len(pending)
                now_time = time.perf_counter()
                if (budget.max_states is not None
                        and before + len(pending) >= budget.max_states):
                    self.close(pending, generated_at, judged)
                    raise Stop(self.finish(Outcome.STOPPED, reason="max-states"))
                if budget.seconds is not None and now_time - self.started >= budget.seconds:
                    self.close(pending, generated_at, judged)
                    raise Stop(self.finish(Outcome.STOPPED, reason="time-limit"))
                if self.progress and now_time >= self.next_report:
                    stats.seconds = now_time - self.started
                    stats.depth = level + (1 if pending else 0)
                    stats.distinct = before + len(pending)  # for the report only
                    self.progress(stats)
                    stats.distinct = before
                    self.next_report = now_time + self.progress_every
        stats.generated = generated
        self._met = met_now
        self.close(pending, generated_at, judged)

    def new_level(self, name: str) -> list[State] | StateFile:
        """Where the states of the level being built go: a list, or a file with --disk."""
        if self.spill is None:
            return []
        return StateFile(self.spill / f"{name}{self.level + 1:05d}.states",
                         self.model.state_width)  # type: ignore[arg-type]

    def close(self, pending: list[State] | StateFile, generated_at: array | list[int],
              judged: bytearray | None = None) -> None:
        """End the level built from pending: keep the survivors of the check against older
        levels as the new frontier, checking them against the properties in order (those
        that judged marks, where given: the others' steps said SAME_VERDICT)."""
        alive, position = self.store.close_level()
        stats = self.stats
        frontier = self.new_level("frontier")
        links = position.tolist() if self.spill is None else position
        for indices, states in _survivors(pending, alive):
            marks = (judged if judged is None or isinstance(indices, range)
                     else bytes(map(judged.__getitem__, indices)))
            found = first_violation(self.model, states, marks)
            if found is not None:
                at, broken = found
                stats.distinct += at + 1
                stats.generated = generated_at[indices[at]]
                stats.depth = self.level + 1
                raise Stop(self.violation(self.level, broken, "state",
                                          int(links[len(frontier) + at]), None))
            stats.distinct += len(states)
            frontier.extend(states)
        if isinstance(pending, StateFile):
            pending.remove()
        if isinstance(self.frontier, StateFile):
            self.frontier.remove()
        self.level += 1
        self.frontier, self.links = frontier, links
        self.model.forget(frontier)
        if frontier:
            self.stats.depth = self.level
        self.stats.queue = len(frontier)

    def transition_violation(self, pending: list[State] | StateFile,
                             generated_at: array | list[int], judged: bytearray, parent: int,
                             action: Any, broken: str) -> None:
        """A step breaks a transition property. The states found before it in this level come
        first: one of them may break a state property."""
        generated = self.stats.generated
        parent_level = self.level - 1  # where the frontier sits in the visited set
        self.close(pending, generated_at, judged)
        self.stats.generated = generated
        self.stats.depth = self.level
        raise Stop(self.violation(parent_level, broken, "transition", parent, (action, broken)))

    def violation(self, level: int, prop: str, kind: str, link: int,
                  last_step: tuple[Any, str] | None) -> SearchResult:
        """The result for a violation at (level, link) of the visited set, with its trace."""
        steps = rebuild(self.model, self.canonical,
                        lambda shard, depth, index: self.store.entry(depth, index), 1, level,
                        link, last_step)
        return self.finish(Outcome.VIOLATED, counterexample=Counterexample(prop, kind, steps))

    def finish(self, outcome: Outcome, *, reason: str | None = None,
               counterexample: Counterexample | None = None) -> SearchResult:
        self.stats.seconds = time.perf_counter() - self.started
        if self.spill is not None:  # the states of the levels, needed no more
            for path in self.spill.glob("*.states"):
                path.unlink()
        if self.progress:
            self.progress(self.stats)
        return SearchResult(outcome, self.stats, self.checked, counterexample, reason)


def first_violation(model: Model, states: list[State], marks: bytes | bytearray | None
                    ) -> tuple[int, str] | None:
    """model.first_violation of those states that marks marks (all where marks is None: a
    state is left out where the step that found it said SAME_VERDICT), as (position in
    states, property)."""
    if marks is None:
        return model.first_violation(states)
    found = model.first_violation(list(compress(states, marks)))
    if found is None:
        return None
    at, broken = found
    return list(compress(range(len(states)), marks))[at], broken


def _survivors(pending: list[State] | StateFile, alive: np.ndarray
               ) -> Iterable[tuple[Sequence[int], list[State]]]:
    """The pending states that survive, in order, a chunk at a time: (their indices in pending,
    the states)."""
    if isinstance(pending, StateFile):
        return _surviving_rows(pending, alive)
    if alive.all():
        return [(range(len(pending)), pending)]
    indices = alive.nonzero()[0].tolist()
    return [(indices, list(map(pending.__getitem__, indices)))]


def _surviving_rows(pending: StateFile, alive: np.ndarray
                    ) -> Iterator[tuple[list[int], list[State]]]:
    indices: list[int] = []
    states: list[State] = []
    for index, (state, survives) in enumerate(zip(pending, in_chunks(alive), strict=True)):
        if survives:
            indices.append(index)
            states.append(state)
            if len(states) == CHUNK:
                yield indices, states
                indices, states = [], []
    if states:
        yield indices, states
